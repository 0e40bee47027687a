/**
 * An inter-process lock beside a data file: `<file>.lock`, holding `pid start token`, where
 * `start` is when that process started (so a recycled pid is not mistaken for the owner) and
 * `token` is random. The lock is written to a scratch file first and hard-linked into place
 * (link fails if the lock exists), so a lock never exists without its content, even if its
 * holder is killed while taking it. It serializes read-modify-write between Canto processes
 * (server and ctl).
 *
 * While held, the holder touches the lock's inode every `staleMs / 4` (a heartbeat). A lock is
 * broken when its owner is gone, or when its heartbeat is older than `staleMs` (a stopped or
 * hung process). A broken owner must then not commit: it checks `held()` before its rename,
 * and breaking also deletes the owner's commit scratch (`scratchFor`), so an owner stopped
 * between that check and its rename finds nothing to rename.
 *
 * COMPAT: Prosody takes no lock at all; it ignores our `.lock` files, which is harmless
 * (`users()` lists only `.dat` names).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, watch } from 'node:fs';
import type { FSWatcher } from 'node:fs';
import { link, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { CantoError } from '../errors.js';
import { FILE_MODE, NOFOLLOW_CREATE, errnoCode } from './durable-fs.js';

export interface LockOptions {
  /** Give up with ERR_STORAGE_LOCKED after this long. */
  timeoutMs?: number;
  /** A lock whose heartbeat is older than this is broken, even if its owner is alive. */
  staleMs?: number;
  /** Told when a stale lock is broken. */
  onStale?: (why: string) => void;
}

export interface HeldLock {
  /** This holder's random token: also the suffix of its scratch files. */
  readonly token: string;
  /** Whether the lock is still ours (nobody broke it). Checked right before committing. */
  held(): Promise<boolean>;
  release(): Promise<void>;
}

/** The scratch file a lock holder writes `target`'s next version to; removed when its lock is broken. */
export function scratchFor(target: string, token: string): string {
  return `${target}.${token}~`;
}

/** When a process started, in clock ticks since boot (field 22 of /proc/PID/stat); null if unknown. */
function startTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    // The command name (field 2) is in parentheses and may hold spaces: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

const OWN_START = startTime(process.pid) ?? '0';

/** Whether the process that wrote this lock content still exists (the same process, not its pid's successor). */
function ownerAlive(pid: number, start: string | undefined): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if (errnoCode(err) !== 'EPERM') return false; // EPERM: exists, owned by another user
  }
  const now = startTime(pid);
  return now === null || start === undefined || now === start;
}

interface LockContent {
  pid: number;
  start: string | undefined;
  token: string | undefined;
}

function parseContent(text: string): LockContent {
  const [pid, start, token] = text.trim().split(' ');
  return { pid: Number(pid), start, token };
}

/** Why the lock with this content is stale, or null when its holder may still be working. */
async function staleReason(lockPath: string, content: LockContent, staleMs: number): Promise<string | null> {
  if (Number.isInteger(content.pid) && content.pid > 0 && !ownerAlive(content.pid, content.start)) return `process ${content.pid} is gone`;
  const beat = await stat(lockPath).then((st) => st.mtimeMs, () => null);
  if (beat === null) return null; // released meanwhile
  if (Date.now() - beat > staleMs) return `no heartbeat from process ${content.pid} for more than ${staleMs} ms`;
  return null;
}

/** Resolves when the lock file is removed or replaced (or after `ms`): a waiter wakes as the lock goes. */
function lockEvent(watcher: FSWatcher | null, name: string, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function onChange(_event: string, file: string | Buffer | null): void {
      if (file === null || String(file) === name) done();
    }
    function done(): void {
      clearTimeout(timer);
      watcher?.off('change', onChange);
      resolve();
    }
    watcher?.on('change', onChange);
  });
}

function watchFolder(lockPath: string): FSWatcher | null {
  try {
    const w = watch(dirname(lockPath), { persistent: false });
    w.setMaxListeners(0);
    w.on('error', () => {});
    return w;
  } catch {
    return null; // no inotify: poll
  }
}

/**
 * Take the lock, waiting until it is free or stale; resolves with the held lock. A waiter is
 * woken by the folder's change events (inotify) as soon as the lock is removed, so it takes the
 * lock in the gap between two commits of a busy server rather than polling past it.
 */
export async function acquireLock(target: string, options: LockOptions = {}): Promise<HeldLock> {
  const lockPath = `${target}.lock`;
  const timeoutMs = options.timeoutMs ?? 5000;
  const staleMs = options.staleMs ?? 10_000;
  const token = `${process.pid}-${randomBytes(8).toString('hex')}`;
  const content = `${process.pid} ${OWN_START} ${token}\n`;
  const deadline = Date.now() + timeoutMs;
  const scratch = `${lockPath}.${token}~`;
  const fh = await open(scratch, NOFOLLOW_CREATE, FILE_MODE);
  let watcher: FSWatcher | null = null;
  let delay = 2;
  try {
    await fh.writeFile(content);
    for (;;) {
      try {
        await link(scratch, lockPath);
        break;
      } catch (err) {
        if (errnoCode(err) !== 'EEXIST') throw err;
      }
      const text = await readFile(lockPath, 'utf8').catch((err: unknown) => {
        if (errnoCode(err) === 'ENOENT') return null; // released meanwhile: try again at once
        throw err;
      });
      if (text === null) continue;
      const other = parseContent(text);
      const stale = await staleReason(lockPath, other, staleMs);
      if (stale !== null) {
        await breakLock(target, text, other);
        options.onStale?.(`broke stale lock ${lockPath}: ${stale}`);
        continue;
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new CantoError('ERR_STORAGE_LOCKED', [lockPath]);
      watcher ??= watchFolder(lockPath);
      await lockEvent(watcher, basename(lockPath), Math.min(delay, left));
      delay = Math.min(delay * 2, 50);
    }
  } catch (err) {
    await fh.close().catch(() => {});
    await unlink(scratch).catch(() => {});
    throw err;
  } finally {
    watcher?.close();
  }
  await unlink(scratch).catch(() => {});
  return holding(lockPath, token, content, fh, staleMs);
}

function holding(lockPath: string, token: string, content: string, fh: Awaited<ReturnType<typeof open>>, staleMs: number): HeldLock {
  // The heartbeat touches our own inode through the descriptor, never the path: if our lock
  // was broken, the path may be someone else's lock by now.
  const beat = setInterval(() => {
    const now = new Date();
    fh.utimes(now, now).catch(() => {});
  }, Math.max(10, Math.floor(staleMs / 4)));
  beat.unref();
  let released = false;
  return {
    token,
    held: async () => !released && (await readFile(lockPath, 'utf8').catch(() => null)) === content,
    release: async () => {
      if (released) return;
      released = true;
      clearInterval(beat);
      // Only remove our own lock: if it was broken as stale, the file now belongs to someone else.
      try {
        const now = await readFile(lockPath, 'utf8');
        if (now === content) await unlink(lockPath);
      } catch {
        // gone already, or broken meanwhile by someone who judged it stale
      } finally {
        await fh.close().catch(() => {});
      }
    },
  };
}

/** Remove a stale lock (unless it changed meanwhile) and what its owner left: its scratch files. */
async function breakLock(target: string, text: string, owner: LockContent): Promise<void> {
  const lockPath = `${target}.lock`;
  // Re-read just before unlinking, so a lock taken meanwhile by a live process survives.
  const now = await readFile(lockPath, 'utf8').catch(() => null);
  if (now !== text) return;
  await unlink(lockPath).catch(() => {});
  if (owner.token !== undefined && /^[0-9]+-[0-9a-f]+$/.test(owner.token)) {
    // Its commit, if it is only stopped, now has nothing to rename: it cannot replace what we write next.
    await unlink(scratchFor(target, owner.token)).catch(() => {});
    await unlink(`${lockPath}.${owner.token}~`).catch(() => {});
  }
}

/**
 * Remove scratch files beside `target` left by processes that no longer exist (killed while
 * taking a lock or writing): `<file>.lock.PID-x~` and `<file>.PID-x~`. Run once per file and
 * process, before its first commit.
 */
export async function removeOrphans(target: string): Promise<void> {
  const dir = dirname(target);
  const base = basename(target);
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return;
  }
  const pattern = new RegExp(`^${base.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(?:\\.lock)?\\.([0-9]+)-[0-9a-f]+~$`);
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || ownerAlive(pid, undefined)) continue;
    await unlink(join(dir, name)).catch(() => {});
  }
}
