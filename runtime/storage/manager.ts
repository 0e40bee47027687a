/**
 * Picks the storage driver for each (host, store) the way Prosody's core/storagemanager.lua
 * does; the driver hands out one store object per (host, store, type).
 *
 * Driver choice: the host's `storage` option (a driver name, or a table store name -> driver),
 * else `default_storage`, else "internal". "sql2" is read as "sql" with an error in the log.
 *
 * Drivers are registered by name. Each declares the options it reads (`sql`, ...); hosts that
 * see the same values share one driver instance, as Prosody shares one SQL engine per database.
 * `start()` starts every driver any host's config can pick, before modules load.
 */
import { CantoError } from '../errors.js';
import type { SourcePosition } from '../errors.js';
import { isTable } from '../options.js';
import { InternalDriver } from './internal.js';
import { SQL_DRIVER } from './sql/driver.js';
import type { ArchiveStore, DriverContext, KeyvalStore, MapStore, StorageDriver, StoreType } from './types.js';

export type StorageLogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface StorageManagerContext {
  /** Absolute `data_path`. */
  dataPath: string;
  /** An option as a host sees it (host section, then global); host null = global only. */
  option(host: string | null, name: string): unknown;
  /** Where an option is set for a host (host section, then global). */
  position?(host: string | null, name: string): SourcePosition | undefined;
  log(level: StorageLogLevel, message: string): void;
}

/** How to make one driver; `options` are read per host and decide which hosts share an instance. */
export interface DriverDefinition {
  readonly options: readonly string[];
  create(ctx: DriverContext): StorageDriver;
}

const DRIVERS = new Map<string, DriverDefinition>([
  ['internal', { options: [], create: (ctx) => new InternalDriver(ctx) }],
  ['sql', SQL_DRIVER],
]);

/** Add a driver (for tests: an in-memory double runs the same contract suite). */
export function registerDriver(name: string, definition: DriverDefinition): void {
  DRIVERS.set(name, definition);
}

export class StorageManager {
  readonly #ctx: StorageManagerContext;
  /** Driver instances by name + the values of the options it reads. */
  readonly #drivers = new Map<string, StorageDriver>();
  readonly #started = new Map<StorageDriver, Promise<void>>();
  readonly #warnedSql2 = new Set<string>();
  readonly #warnedArchive = new Set<string>();

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
    name = this.#renamed(host, name);
    if (typeof name !== 'string' || name === '') {
      storage = this.#ctx.option(host, 'default_storage');
      name = typeof storage === 'string' && storage !== '' ? this.#renamed(host, storage) : 'internal';
    }
    return name as string;
  }

  /** Every driver name a host's config can pick for some store. */
  driverNames(host: string): string[] {
    const names = new Set<string>();
    const storage = this.#ctx.option(host, 'storage');
    const add = (v: unknown) => {
      const n = this.#renamed(host, v);
      if (typeof n === 'string' && n !== '') names.add(n);
    };
    if (isTable(storage)) for (const v of Object.values(storage as Record<string, unknown>)) add(v);
    else add(storage);
    const fallback = this.#ctx.option(host, 'default_storage');
    if (typeof fallback === 'string' && fallback !== '') add(fallback);
    else names.add('internal');
    return [...names];
  }

  /**
   * Start every driver the hosts' configs can pick (connect, create tables), so a wrong
   * database is one clear error before any module loads. Rejects with the first failure.
   */
  async start(hosts: readonly string[]): Promise<void> {
    const pending: Promise<void>[] = [];
    for (const host of hosts) for (const name of this.driverNames(host)) pending.push(this.#startDriver(this.#driver(host, name)));
    const results = await Promise.allSettled(pending);
    for (const r of results) if (r.status === 'rejected') throw r.reason;
  }

  /** The driver `name` as it would serve `host` (its options read for that host), started. */
  async startedDriver(host: string, name: string): Promise<StorageDriver> {
    const driver = this.#driver(host, name);
    await this.#startDriver(driver);
    return driver;
  }

  open(host: string, store: string, type: 'keyval'): KeyvalStore;
  open(host: string, store: string, type: 'map'): MapStore;
  open(host: string, store: string, type: StoreType): KeyvalStore | MapStore;
  /** The same object for the same (host, store, type): each driver keeps the stores it opened. */
  open(host: string, store: string, type: StoreType): KeyvalStore | MapStore {
    return this.#driver(host, this.driverName(host, store)).open(host, store, type);
  }

  /**
   * An archive store, read only. The driver is the one configured for `driverFor` (default: the
   * store itself), as mod_pep opens its `pep_<node>` archives on the driver of `pep_data`.
   */
  openArchive(host: string, store: string, driverFor = store): ArchiveStore {
    const name = this.driverName(host, driverFor);
    const driver = this.#driver(host, name);
    if (driver.openArchive) return driver.openArchive(host, store);
    if (!this.#warnedArchive.has(name)) {
      this.#warnedArchive.add(name);
      this.#ctx.log('warn', `Storage driver ${name} does not support archive stores; ${store} reads as empty`);
    }
    return { latest: () => Promise.resolve(undefined) };
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
      const driver = this.#driver(host, name);
      if (driver.purge) await driver.purge(host, user);
      else this.#ctx.log('warn', `Storage driver ${name} does not support removing all user data, you may need to delete it manually`);
    }
  }

  /** Let every driver read ahead in the background what its open stores need first (see StorageDriver.warm). */
  warm(): void {
    for (const driver of this.#drivers.values()) driver.warm?.();
  }

  /** Wait for every queued write to be durable, then release files and connections. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#started.values()]);
    await Promise.all([...this.#drivers.values()].map((d) => d.close()));
  }

  #renamed(host: string, name: unknown): unknown {
    if (name !== 'sql2') return name;
    if (!this.#warnedSql2.has(host)) {
      this.#warnedSql2.add(host);
      this.#ctx.log('error', "The temporary 'sql2' storage module has now been renamed to 'sql', please update your config file: https://prosody.im/doc/modules/mod_storage_sql2");
    }
    return 'sql';
  }

  #startDriver(driver: StorageDriver): Promise<void> {
    let started = this.#started.get(driver);
    if (!started) {
      started = driver.start ? driver.start() : Promise.resolve();
      this.#started.set(driver, started);
    }
    return started;
  }

  #driver(host: string, name: string): StorageDriver {
    const definition = DRIVERS.get(name);
    // COMPAT: Prosody falls back to a "null" driver (nothing is saved) with a warning;
    // losing invites silently is worse than refusing to start, so an unknown name is an error.
    if (!definition) throw new CantoError('ERR_STORAGE_DRIVER', [name]);
    const options = new Map<string, unknown>();
    for (const option of definition.options) {
      const v = this.#ctx.option(host, option);
      if (v !== undefined) options.set(option, v);
    }
    const id = JSON.stringify([name, ...definition.options.map((o) => options.get(o) ?? null)]);
    let driver = this.#drivers.get(id);
    if (driver) return driver;
    const ctx = this.#ctx;
    driver = definition.create({
      dataPath: ctx.dataPath,
      options,
      position: (option) => ctx.position?.(host, option),
      log: (level, message) => ctx.log(level, message),
    });
    this.#drivers.set(id, driver);
    return driver;
  }
}
