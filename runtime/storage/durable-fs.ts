/**
 * Durable file primitives for the internal driver: folders made 0750 and files 0640 whatever the
 * umask, atomic replace (scratch `<file>~`, fsync, rename, fsync the folder) and a cheap identity
 * of a file's current version, used to notice that another process replaced it.
 */
import { mkdir, chmod, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';

export const FILE_MODE = 0o640;
export const DIR_MODE = 0o750;

/**
 * Which version of a file is on disk: inode, size and mtime in ns. Every replace is a new inode
 * (scratch file + rename), so any change by any writer, Prosody included, shows up here.
 * `null` means there is no file.
 */
export type FileVersion = string | null;

function versionOf(st: { ino: bigint; size: bigint; mtimeNs: bigint }): string {
  return `${st.ino}:${st.size}:${st.mtimeNs}`;
}

export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

export async function currentVersion(path: string): Promise<FileVersion> {
  try {
    return versionOf(await stat(path, { bigint: true }));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** Read a whole file with the version that content belongs to; `null` when it does not exist. */
export async function readVersioned(path: string): Promise<{ text: string; version: string } | null> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
  try {
    const st = await fh.stat({ bigint: true });
    const text = await fh.readFile('utf8');
    return { text, version: versionOf(st) };
  } finally {
    await fh.close();
  }
}

/** fsync a folder so a rename, create or unlink inside it survives a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * Make `dir` and missing parents, each 0750 (chmod after mkdir, because mkdir honours the umask),
 * and fsync the parent of each new folder so the folder itself is durable.
 */
export async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { mode: DIR_MODE });
  } catch (err) {
    const code = errnoCode(err);
    if (code === 'EEXIST') return;
    if (code !== 'ENOENT') throw err;
    await ensureDir(dirname(dir));
    try {
      await mkdir(dir, { mode: DIR_MODE });
    } catch (again) {
      if (errnoCode(again) === 'EEXIST') return;
      throw again;
    }
  }
  await chmod(dir, DIR_MODE);
  await syncDir(dirname(dir));
}

/**
 * Replace `path` with `text` atomically and durably; returns the new version.
 * COMPAT: Prosody's atomic_store does not fsync; we fsync the file and its folder so a
 * resolved write survives a crash.
 */
export async function writeAtomic(path: string, text: string): Promise<string> {
  const scratch = path + '~';
  const fh = await open(scratch, 'w', FILE_MODE);
  let version: string;
  try {
    await fh.chmod(FILE_MODE); // a scratch left by a crash, or the umask, may have other bits
    await fh.writeFile(text, 'utf8');
    await fh.sync();
    version = versionOf(await fh.stat({ bigint: true }));
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(scratch).catch(() => {});
    throw err;
  }
  await fh.close();
  await rename(scratch, path);
  await syncDir(dirname(path));
  return version;
}

/** Delete `path` durably (an empty store is no file, as in Prosody). Missing is fine. */
export async function removeDurable(path: string): Promise<void> {
  try {
    await unlink(path);
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return;
    throw err;
  }
  await syncDir(dirname(path));
}
