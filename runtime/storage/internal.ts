/**
 * The `internal` storage driver: Prosody's own files (util/datamanager.lua), one file per
 * (host, store, user). Both `keyval` and `map` stores sit on the same files, as Prosody's map
 * shim over its keyval store does: a map is one file per user, host-level data (user null)
 * is `<host>/<store>.dat`. So `map` and `keyval` of the same store name see the same data.
 */
import { StoreCache } from './store-cache.js';
import { readdir, readFile } from 'node:fs/promises';
import { CantoError } from '../errors.js';
import { commitSummary } from './commit-stats.js';
import { copyValue, DataFile, prepareEntry } from './data-file.js';
import type { Changes } from './data-file.js';
import type { LockOptions } from './file-lock.js';
import { errnoCode, removeDurable } from './durable-fs.js';
import { parseList } from './lua-data.js';
import { dataFile, decode, hostDir, storeDir } from './paths.js';
import { archiveItem } from './archive-item.js';
import { KEEP, REMOVE } from './types.js';
import type { ArchiveStore, DriverContext, Keep, KeyvalStore, MapStore, Removal, StorageDriver, StoreTable, StoreType, StoreUser, StoreValue } from './types.js';

function tableOf(values: Iterable<readonly [string, StoreValue]>): StoreTable {
  const out: StoreTable = {};
  for (const [k, v] of values) {
    const value = copyValue(v);
    if (k === '__proto__') Object.defineProperty(out, k, { value, enumerable: true, writable: true, configurable: true });
    else out[k] = value;
  }
  return out;
}

/** Replace the whole table in a commit (keyval `set`); every value is serialized before anything changes, so a bad one fails only its caller. */
function replaceTable(changes: Changes, data: StoreTable | undefined): void {
  const prepared = Object.entries(data ?? {})
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => [k, prepareEntry(k, v)] as const);
  changes.clear();
  for (const [k, e] of prepared) changes.put(k, e);
}

export interface InternalDriverOptions {
  /** Lock timing, for tests; defaults are 5 s to give up and 10 s to call a lock stale. */
  lock?: LockOptions;
}

export class InternalDriver implements StorageDriver {
  readonly name = 'internal';
  readonly #ctx: DriverContext;
  readonly #options: InternalDriverOptions;
  readonly #files = new Map<string, DataFile>();
  /** (host, store) of every store opened, as JSON. */
  readonly #opened = new Set<string>();
  readonly #stores = new StoreCache('internal', { keyval: (host, store) => this.#keyval(host, store), map: (host, store) => this.#map(host, store) });

  constructor(ctx: DriverContext, options: InternalDriverOptions = {}) {
    this.#ctx = ctx;
    this.#options = options;
  }

  open(host: string, store: string, type: 'keyval'): KeyvalStore;
  open(host: string, store: string, type: 'map'): MapStore;
  open(host: string, store: string, type: StoreType): KeyvalStore | MapStore;
  open(host: string, store: string, type: StoreType): KeyvalStore | MapStore {
    this.#opened.add(JSON.stringify([host, store]));
    return this.#stores.open(host, store, type);
  }

  /** Read ahead the host-level file of every store opened so far (invites, API keys: what requests need first). */
  warm(): void {
    for (const id of this.#opened) {
      const [host, store] = JSON.parse(id) as [string, string];
      this.#file(host, store, null).preload();
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.#files.values()].map((f) => f.idle()));
    const summary = commitSummary('internal');
    if (summary) this.#ctx.log('info', summary);
  }

  /**
   * Every file of `user` in any store of the host, as Prosody's datamanager.purge: the `.dat`
   * files through their caches (so this process never serves them again), `.list` files too.
   */
  async purge(host: string, user: string): Promise<void> {
    let names: string[];
    try {
      names = await readdir(hostDir(this.#ctx.dataPath, host), { withFileTypes: true }).then((d) => d.filter((e) => e.isDirectory()).map((e) => e.name));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return;
      throw err;
    }
    await Promise.all(
      names.map(async (dir) => {
        const store = decode(dir);
        await this.#file(host, store, user).change((changes) => changes.clear());
        await removeDurable(dataFile(this.#ctx.dataPath, host, store, user, 'list'));
      }),
    );
  }

  /**
   * A user's archive is `<host>/<store>/<user>.list`, `item({...});` per item, oldest first
   * (mod_storage_internal). Read whole at each call: Prosody rewrites or appends to it.
   */
  openArchive(host: string, store: string): ArchiveStore {
    return {
      latest: async (user) => {
        const path = dataFile(this.#ctx.dataPath, host, store, user, 'list');
        try {
          // As datamanager.list_load: no file is no item; one that cannot be read or run is logged and is none.
          const items = parseList(await readFile(path), path);
          return items.length ? archiveItem(items[items.length - 1], items.length) : undefined;
        } catch (err) {
          if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return undefined;
          this.#ctx.log('warn', `Skipping the broken archive of ${user}@${host} in store ${store}: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        }
      },
    };
  }

  /** Stores with a host-level file or a users' folder under `<data>/<host>/` (Prosody's driver:stores). */
  async stores(host: string): Promise<string[]> {
    let entries;
    try {
      entries = await readdir(hostDir(this.#ctx.dataPath, host), { withFileTypes: true });
    } catch (err) {
      if (errnoCode(err) === 'ENOENT') return [];
      throw err;
    }
    const names = new Set<string>();
    for (const e of entries) {
      if (e.isDirectory()) names.add(decode(e.name));
      else if (e.isFile() && e.name.endsWith('.dat') && e.name.length > 4) names.add(decode(e.name.slice(0, -4)));
    }
    return [...names];
  }

  /** One shared cache per file, whichever store type opened it. */
  #file(host: string, store: string, user: StoreUser): DataFile {
    const path = dataFile(this.#ctx.dataPath, host, store, user);
    let file = this.#files.get(path);
    if (!file) {
      const opts = this.#options.lock ? { lock: this.#options.lock, log: this.#ctx.log } : { log: this.#ctx.log };
      file = new DataFile(path, opts);
      this.#files.set(path, file);
    }
    return file;
  }

  /** Users with a file in `<host>/<store>/` (Prosody's datamanager.users). */
  async #users(host: string, store: string): Promise<string[]> {
    let names: string[];
    try {
      names = await readdir(storeDir(this.#ctx.dataPath, host, store));
    } catch (err) {
      if (errnoCode(err) === 'ENOENT' || errnoCode(err) === 'ENOTDIR') return [];
      throw err;
    }
    return names.filter((n) => n.endsWith('.dat') && n.length > 4).map((n) => decode(n.slice(0, -4)));
  }

  #keyval(host: string, store: string): KeyvalStore {
    return {
      get: async (user) => {
        const image = await this.#file(host, store, user).read();
        return image.size === 0 ? undefined : tableOf(image.entries());
      },
      set: async (user, data) => {
        await this.#file(host, store, user).change((changes) => replaceTable(changes, data));
      },
      update: <R extends StoreTable | undefined | Keep>(user: StoreUser, fn: (current: StoreTable | undefined) => R) =>
        this.#file(host, store, user).change((changes) => {
          const current = changes.table();
          const result = fn(current.size === 0 ? undefined : tableOf(current));
          if (result !== KEEP) replaceTable(changes, result as StoreTable | undefined);
          return result;
        }),
      users: () => this.#users(host, store),
    };
  }

  #map(host: string, store: string): MapStore {
    const file = (user: StoreUser) => this.#file(host, store, user);
    return {
      get: async (user, key) => (await file(user).read()).get(key), // parsed for this caller
      set: async (user, key, value) => {
        const entry = value === undefined || value === null ? null : prepareEntry(key, value);
        await file(user).change((changes) => changes.put(key, entry));
      },
      setKeys: async (user, keys: Record<string, StoreValue | Removal>) => {
        const prepared = Object.entries(keys).map(([k, v]) => {
          const entry = v === REMOVE || v === undefined || v === null ? null : prepareEntry(k, v as StoreValue);
          return [k, entry] as const;
        });
        await file(user).change((changes) => {
          for (const [k, e] of prepared) changes.put(k, e);
        });
      },
      entries: async function* (user) {
        yield* (await file(user).read()).entries(); // each value parsed as it is yielded
      },
      update: <R extends StoreValue | undefined | Keep>(user: StoreUser, key: string, fn: (current: StoreValue | undefined) => R) =>
        file(user).change((changes) => {
          const current = changes.get(key);
          const result = fn(current === undefined ? undefined : copyValue(current));
          if (result === KEEP) return result;
          const entry = result === undefined || result === null ? null : prepareEntry(key, result as StoreValue);
          changes.put(key, entry); // deleting a missing key writes nothing; anything else is a write
          return result;
        }),
      users: () => this.#users(host, store),
    };
  }
}
