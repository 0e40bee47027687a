/**
 * Durable file primitives for the internal driver: folders made 0750 and files 0640 whatever the
 * umask, atomic replace (scratch `<file>~`, fsync, rename, fsync the folder) and a cheap identity
 * of a file's current version, used to notice that another process replaced it.
 */
import { closeSync, fchmodSync, fdatasync, fstatSync, fsync, openSync, rename, statSync, unlinkSync, writev } from 'node:fs';
import { mkdir, chmod, open, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const fdatasyncAsync = promisify(fdatasync);
const fsyncAsync = promisify(fsync);
const renameAsync = promisify(rename);
const writevAsync = (fd: number, buffers: Buffer[]) =>
  new Promise<number>((resolve, reject) => writev(fd, buffers, (err, written) => (err ? reject(err) : resolve(written))));

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

/**
 * A stat is a few microseconds; it runs on every read (to never serve a stale cache), so it is
 * done synchronously rather than as a thread-pool round trip.
 */
export function currentVersion(path: string): FileVersion {
  try {
    return versionOf(statSync(path, { bigint: true }));
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
  const fd = openSync(dir, 'r');
  try {
    await fsyncAsync(fd);
  } finally {
    closeSync(fd);
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
 * Replace `path` with `data` atomically and durably; returns the new version.
 * COMPAT: Prosody's atomic_store does not fsync; we fsync the file and its folder so a
 * resolved write survives a crash.
 *
 * The write, the syncs and the rename take milliseconds, so they go to the thread pool; open
 * and close are quick system calls made synchronously. Few round trips per commit is what
 * bounds the rate of group commits.
 */
/**
 * Write every chunk, in order, with one writev where the kernel allows. It runs in the thread
 * pool: copying megabytes into fresh page-cache pages takes milliseconds, and the event loop
 * has requests to parse meanwhile.
 */
async function writeAll(fd: number, chunks: readonly Buffer[]): Promise<void> {
  const IOV_MAX = 1024;
  for (let i = 0; i < chunks.length; i += IOV_MAX) {
    let group = chunks.slice(i, i + IOV_MAX);
    let left = group.reduce((n, b) => n + b.length, 0);
    while (left > 0) {
      const written = await writevAsync(fd, group);
      left -= written;
      if (left > 0) group = [Buffer.concat(group).subarray(written)]; // a short write: rare for files
    }
  }
}

export async function writeAtomic(path: string, data: Buffer | readonly Buffer[]): Promise<string> {
  const { version, synced } = await replaceFile(path, data);
  await synced;
  return version;
}

/**
 * `writeAtomic` in two steps: resolves once the new file is in place (renamed over the old
 * one, so every reader sees it), with `synced` settling once the folder is fsynced too, i.e.
 * once the replace is durable. A caller may start its next write in between.
 */
export async function replaceFile(path: string, data: Buffer | readonly Buffer[]): Promise<{ version: string; synced: Promise<void> }> {
  const scratch = path + '~';
  const fd = openSync(scratch, 'w', FILE_MODE);
  let version: string;
  try {
    fchmodSync(fd, FILE_MODE); // a scratch left by a crash, or the umask, may have other bits
    await writeAll(fd, Buffer.isBuffer(data) ? [data] : data);
    await fdatasyncAsync(fd);
    version = versionOf(fstatSync(fd, { bigint: true }));
  } catch (err) {
    try {
      closeSync(fd);
      unlinkSync(scratch);
    } catch {
      // the original error is the one to report
    }
    throw err;
  }
  closeSync(fd);
  // Replacing a big file frees the old one's blocks, which can take milliseconds: off the event loop.
  await renameAsync(scratch, path);
  return { version, synced: syncDir(dirname(path)) };
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
