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
import { currentVersion, ensureDir, errnoCode, readVersioned, removeDurable, writeAtomic } from './durable-fs.js';
import type { FileVersion } from './durable-fs.js';
import { acquireLock } from './file-lock.js';
import type { LockOptions } from './file-lock.js';
import { entryText, fileText, parseFields } from './lua-data.js';
import type { StoreTable, StoreValue } from './types.js';

export interface Entry {
  readonly value: StoreValue;
  /** `\n\t["key"] = value;`, or null until it is first needed. */
  text: string | null;
}

function textOf(key: string, entry: Entry): string {
  return (entry.text ??= entryText(key, entry.value));
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
  items(): string[] {
    const out: string[] = [];
    if (!this.cleared) {
      for (const [k, e] of this.#base) {
        if (!this.overlay.has(k)) out.push(textOf(k, e));
        else {
          const o = this.overlay.get(k);
          if (o) out.push(textOf(k, o));
        }
      }
    }
    for (const [k, o] of this.overlay) {
      if (o && (this.cleared || !this.#base.has(k))) out.push(textOf(k, o));
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
    while (this.#flushing) await this.#flushing;
  }

  async #fresh(): Promise<void> {
    for (;;) {
      if (this.#loading) await this.#loading;
      let version: FileVersion;
      try {
        version = await currentVersion(this.path);
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
        const items = changes.items();
        const version = items.length === 0 ? await this.#remove() : await this.#write(fileText(items));
        changes.applyTo(this.#entries);
        this.#version = version;
      }
    } catch (err) {
      failure = isCantoError(err) ? err : new CantoError('ERR_STORAGE_WRITE', [this.path, (err as Error).message], { cause: err });
      this.#options.log('error', (failure as Error).message);
    } finally {
      if (release) await release().catch((err: unknown) => this.#options.log('warn', `releasing lock: ${(err as Error).message}`));
    }
    batch.forEach((op, i) => {
      const o = outcomes[i];
      if (o && !o.ok) op.reject(o.error);
      else if (failure !== null) op.reject(failure);
      else op.resolve(o?.value);
    });
  }

  async #write(text: string): Promise<string> {
    try {
      return await writeAtomic(this.path, text);
    } catch (err) {
      // As Prosody does: the folder may have been removed under us; make it again and retry once.
      if (errnoCode(err) !== 'ENOENT') throw err;
      await this.#remakeDir();
      return await writeAtomic(this.path, text);
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
