/**
 * One Prosody data file (`<host>/<store>.dat` or `<host>/<store>/<user>.dat`) with a cache that
 * is never stale, and group commit.
 *
 * - The cache is the file's bytes with a span per key (FileImage): values are parsed when read,
 *   and adding an invite to a 10,000-entry file copies only the new entry.
 * - Staleness: reads compare the file's version (inode, size, mtime) with the cache's at most
 *   once per event-loop turn, and reload when it changed. Still never stale: every request a
 *   turn handles was received before the turn's poll returned, so the stat that turn made came
 *   after the request arrived, and any write another process (ctl, the real Prosody) finished
 *   before the request was sent is seen. Commits check again under the lock.
 * - Group commit: changes queue up while a commit runs; the next commit takes every queued
 *   change, under the inter-process lock (taken once per batch), after reloading if another
 *   process changed the file, in one atomic replace. Callers hear back once it is durable, and
 *   the next commit starts only then, after giving the callers just answered a moment to come
 *   back (see CommitGather), so batches grow to the number of clients instead of alternating halves.
 * - A commit re-validates before its rename (the lock is still ours, the file is the version it
 *   read) and renames a scratch file that breaking its lock deletes, so a holder stopped for
 *   longer than the stale timeout can never replace a newer file.
 * - A big file is taken as soon as it is read and checked in the background (see FileImage
 *   `unchecked`): until its check ends, a commit that only adds keys goes ahead (an append is
 *   exact on any table), while reads, and commits that look at what is there, wait for it. A
 *   check that fails makes the file be read again, in full, as if it had changed.
 */
import { closeSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { PROJECT_ROOT } from '../project.js';
import { CantoError, isCantoError } from '../errors.js';
import { rename, unlink } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { CommitGather } from './commit-gather.js';
import { recordCommit } from './commit-stats.js';
import { checkStoreFolder } from './data-folder.js';
import { currentVersion, ensureDir, errnoCode, openIfVersion, readVersioned, removeDurable, statVersion, syncDir, writeScratch } from './durable-fs.js';
import type { FileVersion } from './durable-fs.js';
import { acquireLock, removeOrphans, scratchFor } from './file-lock.js';
import type { HeldLock, LockOptions } from './file-lock.js';
import { capacityFor, FileImage } from './file-image.js';
import type { Layout } from './file-image.js';
import type { CheckReply, CheckRequest } from './check-worker.js';
import { entryText } from './lua-data.js';
import type { StoreTable, StoreValue } from './types.js';

/** A value ready to store: a private copy and its item bytes (`\n\t["key"] = value;`). */
export interface Entry {
  readonly value: StoreValue;
  readonly bytes: Buffer;
}

/**
 * A private copy of a value: the cache must not change when a caller mutates what it passed
 * in or got back. `null`/`undefined` properties are dropped and `[]` becomes `{}`, exactly what
 * reading the file back would give.
 */
export function ownValue(v: StoreValue): StoreValue {
  if (typeof v !== 'object' || v === null) return v;
  if (Array.isArray(v)) {
    if (v.length === 0) return {};
    return v.map((x) => (x === null || x === undefined ? x : ownValue(x)));
  }
  const out: StoreTable = {};
  for (const k of Object.keys(v)) {
    const x = v[k];
    if (x === null || x === undefined) continue;
    if (k === '__proto__') Object.defineProperty(out, k, { value: ownValue(x), enumerable: true, writable: true, configurable: true });
    else out[k] = ownValue(x);
  }
  return out;
}

/** A copy for a caller to keep (cached values never leave this module). */
export function copyValue<V extends StoreValue>(v: V): V {
  return (typeof v === 'object' ? ownValue(v) : v) as V;
}

/** A value made ready to store: owned and serialized now, so a bad value fails its own caller only. */
export function prepareEntry(key: string, value: StoreValue): Entry {
  const own = ownValue(value);
  return { value: own, bytes: Buffer.from(entryText(key, own), 'utf8') };
}

/** The changes of one commit, seen on top of the cached file. */
export class Changes {
  readonly #base: FileImage;
  readonly overlay = new Map<string, Entry | null>();
  cleared = false;
  changed = false;
  /** Something was asked of an unchecked base (see FileImage `unchecked`): the answer may be wrong, so the commit must wait for the check and run again. */
  askedUnchecked = false;

  constructor(base: FileImage) {
    this.#base = base;
  }

  #ask(): void {
    if (this.#base.unchecked) this.askedUnchecked = true;
  }

  /** The value as this commit sees it (the caller's to keep when it comes from the file; copy an overlay one). */
  get(key: string): StoreValue | undefined {
    if (this.overlay.has(key)) return this.overlay.get(key)?.value;
    this.#ask();
    return this.cleared ? undefined : this.#base.get(key);
  }

  has(key: string): boolean {
    if (this.overlay.has(key)) return this.overlay.get(key) !== null;
    this.#ask();
    return !this.cleared && this.#base.has(key);
  }

  /** Every key and value of the resulting table (for a whole-table read-modify-write). */
  table(): Map<string, StoreValue> {
    this.#ask();
    const out = new Map<string, StoreValue>();
    if (!this.cleared) for (const [k, v] of this.#base.entries()) if (!this.overlay.has(k)) out.set(k, v);
    for (const [k, o] of this.overlay) if (o) out.set(k, o.value);
    return out;
  }

  /** Set (entry) or delete (null) one key. Deleting a missing key writes nothing. */
  put(key: string, entry: Entry | null): void {
    if (entry === null && !this.has(key)) return;
    this.overlay.set(key, entry);
    this.changed = true;
  }

  /** Drop every key (keyval `set` replaces the whole table). */
  clear(): void {
    this.#ask();
    if (!this.cleared && this.#base.size > 0) this.changed = true;
    for (const e of this.overlay.values()) if (e !== null) this.changed = true;
    this.overlay.clear();
    this.cleared = true;
  }

  /** The items of the resulting table, existing keys in their file order (views of the base image). */
  items(): Array<[string, Buffer]> {
    this.#ask();
    const out: Array<[string, Buffer]> = [];
    if (!this.cleared) {
      for (const [k, b] of this.#base.items()) {
        if (!this.overlay.has(k)) out.push([k, b]);
        else {
          const o = this.overlay.get(k);
          if (o) out.push([k, o.bytes]);
        }
      }
    }
    for (const [k, o] of this.overlay) {
      if (o && (this.cleared || !this.#base.has(k))) out.push([k, o.bytes]);
    }
    return out;
  }

  /**
   * When this change only adds keys that were not there (the common case: a new invite), the
   * added items, in order; otherwise null. On an unchecked base a key not appended since it was
   * read counts as new: if the file had it after all, the append still sets it, as a later
   * field wins in Lua, and the check then has the file read again.
   */
  additions(): Array<[string, Buffer]> | null {
    if (this.cleared) return null;
    const out: Array<[string, Buffer]> = [];
    for (const [k, o] of this.overlay) {
      if (o === null || this.#base.has(k)) return null;
      out.push([k, o.bytes]);
    }
    return out;
  }
}

/** The compiled check worker (tests run the TypeScript sources, but always after a build). */
const CHECK_WORKER = join(PROJECT_ROOT, 'dist', 'runtime', 'storage', 'check-worker.js');

/**
 * FileImage.layout of the file at `path` as it was at `version`, in a worker thread (see
 * check-worker.ts). The file is opened before this returns, so a commit renaming a new file over
 * it meanwhile changes nothing the check reads. Rejects when the file was replaced since it was
 * read, cannot be read, or the worker cannot run.
 */
async function checkLayout(path: string, version: string): Promise<Layout | null> {
  const fd = openIfVersion(path, version);
  if (fd === null) throw new Error('was replaced while it was read');
  try {
    const worker = new Worker(CHECK_WORKER, { execArgv: [], workerData: { file: path, fd } satisfies CheckRequest });
    worker.unref(); // a check in flight never keeps ctl or a stopping server alive
    const reply = await new Promise<CheckReply | null>((resolve) => {
      worker.once('message', (r: CheckReply) => {
        resolve(r);
        void worker.terminate();
      });
      worker.once('error', () => resolve(null));
      worker.once('exit', () => resolve(null));
    });
    if (reply === null) throw new Error('could not run in a worker thread');
    if (!reply.ok) throw new Error(reply.error);
    return reply.layout;
  } finally {
    closeSync(fd);
  }
}

interface PendingOp {
  run(changes: Changes): unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * A file that cannot be read right now (no descriptors, I/O error) is a 503 and may work on the
 * next try; a file that is not a table, or not a file, is a parse error that will not go away.
 */
function readError(path: string, err: unknown): CantoError {
  const code = errnoCode(err);
  const transient = code === 'EMFILE' || code === 'ENFILE' || code === 'EIO' || code === 'ENOMEM' || code === 'EAGAIN' || code === 'EINTR';
  return new CantoError(transient ? 'ERR_STORAGE_READ' : 'ERR_STORAGE_PARSE', [path, (err as Error).message], { cause: err });
}

function storageError(path: string, err: unknown): CantoError {
  return isCantoError(err) ? err : new CantoError('ERR_STORAGE_WRITE', [path, (err as Error).message], { cause: err });
}

export interface DataFileOptions {
  lock?: LockOptions;
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}

/** A commit waits at most as long as the last one took, and never more than this, for the callers it just answered (a quarter left batches at half of 64 clients at 10,000 pending). */
const MAX_GATHER_MS = 100;
/** How often a commit that lost its lock to a stale-lock breaker starts over before failing. */
const MAX_ATTEMPTS = 3;

/** The commit lost its lock (broken as stale) or the file changed under it: start over. */
class Overtaken extends Error {}

/** The commit needs what the unchecked file holds (see FileImage `unchecked`): start over once it is checked. */
class NeedsCheck extends Error {}

export class DataFile {
  readonly path: string;
  readonly #options: DataFileOptions;
  /** The file as last read or written (see FileImage). */
  #image: FileImage;
  /** Version of the file the cache reflects; undefined = never loaded. */
  #version: FileVersion | undefined = undefined;
  #loading: Promise<void> | null = null;
  /** The check of the current image while it is unchecked (see FileImage `unchecked`); never rejects. */
  #checking: Promise<void> | null = null;
  /** A check failed here once: read this file in full from now on. */
  #readWhole = false;
  /**
   * Our own scratch file's version from just before its rename until the image shows it: a read
   * that finds it at the path meanwhile has the image it needs (only this commit's changes, not
   * yet answered, are missing), not a file to read again.
   */
  #renaming: string | null = null;
  /** The version was compared with the disk in this event-loop turn (see the file comment). */
  #checkedThisTurn = false;
  #queue: PendingOp[] = [];
  #flushing: Promise<void> | null = null;
  /** When the next commit starts: once the last one's callers are back (see CommitGather). */
  readonly #gather = new CommitGather(1, MAX_GATHER_MS);
  /** The folder is known to exist (Prosody's mkdir cache); reset when a write finds it gone. */
  #dirReady = false;
  /** The folder was checked not to be writable by other users (see data-folder.ts). */
  #folderChecked = false;

  constructor(path: string, options: DataFileOptions) {
    this.path = path;
    this.#options = options;
    this.#image = FileImage.empty(path);
  }

  /**
   * The current file (fresh from disk if it changed). Read what you need synchronously; an
   * image kept across an await may have been replaced by a newer one.
   */
  async read(): Promise<FileImage> {
    for (;;) {
      if (!this.#checkedThisTurn || this.#version === undefined || this.#loading) {
        await this.#fresh(() => {
          try {
            return currentVersion(this.path);
          } finally {
            this.#checkedThisTurn = true;
            setImmediate(() => (this.#checkedThisTurn = false));
          }
        });
      }
      if (!this.#image.unchecked) return this.#image;
      await this.#checked();
    }
  }

  /** Once the current image is checked, or known to need reading again. */
  async #checked(): Promise<void> {
    if (this.#checking) await this.#checking;
    else if (this.#image.unchecked) this.#version = undefined; // cannot happen: an unchecked image always has its check running
  }

  /**
   * Start reading the file now, in the background (the server calls this once it listens, so
   * the first request that needs the store does not wait for all of the read). A failure is
   * left for the first real read to report.
   */
  preload(): void {
    this.read().catch((err: unknown) => this.#options.log('debug', `${this.path}: not read ahead: ${(err as Error).message}`));
  }

  /**
   * Queue a change. `run` is called during the commit, under the lock, with the other queued
   * changes; what it returns (or throws) settles this promise once the write is durable. `run`
   * may be called again if the commit has to start over (another process overtook it), so it
   * should depend only on what `changes` shows.
   */
  change<R>(run: (changes: Changes) => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      this.#gather.queued(this.#queue.length);
      this.#flushing ??= this.#flushLoop();
    });
  }

  /** Resolves when every queued change is committed (or failed). */
  async idle(): Promise<void> {
    while (this.#flushing) await this.#flushing;
  }

  async #fresh(version: () => FileVersion | Promise<FileVersion>): Promise<void> {
    if (!this.#folderChecked) {
      checkStoreFolder(dirname(this.path));
      this.#folderChecked = true;
    }
    for (;;) {
      if (this.#loading) await this.#loading;
      let now: FileVersion;
      try {
        now = await version();
      } catch (err) {
        throw readError(this.path, err);
      }
      if (this.#loading) continue; // someone started a reload meanwhile; use theirs
      if (now === this.#version || (now !== null && now === this.#renaming)) return;
      this.#loading = this.#load().finally(() => {
        this.#loading = null;
      });
      await this.#loading;
      return;
    }
  }

  async #load(): Promise<void> {
    let read;
    try {
      read = await readVersioned(this.path, capacityFor);
    } catch (err) {
      throw readError(this.path, err);
    }
    const unchecked = read && !this.#readWhole ? FileImage.unchecked(this.path, read.bytes, read.buffer) : null;
    if (unchecked) {
      this.#checking = this.#check(unchecked, read!.version);
      this.#image = unchecked;
      this.#version = read!.version;
      return;
    }
    this.#image = read ? await FileImage.read(this.path, read.bytes, read.buffer) : FileImage.empty(this.path);
    this.#version = read ? read.version : null;
    this.#checking = null;
  }

  /** Check an unchecked image in the background; on failure the file is read again, in full. */
  async #check(image: FileImage, version: string): Promise<void> {
    let why: string | null = null;
    try {
      if (!image.adopt(await checkLayout(this.path, version))) why = 'found it not in the layout Prosody writes, or holding a key added since';
    } catch (err) {
      why = `failed: ${(err as Error).message}`;
    }
    if (this.#image !== image) return; // read again meanwhile: this check is of a file that is gone
    this.#checking = null;
    if (why !== null) {
      this.#options.log('warn', `${this.path}: reading it again in full, as its check ${why}`);
      this.#readWhole = true;
      this.#version = undefined;
    }
  }

  async #flushLoop(): Promise<void> {
    await null; // let changes queued in the same tick join the first commit
    try {
      while (this.#queue.length > 0) {
        await this.#gather.ready(() => this.#queue.length);
        await this.#commit(this.#queue.splice(0));
      }
    } finally {
      // Cleared in the same microtask as the empty-queue check, so a change queued right
      // after always finds no loop running and starts one.
      this.#flushing = null;
    }
  }

  async #commit(batch: PendingOp[]): Promise<void> {
    const started = performance.now();
    let outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    let failure: unknown = null;
    let synced: Promise<void> | null = null;
    try {
      if (!this.#dirReady) {
        await ensureDir(dirname(this.path));
        await removeOrphans(this.path);
        this.#dirReady = true;
      }
      for (let attempt = 1; ; attempt++) {
        try {
          ({ outcomes, synced } = await this.#attempt(batch));
          break;
        } catch (err) {
          if (err instanceof NeedsCheck) {
            await this.#checked();
            attempt--; // not a lost race: the file is known better now
            continue;
          }
          if (!(err instanceof Overtaken) || attempt >= MAX_ATTEMPTS) throw err;
          this.#options.log('warn', `${this.path}: ${err.message}; committing again`);
        }
      }
    } catch (err) {
      failure = storageError(this.path, err instanceof Overtaken ? new CantoError('ERR_STORAGE_LOCKED', [this.path + '.lock']) : err);
      this.#options.log('error', (failure as Error).message);
    }
    if (synced) {
      try {
        await synced;
      } catch (err) {
        failure = storageError(this.path, err);
        this.#options.log('error', (failure as Error).message);
      }
    }
    batch.forEach((op, i) => {
      const o = outcomes[i];
      if (o && !o.ok) op.reject(o.error);
      else if (failure !== null) op.reject(failure);
      else op.resolve(o?.value);
    });
    recordCommit('internal', batch.length, this.#gather.settled(started, batch.length, this.#queue.length));
  }

  /**
   * One try at committing the batch under the lock. Resolves once the new file is in place
   * (every reader sees it), with `synced` settling once its folder is fsynced (durable); the
   * lock is released in between, so another process can go ahead while the folder syncs.
   */
  async #attempt(batch: PendingOp[]): Promise<{ outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }>; synced: Promise<void> | null }> {
    // Read (and parse) a changed file before taking the lock, so the lock is held for a stat
    // and a write, not for parsing megabytes: a ctl's first write would otherwise hold up a
    // busy server for as long as its parse takes. Under the lock, the check below is a stat.
    await this.#fresh(() => statVersion(this.path));
    const lock = await this.#lock().catch(async (err: unknown) => {
      if (errnoCode(err) !== 'ENOENT') throw err;
      await this.#remakeDir(); // removed since we last wrote here
      return this.#lock();
    });
    try {
      await this.#fresh(() => statVersion(this.path)); // another process may have written since our last look
      const base = this.#version;
      const changes = new Changes(this.#image);
      const outcomes = batch.map((op): { ok: true; value: unknown } | { ok: false; error: unknown } => {
        try {
          return { ok: true, value: op.run(changes) };
        } catch (error) {
          return { ok: false, error };
        }
      });
      const added = changes.changed ? changes.additions() : null;
      if (this.#image.unchecked && (changes.askedUnchecked || (changes.changed && !added))) throw new NeedsCheck();
      if (!changes.changed) return { outcomes, synced: null };
      const staged = added ? this.#image.append(added) : null;
      const next = staged ? null : FileImage.build(this.path, changes.items());
      let version: FileVersion = null;
      if (next?.size === 0) {
        await this.#revalidate(lock, base);
        await removeDurable(this.path);
      } else {
        version = await this.#replace(lock, base, staged ? staged.chunks : next!.chunks());
      }
      if (staged) staged.apply();
      else this.#image = next!;
      this.#version = version;
      this.#renaming = null;
      const synced = version === null ? null : syncDir(dirname(this.path));
      synced?.catch(() => {}); // awaited by #commit; not an unhandled rejection meanwhile
      return { outcomes, synced };
    } finally {
      await lock.release().catch((err: unknown) => this.#options.log('warn', `releasing lock: ${(err as Error).message}`));
    }
  }

  /** Throws Overtaken unless the lock is still ours and the file is still the version we read. */
  async #revalidate(lock: HeldLock, base: FileVersion | undefined): Promise<void> {
    if (!(await lock.held())) throw new Overtaken('the lock was broken as stale while held');
    if ((await statVersion(this.path)) !== base) {
      this.#version = undefined; // reload on the next try
      throw new Overtaken('the file was replaced by another process during the commit');
    }
  }

  /** Write the scratch file, re-validate, rename it into place; returns the new version. */
  async #replace(lock: HeldLock, base: FileVersion | undefined, data: Buffer[]): Promise<string> {
    const scratch = scratchFor(this.path, lock.token);
    let version: string;
    try {
      version = await writeScratch(scratch, data);
    } catch (err) {
      if (errnoCode(err) !== 'ENOENT') throw err;
      // As Prosody does: the folder may have been removed under us; make it again and retry once.
      await this.#remakeDir();
      version = await writeScratch(scratch, data);
    }
    try {
      await this.#revalidate(lock, base);
      this.#renaming = version;
      await rename(scratch, this.path);
    } catch (err) {
      this.#renaming = null;
      await unlink(scratch).catch(() => {});
      // Our scratch is gone: whoever broke our lock deleted it, so nothing was replaced.
      if (errnoCode(err) === 'ENOENT') throw new Overtaken('the lock was broken as stale before the rename');
      throw err;
    }
    return version;
  }

  #lock(): Promise<HeldLock> {
    return acquireLock(this.path, { ...this.#options.lock, onStale: (why) => this.#options.log('warn', why) });
  }

  async #remakeDir(): Promise<void> {
    this.#dirReady = false;
    await ensureDir(dirname(this.path));
    this.#dirReady = true;
  }
}
