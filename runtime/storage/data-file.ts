/**
 * One Prosody data file (`<host>/<store>.dat` or `<host>/<store>/<user>.dat`) with a cache that
 * is never stale, and group commit.
 *
 * - The cache holds each top-level entry's value AND its serialized text, so rewriting a
 *   10,000-entry file is a string concatenation plus one write+fsync.
 * - Reads stat the file first and reload when its version (inode, size, mtime) changed, so a
 *   write by ctl or by the real Prosody is seen at once.
 * - Writes queue up while one is in flight; the next commit applies them all, under the
 *   inter-process lock, after reloading if another process changed the file, in one atomic
 *   replace. Each caller's promise settles once the write holding its change is durable.
 */
import { dirname } from 'node:path';
import { CantoError, isCantoError } from '../errors.js';
import { currentVersion, ensureDir, errnoCode, readVersioned, removeDurable, replaceFile } from './durable-fs.js';
import type { FileVersion } from './durable-fs.js';
import { acquireLock } from './file-lock.js';
import type { LockOptions } from './file-lock.js';
import { entryText, FILE_HEAD as HEAD, FILE_TAIL as TAIL, parseFields } from './lua-data.js';
import type { StoreTable, StoreValue } from './types.js';

export interface Entry {
  readonly value: StoreValue;
  /** `\n\t["key"] = value;`, or null until it is first needed. */
  text: string | null;
  /** The same text as UTF-8, kept so that a rewrite only copies bytes. */
  bytes?: Buffer;
}

function bytesOf(key: string, entry: Entry): Buffer {
  return (entry.bytes ??= Buffer.from((entry.text ??= entryText(key, entry.value)), 'utf8'));
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
  return { value: own, text: entryText(key, own) };
}

/** The changes of one commit, seen on top of the cached entries. */
export class Changes {
  readonly #base: ReadonlyMap<string, Entry>;
  readonly overlay = new Map<string, Entry | null>();
  cleared = false;
  changed = false;

  constructor(base: ReadonlyMap<string, Entry>) {
    this.#base = base;
  }

  get(key: string): StoreValue | undefined {
    if (this.overlay.has(key)) return this.overlay.get(key)?.value;
    return this.cleared ? undefined : this.#base.get(key)?.value;
  }

  /** Set (entry) or delete (null) one key. Deleting a missing key writes nothing. */
  put(key: string, entry: Entry | null): void {
    if (entry === null && this.get(key) === undefined) return;
    this.overlay.set(key, entry);
    this.changed = true;
  }

  /** Drop every key (keyval `set` replaces the whole table). */
  clear(): void {
    if (!this.cleared && this.#base.size > 0) this.changed = true;
    for (const e of this.overlay.values()) if (e !== null) this.changed = true;
    this.overlay.clear();
    this.cleared = true;
  }

  /** The serialized items of the resulting table, existing keys in their file order. */
  items(): Buffer[] {
    const out: Buffer[] = [];
    if (!this.cleared) {
      for (const [k, e] of this.#base) {
        if (!this.overlay.has(k)) out.push(bytesOf(k, e));
        else {
          const o = this.overlay.get(k);
          if (o) out.push(bytesOf(k, o));
        }
      }
    }
    for (const [k, o] of this.overlay) {
      if (o && (this.cleared || !this.#base.has(k))) out.push(bytesOf(k, o));
    }
    return out;
  }

  /**
   * When this change only adds keys that were not there (the common case: a new invite), the
   * bytes of the added entries, in order; otherwise null.
   */
  additions(): Buffer[] | null {
    if (this.cleared) return null;
    const out: Buffer[] = [];
    for (const [k, o] of this.overlay) {
      if (o === null || this.#base.has(k)) return null;
      out.push(bytesOf(k, o));
    }
    return out;
  }

  /** Apply to `entries` (the cache), once the write is durable. */
  applyTo(entries: Map<string, Entry>): void {
    if (this.cleared) entries.clear();
    for (const [k, o] of this.overlay) {
      if (o) entries.set(k, o);
      else entries.delete(k);
    }
  }
}

interface PendingOp {
  run(changes: Changes): unknown;
  resolve(value: unknown): void;
  reject(err: unknown): void;
}

/**
 * The bytes of the file, kept between commits in one growing buffer: adding entries copies only
 * the new ones, and a commit writes one buffer. Any other change rebuilds it from the entries.
 */
class FileImage {
  #buf = Buffer.alloc(0);
  #len = 0;

  static from(items: readonly Buffer[]): FileImage {
    const image = new FileImage();
    image.#append([HEAD, ...items]);
    return image;
  }

  /** A copy with `items` added at the end (this image stays valid until the write succeeds). */
  plus(items: readonly Buffer[]): FileImage {
    const next = new FileImage();
    next.#buf = this.#buf;
    next.#len = this.#len;
    next.#append(items);
    return next;
  }

  #append(items: readonly Buffer[]): void {
    const need = this.#len + items.reduce((n, b) => n + b.length, 0);
    if (need > this.#buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(need + (need >> 1), 64 * 1024));
      this.#buf.copy(grown, 0, 0, this.#len);
      this.#buf = grown;
    }
    for (const b of items) this.#len += b.copy(this.#buf, this.#len);
  }

  /** What to write: the entries, then the closing brace. */
  chunks(): Buffer[] {
    return [this.#buf.subarray(0, this.#len), TAIL];
  }
}

function storageError(path: string, err: unknown): CantoError {
  return isCantoError(err) ? err : new CantoError('ERR_STORAGE_WRITE', [path, (err as Error).message], { cause: err });
}

export interface DataFileOptions {
  lock?: LockOptions;
  log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}

export class DataFile {
  readonly path: string;
  readonly #options: DataFileOptions;
  #entries = new Map<string, Entry>();
  /** Version of the file the cache reflects; undefined = never loaded. */
  #version: FileVersion | undefined = undefined;
  #loading: Promise<void> | null = null;
  #queue: PendingOp[] = [];
  #flushing: Promise<void> | null = null;
  /** The folder is known to exist (Prosody's mkdir cache); reset when a write finds it gone. */
  #dirReady = false;
  /** The current file's bytes, when known (see FileImage); null after a reload. */
  #image: FileImage | null = null;
  /** Commits whose file is in place but whose folder fsync has not finished yet. */
  readonly #syncing = new Set<Promise<void>>();

  constructor(path: string, options: DataFileOptions) {
    this.path = path;
    this.#options = options;
  }

  /** The current entries (fresh from disk if it changed). Read synchronously; do not keep. */
  async entries(): Promise<ReadonlyMap<string, Entry>> {
    await this.#fresh();
    return this.#entries;
  }

  /**
   * Queue a change. `run` is called during the commit, under the lock, with the other queued
   * changes; what it returns (or throws) settles this promise once the write is durable.
   */
  change<R>(run: (changes: Changes) => R): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.#queue.push({ run, resolve: resolve as (v: unknown) => void, reject });
      this.#flushing ??= this.#flushLoop();
    });
  }

  /** Resolves when every queued change is committed (or failed). */
  async idle(): Promise<void> {
    while (this.#flushing || this.#syncing.size) {
      if (this.#flushing) await this.#flushing;
      await Promise.allSettled([...this.#syncing]);
    }
  }

  async #fresh(): Promise<void> {
    for (;;) {
      if (this.#loading) await this.#loading;
      let version: FileVersion;
      try {
        version = currentVersion(this.path);
      } catch (err) {
        throw new CantoError('ERR_STORAGE_PARSE', [this.path, (err as Error).message], { cause: err });
      }
      if (this.#loading) continue; // someone started a reload meanwhile; use theirs
      if (version === this.#version) return;
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
      read = await readVersioned(this.path);
    } catch (err) {
      throw new CantoError('ERR_STORAGE_PARSE', [this.path, (err as Error).message], { cause: err });
    }
    const entries = new Map<string, Entry>();
    if (read) {
      for (const f of parseFields(read.text, this.path)) entries.set(f.key, { value: f.value, text: f.text });
    }
    this.#entries = entries;
    this.#image = null;
    this.#version = read ? read.version : null;
  }

  async #flushLoop(): Promise<void> {
    await null; // let changes queued in the same tick join the first commit
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0);
        await this.#commit(batch);
      }
    } finally {
      // Cleared in the same microtask as the empty-queue check, so a change queued right
      // after always finds no loop running and starts one.
      this.#flushing = null;
    }
  }

  async #commit(batch: PendingOp[]): Promise<void> {
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    let failure: unknown = null;
    let release: (() => Promise<void>) | undefined;
    let synced: Promise<void> | undefined;
    try {
      if (!this.#dirReady) await ensureDir(dirname(this.path));
      this.#dirReady = true;
      release = await this.#lock().catch(async (err: unknown) => {
        if (errnoCode(err) !== 'ENOENT') throw err;
        await this.#remakeDir(); // removed since we last wrote here
        return this.#lock();
      });
      await this.#fresh(); // another process may have written since our last look
      const changes = new Changes(this.#entries);
      for (const op of batch) {
        try {
          outcomes.push({ ok: true, value: op.run(changes) });
        } catch (error) {
          outcomes.push({ ok: false, error });
        }
      }
      if (changes.changed) {
        const added = this.#image && changes.additions();
        const image = added ? this.#image!.plus(added) : null;
        const items = image ? null : changes.items();
        this.#image = null; // until this write has succeeded
        if (items?.length === 0) {
          this.#version = await this.#remove();
        } else {
          const next = image ?? FileImage.from(items!);
          const replaced = await this.#write(next.chunks());
          this.#version = replaced.version;
          this.#image = next;
          synced = replaced.synced;
        }
        changes.applyTo(this.#entries);
      }
    } catch (err) {
      failure = storageError(this.path, err);
      this.#options.log('error', (failure as Error).message);
    } finally {
      if (release) await release().catch((err: unknown) => this.#options.log('warn', `releasing lock: ${(err as Error).message}`));
    }
    // The file is in place and the lock is free, so the next batch may start now; this batch's
    // callers hear back once the folder fsync has made the replace durable. The two overlap.
    const settle = (syncFailure: unknown) =>
      batch.forEach((op, i) => {
        const o = outcomes[i];
        if (o && !o.ok) op.reject(o.error);
        else if (failure !== null) op.reject(failure);
        else if (syncFailure !== null) op.reject(syncFailure);
        else op.resolve(o?.value);
      });
    if (!synced) return settle(null);
    const done: Promise<void> = synced.then(
      () => settle(null),
      (err: unknown) => {
        const error = storageError(this.path, err);
        this.#options.log('error', error.message);
        settle(error);
      },
    );
    this.#syncing.add(done);
    void done.finally(() => this.#syncing.delete(done));
  }

  async #write(data: Buffer[]): Promise<{ version: string; synced: Promise<void> }> {
    try {
      return await replaceFile(this.path, data);
    } catch (err) {
      // As Prosody does: the folder may have been removed under us; make it again and retry once.
      if (errnoCode(err) !== 'ENOENT') throw err;
      await this.#remakeDir();
      return await replaceFile(this.path, data);
    }
  }

  #lock(): Promise<() => Promise<void>> {
    return acquireLock(this.path + '.lock', { ...this.#options.lock, onStale: (why) => this.#options.log('warn', why) });
  }

  async #remakeDir(): Promise<void> {
    this.#dirReady = false;
    await ensureDir(dirname(this.path));
    this.#dirReady = true;
  }

  async #remove(): Promise<null> {
    await removeDurable(this.path);
    return null;
  }
}
