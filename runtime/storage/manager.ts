/**
 * Picks the storage driver for each (host, store) the way Prosody's core/storagemanager.lua
 * does; the driver hands out one store object per (host, store, type).
 *
 * Driver choice: the host's `storage` option (a driver name, or a table store name -> driver),
 * else `default_storage`, else "internal". "sql2" is read as "sql" with an error in the log.
 */
import { CantoError } from '../errors.js';
import { isTable } from '../options.js';
import { InternalDriver } from './internal.js';
import type { DriverContext, KeyvalStore, MapStore, StorageDriver, StoreType } from './types.js';

export type StorageLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface StorageManagerContext {
  /** Absolute `data_path`. */
  dataPath: string;
  /** An option as a host sees it (host section, then global); host null = global only. */
  option(host: string | null, name: string): unknown;
  log(level: StorageLogLevel, message: string): void;
}

/** Drivers Prosody has that Canto does not have yet, with why. */
const UNAVAILABLE: Record<string, string> = {
  sql: 'Canto has no SQL driver yet; use storage = "internal"',
};

export class StorageManager {
  readonly #ctx: StorageManagerContext;
  readonly #drivers = new Map<string, StorageDriver>();
  readonly #warnedSql2 = new Set<string>();

  constructor(ctx: StorageManagerContext) {
    this.#ctx = ctx;
  }

  /** The driver name configured for one store of one host. */
  driverName(host: string, store: string): string {
    let storage = this.#ctx.option(host, 'storage');
    let name: unknown;
    if (isTable(storage)) {
      name = (storage as Record<string, unknown>)[store];
    } else {
      name = storage;
    }
    if (name === 'sql2') {
      if (!this.#warnedSql2.has(host)) {
        this.#warnedSql2.add(host);
        this.#ctx.log('error', "The temporary 'sql2' storage module has now been renamed to 'sql', please update your config file: https://prosody.im/doc/modules/mod_storage_sql2");
      }
      name = 'sql';
    }
    if (typeof name !== 'string' || name === '') {
      storage = this.#ctx.option(host, 'default_storage');
      name = typeof storage === 'string' && storage !== '' ? storage : 'internal';
    }
    return name as string;
  }

  open(host: string, store: string, type: 'keyval'): KeyvalStore;
  open(host: string, store: string, type: 'map'): MapStore;
  open(host: string, store: string, type: StoreType): KeyvalStore | MapStore;
  /** The same object for the same (host, store, type): each driver keeps the stores it opened. */
  open(host: string, store: string, type: StoreType): KeyvalStore | MapStore {
    return this.#driver(this.driverName(host, store)).open(host, store, type);
  }

  /**
   * Remove a user's data from every store of the host, in each driver the host uses (Prosody's
   * storagemanager.purge, run when an account is deleted).
   */
  async purge(host: string, user: string): Promise<void> {
    const storage = this.#ctx.option(host, 'storage');
    const names = new Set<string>(isTable(storage) ? Object.keys(storage as Record<string, unknown>).map((store) => this.driverName(host, store)) : []);
    names.add(this.driverName(host, ''));
    for (const name of names) {
      const driver = this.#driver(name);
      if (driver.purge) await driver.purge(host, user);
      else this.#ctx.log('warn', `Storage driver ${name} does not support removing all user data, you may need to delete it manually`);
    }
  }

  /** Wait for every queued write to be durable. */
  async close(): Promise<void> {
    await Promise.all([...this.#drivers.values()].map((d) => d.close()));
  }

  #driver(name: string): StorageDriver {
    let driver = this.#drivers.get(name);
    if (driver) return driver;
    const why = UNAVAILABLE[name];
    if (why !== undefined) throw new CantoError('ERR_STORAGE_UNAVAILABLE', [name, why]);
    // COMPAT: Prosody falls back to a "null" driver (nothing is saved) with a warning;
    // losing invites silently is worse than refusing to start, so an unknown name is an error.
    if (name !== 'internal') throw new CantoError('ERR_STORAGE_DRIVER', [name]);
    driver = new InternalDriver(this.#driverContext());
    this.#drivers.set(name, driver);
    return driver;
  }

  #driverContext(): DriverContext {
    const ctx = this.#ctx;
    const options = new Map<string, unknown>();
    for (const name of ['sql', 'sql_manage_tables']) {
      const v = ctx.option(null, name);
      if (v !== undefined) options.set(name, v);
    }
    return { dataPath: ctx.dataPath, options, log: (level, message) => ctx.log(level, message) };
  }
}
