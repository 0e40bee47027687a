/**
 * Durable file primitives for the internal driver: folders made 0750 and files 0640 whatever the
 * umask, atomic replace (a scratch file unique to its writer, fsync, rename, fsync the folder),
 * and a cheap identity of a file's current version, used to notice that another process
 * replaced it. Nothing here follows a symlink when it creates a file.
 */
import { closeSync, constants, fdatasync, fstat, fstatSync, openSync, statSync, writev } from 'node:fs';
import { chmod, mkdir, open, rename, stat, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { promisify } from 'node:util';

const fdatasyncAsync = promisify(fdatasync);
const fstatAsync = promisify(fstat);
const writevAsync = (fd: number, buffers: Buffer[]) =>
  new Promise<number>((resolve, reject) => writev(fd, buffers, (err, written) => (err ? reject(err) : resolve(written))));

export const FILE_MODE = 0o640;
export const DIR_MODE = 0o750;
/**
 * Flags for a scratch file: a new file only (a leftover of the same name is an error, not
 * something to write through), and never through a symlink planted at that name.
 */
export const NOFOLLOW_CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/**
 * Which version of a file is on disk: inode, size and mtime in ns. Every replace is a new inode
 * (scratch file + rename), so any change by any writer, Prosody included, shows up here.
 * `null` means there is no file.
 */
export type FileVersion = string | null;

function versionOf(st: { ino: bigint; size: bigint; mtimeNs: bigint }): string {
  return `${st.ino}:${st.size}:${st.mtimeNs}`;
}

/**
 * A descriptor of `path` opened now, synchronously, if the file there is still `version`; null
 * once it has been replaced. The descriptor keeps that version readable whatever is renamed over
 * the path afterwards.
 */
export function openIfVersion(path: string, version: string): number | null {
  const fd = openSync(path, 'r');
  if (versionOf(fstatSync(fd, { bigint: true })) === version) return fd;
  closeSync(fd);
  return null;
}

export function errnoCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | null)?.code;
}

/**
 * The version on disk, synchronously: a stat of a cached inode is a few microseconds, less than
 * a thread-pool round trip. Readers call it at most once per event-loop turn (see DataFile).
 */
export function currentVersion(path: string): FileVersion {
  try {
    return versionOf(statSync(path, { bigint: true }));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/** The version on disk, without blocking the event loop (for the commit path). */
export async function statVersion(path: string): Promise<FileVersion> {
  try {
    return versionOf(await stat(path, { bigint: true }));
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
}

/**
 * Read a whole file with the version that content belongs to; `null` when it does not exist.
 * `bytes` is the content; `buffer` holds it at its start with `room(size)` bytes in all, so a
 * caller that appends to the content later need not copy it first.
 */
export async function readVersioned(path: string, room: (size: number) => number = (size) => size): Promise<{ bytes: Buffer; buffer: Buffer; version: string } | null> {
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null;
    throw err;
  }
  try {
    const st = await fh.stat({ bigint: true });
    // Never from Buffer's shared pool: the caller may write past `bytes` into `buffer`.
    let buffer = Buffer.allocUnsafeSlow(Math.max(room(Number(st.size)), 64 * 1024));
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        const grown = Buffer.allocUnsafeSlow(buffer.length * 2); // it grew since the stat (or is a pipe)
        buffer.copy(grown, 0, 0, length);
        buffer = grown;
      }
      const { bytesRead } = await fh.read(buffer, length, buffer.length - length, null);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    return { bytes: buffer.subarray(0, length), buffer, version: versionOf(st) };
  } finally {
    await fh.close();
  }
}

/** fsync a folder so a rename, create or unlink inside it survives a power cut. */
export async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY);
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

/**
 * Write `data` to the new file `scratch` (0640, never through a symlink, never over an existing
 * file) and make its content durable; returns the version it will have once renamed into place.
 * On failure the scratch file is removed.
 */
export async function writeScratch(scratch: string, data: Buffer | readonly Buffer[]): Promise<string> {
  const fh = await open(scratch, NOFOLLOW_CREATE, FILE_MODE);
  try {
    await fh.chmod(FILE_MODE); // the umask may have removed bits
    await writeAll(fh.fd, Buffer.isBuffer(data) ? [data] : data);
    await fdatasyncAsync(fh.fd);
    const version = versionOf(await fstatAsync(fh.fd, { bigint: true }));
    await fh.close();
    return version;
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(scratch).catch(() => {}); // the original error is the one to report
    throw err;
  }
}

let scratchCount = 0;

/**
 * Replace `path` with `data` atomically and durably; returns the new version. For one-off
 * writes; DataFile commits through writeScratch under its lock.
 * COMPAT: Prosody's atomic_store does not fsync; we fsync the file and its folder so a
 * resolved write survives a crash.
 */
export async function writeAtomic(path: string, data: Buffer | readonly Buffer[]): Promise<string> {
  const scratch = `${path}.${process.pid}-w${(scratchCount++).toString(16)}~`;
  const version = await writeScratch(scratch, data);
  try {
    await rename(scratch, path);
  } catch (err) {
    await unlink(scratch).catch(() => {});
    throw err;
  }
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
