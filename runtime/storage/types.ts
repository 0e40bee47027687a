/**
 * The storage driver interface. A driver opens stores for one host; modules see only
 * `KeyvalStore` and `MapStore`, so a SQL driver on Prosody's schema can follow the
 * `internal` (file) driver without any module changing.
 *
 * Values are what Prosody can store: strings, numbers, booleans and tables. A JS array
 * is a Lua sequence; a plain object is a Lua table with string keys.
 */

import type { SourcePosition } from '../errors.js';
import type { XmlElement } from '../xml.js';

export type StoreValue = string | number | boolean | StoreValue[] | StoreTable;
export interface StoreTable {
  [key: string]: StoreValue;
}

/** Deletes a key in `MapStore.setKeys`, like Prosody's `map.remove`. */
export const REMOVE: unique symbol = Symbol('canto.storage.remove');
export type Removal = typeof REMOVE;

/** `null` is the host itself (host-level data); a string is a user of that host. */
export type StoreUser = string | null;

/** One table per user (Prosody `keyval`). */
export interface KeyvalStore {
  /** The user's table, or `undefined` when there is none. Never stale: another process's write is seen. */
  get(user: StoreUser): Promise<StoreTable | undefined>;
  /** Replace the user's table; `undefined` or an empty table deletes it. Durable when the promise resolves. */
  set(user: StoreUser, data: StoreTable | undefined): Promise<void>;
  /**
   * Atomic read-modify-write of the user's table, serialized against other writers (as
   * `MapStore.update`): `fn` gets the current table and returns the new one (`undefined` or an
   * empty table deletes) or `KEEP`. Resolves with what `fn` returned, once it is durable.
   * @example await accounts.update('alice', (current) => (current ? KEEP : record)) // create if absent
   */
  update<R extends StoreTable | undefined | Keep>(user: StoreUser, fn: (current: StoreTable | undefined) => R): Promise<R>;
  /** The users that have data in this store. */
  users(): Promise<string[]>;
}

/** Keys within one table per user (Prosody `map`). */
export interface MapStore<V extends StoreValue = StoreValue> {
  /** One key, or `undefined`. Never stale. */
  get(user: StoreUser, key: string): Promise<V | undefined>;
  /** Set one key (`undefined` deletes). Durable when the promise resolves. */
  set(user: StoreUser, key: string, value: V | undefined): Promise<void>;
  /** Set and delete several keys in one atomic write. */
  setKeys(user: StoreUser, changes: Record<string, V | Removal>): Promise<void>;
  /**
   * Every key of one user, in no fixed order, read a page at a time so a large store is never
   * held in memory whole. (Not Prosody's `get_all`, which is one key across all users.)
   */
  entries(user: StoreUser): AsyncIterable<[string, V]>;
  /**
   * Atomic read-modify-write of one key, serialized against other writers in this
   * process and in other Canto processes. `fn` gets the current value and returns the
   * new one (`undefined` deletes; returning the same object unchanged still counts as a write
   * unless it returns `KEEP`). Resolves with what `fn` returned, once it is durable.
   */
  update<R extends V | undefined | Keep>(user: StoreUser, key: string, fn: (current: V | undefined) => R): Promise<R>;
  /** Every user that has a table in this store (not the host-level one). */
  users(): Promise<string[]>;
}

/** One item of an archive store: a stanza with its key, time and `with` (Prosody's archive:find results). */
export interface ArchiveItem {
  key: string;
  /** Unix seconds. */
  when: number;
  with?: string;
  value: XmlElement;
}

/**
 * A user's archive in one store (Prosody `archive`, e.g. mod_pep's `pep_<node>` items), read only.
 * A broken file or row is logged with host, store and user and read as no item.
 */
export interface ArchiveStore {
  /** The user's most recent item (Prosody's `find(user, { reverse = true, limit = 1 })`), or undefined. */
  latest(user: string): Promise<ArchiveItem | undefined>;
}

/** Returned from `MapStore.update` to leave the value as it is and write nothing. */
export const KEEP: unique symbol = Symbol('canto.storage.keep');
export type Keep = typeof KEEP;

export type StoreType = 'keyval' | 'map';

export interface StorageDriver {
  /** The driver's name as written in the config (`internal`, `sql`, ...). */
  readonly name: string;
  /**
   * Connect and check what the config asks for (database reachable, tables there), before any
   * module loads and in `ctl check`. Rejects with a CantoError that names the option at fault.
   */
  start?(): Promise<void>;
  open(host: string, store: string, type: 'keyval'): KeyvalStore;
  open(host: string, store: string, type: 'map'): MapStore;
  open(host: string, store: string, type: StoreType): KeyvalStore | MapStore;
  /** An archive store of the host, read only (see ArchiveStore); a driver without archives gets a warning. */
  openArchive?(host: string, store: string): ArchiveStore;
  /**
   * Remove everything one user has in any store of the host (Prosody's `driver:purge`, called
   * when an account is deleted). A driver without it gets a warning, as in Prosody.
   */
  purge?(host: string, user: string): Promise<void>;
  /** The stores that hold any data for the host (Prosody's `driver:stores`), for `ctl migrate`. */
  stores?(host: string): Promise<string[]>;
  /**
   * Start reading, in the background, what the stores opened so far will need first (the
   * server calls it once it listens, so a big store is ready sooner and nothing waits for it
   * but the requests that need it).
   */
  warm?(): void;
  /** Wait for queued writes and release files or connections. */
  close(): Promise<void>;
}

export interface DriverContext {
  /** Absolute `data_path`. */
  readonly dataPath: string;
  /** The options the driver declared (e.g. `sql`), as the hosts it serves see them. */
  readonly options: ReadonlyMap<string, unknown>;
  /** Where an option is set in the config, for error messages. */
  readonly position?: (name: string) => SourcePosition | undefined;
  /** Log through the host's logger. */
  readonly log: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
}

/** Whether a stored value is a table with string keys (a record), not a scalar or a list. */
export function isStoreTable(value: StoreValue | undefined): value is StoreTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Everything an async iterable yields, in order (Node 20 has no `Array.fromAsync`). */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}
