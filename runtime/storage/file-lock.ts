/**
 * An inter-process lock beside a data file: `<file>.lock`, holding `pid time token`. It is
 * written to a scratch file first and hard-linked into place (link fails if the lock exists),
 * so a lock never exists without its content, even if its holder is killed while taking it. It serializes read-modify-write between Canto processes (server and ctl).
 * A lock whose pid is dead, or that is older than `staleMs`, was left by a crash and is broken.
 *
 * COMPAT: Prosody takes no lock at all; it ignores our `.lock` files, which is harmless
 * (`users()` lists only `.dat` names).
 */
import { randomBytes } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { readFile, stat, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { CantoError } from '../errors.js';
import { FILE_MODE, errnoCode } from './durable-fs.js';

export interface LockOptions {
  /** Give up with ERR_STORAGE_LOCKED after this long. */
  timeoutMs?: number;
  /** A lock older than this is considered left behind, even if its pid is alive. */
  staleMs?: number;
  /** Told when a stale lock is broken. */
  onStale?: (why: string) => void;
}

export type Release = () => Promise<void>;

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === 'EPERM'; // exists, owned by another user
  }
}

/** Why the lock with this content is stale, or null when its holder may still be working. */
async function staleReason(lockPath: string, content: string, staleMs: number): Promise<string | null> {
  const [pidText, timeText] = content.split(' ');
  const pid = Number(pidText);
  let since = Number(timeText);
  if (!Number.isFinite(since)) {
    // Created but not yet written (or torn by a crash): judge by the file's age.
    since = await stat(lockPath).then((st) => st.mtimeMs, () => Date.now());
  }
  if (Number.isInteger(pid) && pid > 0 && !pidAlive(pid)) return `process ${pid} is gone`;
  if (Date.now() - since > staleMs) return `held for more than ${staleMs} ms`;
  return null;
}

/** Take the lock, waiting with short sleeps; resolves with the function that releases it. */
export async function acquireLock(lockPath: string, options: LockOptions = {}): Promise<Release> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const staleMs = options.staleMs ?? 10_000;
  const token = `${process.pid} ${Date.now()} ${randomBytes(6).toString('hex')}\n`;
  const deadline = Date.now() + timeoutMs;
  let delay = 1;
  for (;;) {
    // Taking a free lock is three quick local system calls: done synchronously, it costs a
    // commit no thread-pool round trips. Only waiting for a held lock sleeps.
    const scratch = `${lockPath}.${process.pid}~`;
    try {
      writeFileSync(scratch, token, { mode: FILE_MODE });
      linkSync(scratch, lockPath);
      return () => releaseLock(lockPath, token);
    } catch (err) {
      if (errnoCode(err) !== 'EEXIST') throw err;
    } finally {
      try {
        unlinkSync(scratch);
      } catch {
        // already gone
      }
    }
    const content = await readFile(lockPath, 'utf8').catch((err: unknown) => {
      if (errnoCode(err) === 'ENOENT') return null; // released meanwhile: try again at once
      throw err;
    });
    if (content === null) continue;
    const stale = await staleReason(lockPath, content, staleMs);
    if (stale !== null) {
      // Re-read just before unlinking, so a lock taken meanwhile by a live process survives.
      const now = await readFile(lockPath, 'utf8').catch(() => null);
      if (now === content) {
        await unlink(lockPath).catch(() => {});
        options.onStale?.(`broke stale lock ${lockPath}: ${stale}`);
      }
      continue;
    }
    if (Date.now() >= deadline) throw new CantoError('ERR_STORAGE_LOCKED', [lockPath]);
    await sleep(delay + Math.random() * delay);
    delay = Math.min(delay * 2, 20);
  }
}

async function releaseLock(lockPath: string, token: string): Promise<void> {
  // Only remove our own lock: if it was broken as stale, the file now belongs to someone else.
  let content: string | null = null;
  try {
    content = readFileSync(lockPath, 'utf8');
  } catch {
    return;
  }
  if (content === token) {
    try {
      unlinkSync(lockPath);
    } catch {
      // broken meanwhile by someone who judged it stale
    }
  }
}
