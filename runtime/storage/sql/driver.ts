/**
 * The `sql` storage driver: Prosody 0.12's mod_storage_sql schema and encoding, one row per key
 * in table `prosody(host, user, store, key, type, value)`, host-level data under user ''.
 *
 * - Nothing is cached: every read goes to the database, so a write by ctl, another Canto node
 *   or the real Prosody is seen by the next request.
 * - Writes are queued and committed together (group commit): one transaction per batch, each
 *   caller's promise settling once the batch holding its change is committed.
 * - `update()` holds the database's lock for the key (SQLite: the write lock; PostgreSQL: an
 *   advisory lock) from its read through `fn` to its commit, so `fn` runs exactly once per
 *   update and no writer of any process slips in between. An engine without such a lock would
 *   fall back to an optimistic read, `fn`, write-if-unchanged and retry.
 * - A value Prosody could not have written (broken JSON, unknown type) is logged with host,
 *   store, user and key and read as absent; a database that is down is ERR_STORAGE_DOWN (503).
 */
import { CommitGather } from '../commit-gather.js';
import { commitSummary, recordCommit } from '../commit-stats.js';
import { StoreCache } from '../store-cache.js';
import { CantoError, isCantoError } from '../../errors.js';
import { KEEP, REMOVE } from '../types.js';
import type { ArchiveItem, ArchiveStore, DriverContext, Keep, KeyvalStore, MapStore, Removal, StorageDriver, StoreTable, StoreType, StoreUser, StoreValue } from '../types.js';
import type { DriverDefinition } from '../manager.js';
import { sortRows } from './engine.js';
import type { Engine, KeyRow, Scope, WriteOp } from './engine.js';
import { sqlParams } from './params.js';
import type { SqlParams } from './params.js';
import { deserializeValue, serializeValue } from './values.js';
import { parseXml } from '../../xml.js';
import type { Row } from './values.js';

/** Rows read per round trip when streaming a table. */
const PAGE = 1000;
/** A batch waits at most this long for the callers the last one answered (see CommitGather). */
const MAX_GATHER_MS = 20;
/** How often update() re-reads after losing a race before it reports a failure. */
const MAX_UPDATE_TRIES = 1000;

interface Queued {
  op: WriteOp;
  resolve(applied: boolean): void;
  reject(err: unknown): void;
}

function put(obj: StoreTable, k: string, v: StoreValue): void {
  if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[k] = v;
}

export type EngineFactory = (params: SqlParams, ctx: DriverContext) => Promise<Engine>;

async function defaultEngine(params: SqlParams, ctx: DriverContext): Promise<Engine> {
  if (params.driver === 'SQLite3') {
    const { SqliteEngine } = await import('./sqlite.js');
    return new SqliteEngine(params, ctx);
  }
  const { createPostgresEngine } = await import('./postgres.js');
  return createPostgresEngine(params, ctx);
}

export class SqlDriver implements StorageDriver {
  readonly name = 'sql';
  readonly #ctx: DriverContext;
  readonly #makeEngine: EngineFactory;
  readonly #stores = new StoreCache('sql', { keyval: (host, store) => this.#keyval(host, store), map: (host, store) => this.#map(host, store) });
  #engine: Promise<Engine> | undefined;
  #queue: Queued[] = [];
  #inFlight = 0;
  #scheduled = false;
  /** When the next batch starts: once the last one's callers are back, at most its own time later (made with the engine). */
  #gather: CommitGather | undefined;
  #idle: (() => void)[] = [];
  readonly #turns = new Map<string, Promise<void>>();

  constructor(ctx: DriverContext, makeEngine: EngineFactory = defaultEngine) {
    this.#ctx = ctx;
    this.#makeEngine = makeEngine;
  }

  /** Validate `sql`, connect, create or check the tables. Every store waits for this. */
  start(): Promise<void> {
    return this.#ready().then(() => undefined);
  }

  #ready(): Promise<Engine> {
    this.#engine ??= (async () => {
      const params = sqlParams(this.#ctx.options.get('sql'), this.#ctx.dataPath, this.#ctx.position?.('sql'));
      const engine = await this.#makeEngine(params, this.#ctx);
      await engine.start();
      return engine;
    })();
    return this.#engine;
  }

  open(host: string, store: string, type: 'keyval'): KeyvalStore;
  open(host: string, store: string, type: 'map'): MapStore;
  open(host: string, store: string, type: StoreType): KeyvalStore | MapStore;
  open(host: string, store: string, type: StoreType): KeyvalStore | MapStore {
    return this.#stores.open(host, store, type);
  }

  /** Have the engine ready its writer now (the server, once listening), not at the first write. */
  warm(): void {
    void this.#engine?.then((engine) => engine.warm?.(), () => undefined);
  }

  async close(): Promise<void> {
    if (!this.#engine) return;
    let engine: Engine;
    try {
      engine = await this.#engine;
    } catch {
      return; // never started: nothing to release
    }
    while (this.#queue.length || this.#inFlight) await new Promise<void>((res) => this.#idle.push(res));
    await engine.close();
    const summary = commitSummary('sql');
    if (summary) this.#ctx.log('info', summary);
  }

  // -------------------------------------------------------------------------------------------

  /** Run a read, turning a lost connection into ERR_STORAGE_DOWN. */
  async #read<T>(fn: (engine: Engine) => Promise<T>): Promise<T> {
    const engine = await this.#ready();
    try {
      return await fn(engine);
    } catch (err) {
      throw downError(err);
    }
  }

  /** Queue one atomic change; resolves with whether it applied, once its batch is committed. */
  #write(op: WriteOp): Promise<boolean> {
    return new Promise<boolean>((resolve, reject) => {
      this.#queue.push({ op, resolve, reject });
      this.#gather?.queued(this.#queue.length);
      this.#schedule();
    });
  }

  /**
   * Flush once the current turn of the event loop has handed out its work: every request parsed
   * in this turn joins one batch, instead of the first going alone while the rest wait for it.
   */
  #schedule(): void {
    if (this.#scheduled) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      void this.#flush();
    });
  }

  async #flush(): Promise<void> {
    let engine: Engine;
    try {
      engine = await this.#ready();
    } catch (err) {
      const failed = this.#queue.splice(0);
      for (const q of failed) q.reject(err);
      this.#settled();
      return;
    }
    if (this.#inFlight >= engine.parallelWrites || !this.#queue.length) return;
    const gather = (this.#gather ??= new CommitGather(1, MAX_GATHER_MS, { adapt: engine.adaptiveGather }));
    this.#inFlight++;
    let batch: Queued[] = [];
    let started = 0;
    try {
      await gather.ready(() => this.#queue.length);
      batch = this.#queue.splice(0);
      started = performance.now();
      const applied = batch.length ? await engine.write(batch.map((q) => q.op)) : [];
      batch.forEach((q, i) => q.resolve(applied[i] ?? false));
    } catch (err) {
      const failure = downError(err);
      for (const q of batch) q.reject(failure);
    } finally {
      this.#inFlight--;
      if (batch.length) recordCommit('sql', batch.length, gather.settled(started, batch.length, this.#queue.length));
      if (this.#queue.length) this.#schedule();
      else this.#settled();
    }
  }

  #settled(): void {
    if (this.#queue.length || this.#inFlight) return;
    for (const res of this.#idle.splice(0)) res();
  }

  /** A row as a value; a row Prosody could not have written is reported and read as absent. */
  #decode(scope: Scope, key: string, row: Row): StoreValue | undefined {
    try {
      return deserializeValue(row);
    } catch (err) {
      this.#ctx.log('error', `Skipping a stored value Prosody could not have written (host ${scope.host}, store ${scope.store}, user '${scope.user}', key '${key}'): ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  /** One user's rows as a table; the '' row holds what Prosody could not key by a string. */
  #table(scope: Scope, rows: readonly KeyRow[]): StoreTable {
    const out: StoreTable = {};
    for (const r of rows) {
      const v = this.#decode(scope, r.key, r);
      if (v === undefined) continue;
      if (r.key !== '') put(out, r.key, v);
      else if (typeof v === 'object' && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) put(out, k, x);
    }
    return out;
  }

  async *#entries(scope: Scope): AsyncGenerator<[string, StoreValue]> {
    let after: string | null = null;
    for (;;) {
      const rows: KeyRow[] = await this.#read((e) => e.page(scope, after, PAGE));
      for (const r of rows) {
        const v = this.#decode(scope, r.key, r);
        if (v === undefined) continue;
        if (r.key !== '') yield [r.key, v];
        else if (typeof v === 'object' && !Array.isArray(v)) for (const entry of Object.entries(v)) yield entry;
      }
      if (rows.length < PAGE) return;
      after = rows[rows.length - 1]!.key;
    }
  }

  stores(host: string): Promise<string[]> {
    return this.#read((e) => e.stores(host));
  }

  /**
   * Archives are rows of `prosodyarchive`; a stanza is XML text of type "xml" (Prosody's
   * mod_storage_sql). A row that is not one is logged with host, store and user and read as none.
   */
  openArchive(host: string, store: string): ArchiveStore {
    return {
      latest: async (user) => {
        const row = await this.#read((e) => e.archiveLatest({ host, user, store }));
        if (!row) return undefined;
        try {
          if (row.type !== 'xml') throw new TypeError(`a value of type '${row.type}', not a stanza`);
          const item: ArchiveItem = { key: row.key, when: Number(row.when), value: parseXml(row.value) };
          if (row.with !== '') item.with = row.with;
          return item;
        } catch (err) {
          this.#ctx.log('warn', `Skipping the broken archive item '${row.key}' of ${user}@${host} in store ${store}: ${err instanceof Error ? err.message : String(err)}`);
          return undefined;
        }
      },
    };
  }

  /** Prosody deletes a user's rows in every store of the host when the account goes. */
  async purge(host: string, user: string): Promise<void> {
    await this.#write({ host, user, store: '', purge: true, puts: [] });
  }

  #keyval(host: string, store: string): KeyvalStore {
    const scope = (user: StoreUser): Scope => ({ host, user: user ?? '', store });
    const putsOf = (data: StoreTable | undefined) =>
      Object.entries(data ?? {})
        .filter(([, v]) => v !== undefined && v !== null)
        // Prosody keeps what it cannot key by a non-empty string in one JSON row under key ''.
        .map(([key, v]) => ({ key, row: serializeValue(key === '' ? { '': v } : v) }));
    return {
      get: async (user) => {
        const rows = await this.#read((e) => e.rows(scope(user)));
        return rows.length ? this.#table(scope(user), rows) : undefined;
      },
      set: async (user, data) => {
        await this.#write({ ...scope(user), clear: true, puts: putsOf(data) });
      },
      update: <R extends StoreTable | undefined | Keep>(user: StoreUser, fn: (current: StoreTable | undefined) => R): Promise<R> =>
        this.#turn(JSON.stringify([host, user, store]), async () => {
          const engine = await this.#ready();
          if (engine.lockedTableUpdate) {
            const s = scope(user);
            return this.#locked<R, KeyRow[], WriteOp>((compute) => this.#read((e) => e.lockedTableUpdate!(s, compute)), (rows) => {
              const result = fn(rows.length ? this.#table(s, rows) : undefined);
              if (result === KEEP) return { result };
              const puts = putsOf(result as StoreTable | undefined);
              return { result, op: !rows.length && !puts.length ? undefined : { ...s, clear: true, puts } };
            });
          }
          for (let attempt = 0; attempt < MAX_UPDATE_TRIES; attempt++) {
            const rows = sortRows(await this.#read((e) => e.rows(scope(user))));
            const result = fn(rows.length ? this.#table(scope(user), rows) : undefined);
            if (result === KEEP) return result;
            const puts = putsOf(result as StoreTable | undefined);
            if (!rows.length && !puts.length) return result;
            if (await this.#write({ ...scope(user), clear: true, expectTable: rows, puts })) return result;
          }
          throw new CantoError('ERR_STORAGE_WRITE', [`${host}/${store}`, `the table of '${user ?? ''}' kept changing under ${MAX_UPDATE_TRIES} attempts`]);
        }),
      users: () => this.#read((e) => e.users(host, store)),
    };
  }

  #map(host: string, store: string): MapStore {
    const scope = (user: StoreUser): Scope => ({ host, user: user ?? '', store });
    const rowOf = (key: string, v: StoreValue | Removal | undefined): Row | null => {
      // COMPAT: Prosody keeps a map's "" key inside a JSON row of non-string keys; no Canto key is "".
      if (key === '') throw new CantoError('ERR_STORAGE_VALUE', ['a map key must not be empty']);
      return v === undefined || v === null || v === REMOVE ? null : serializeValue(v as StoreValue);
    };
    const read = async (user: StoreUser, key: string) => (key === '' ? undefined : this.#read((e) => e.get(scope(user), key)));
    return {
      get: async (user, key) => {
        const row = await read(user, key);
        return row ? this.#decode(scope(user), key, row) : undefined;
      },
      set: async (user, key, value) => {
        await this.#write({ ...scope(user), puts: [{ key, row: rowOf(key, value) }] });
      },
      setKeys: async (user, changes: Record<string, StoreValue | Removal>) => {
        const puts = Object.entries(changes).map(([key, v]) => ({ key, row: rowOf(key, v) }));
        if (puts.length) await this.#write({ ...scope(user), puts });
      },
      entries: (user) => this.#entries(scope(user)),
      update: <R extends StoreValue | undefined | Keep>(user: StoreUser, key: string, fn: (current: StoreValue | undefined) => R): Promise<R> =>
        // Updates of one key in this process take turns, so they never race each other.
        this.#turn(JSON.stringify([host, user, store, key]), () => this.#update(scope(user), key, fn, rowOf)),
      users: () => this.#read((e) => e.users(host, store)),
    };
  }

  /**
   * Run an engine's locked read-modify-write with `step` as its compute: `step` (the caller's
   * function) runs once, inside the lock; what it throws is the caller's error, not "storage down".
   */
  async #locked<R, In, Out>(run: (compute: (input: In) => Out | undefined) => Promise<void>, step: (input: In) => { result: R; op?: Out }): Promise<R> {
    let outcome: { result: R } | undefined;
    let thrown: { err: unknown } | undefined;
    await run((input) => {
      try {
        const { result, op } = step(input);
        outcome = { result };
        return op;
      } catch (err) {
        thrown = { err };
        return undefined;
      }
    });
    if (thrown) throw thrown.err;
    return outcome!.result;
  }

  /** Run `fn` after every earlier call with the same id has settled. */
  #turn<R>(id: string, fn: () => Promise<R>): Promise<R> {
    const before = this.#turns.get(id) ?? Promise.resolve();
    const run = before.then(fn, fn);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#turns.set(id, settled);
    void settled.then(() => {
      if (this.#turns.get(id) === settled) this.#turns.delete(id);
    });
    return run;
  }

  async #update<R extends StoreValue | undefined | Keep>(scope: Scope, key: string, fn: (current: StoreValue | undefined) => R, rowOf: (key: string, v: StoreValue | undefined) => Row | null): Promise<R> {
    rowOf(key, undefined);
    const engine = await this.#ready();
    if (engine.lockedUpdate) {
      return this.#locked<R, Row | undefined, { row: Row | null }>((compute) => this.#read((e) => e.lockedUpdate!(scope, key, compute)), (current) => {
        const result = fn(current ? this.#decode(scope, key, current) : undefined);
        if (result === KEEP) return { result };
        const row = rowOf(key, result as StoreValue | undefined);
        return { result, op: !current && !row ? undefined : { row } };
      });
    }
    const read = () => this.#read((e) => e.get(scope, key));
    for (let attempt = 0; attempt < MAX_UPDATE_TRIES; attempt++) {
      const current = await read();
      const result = fn(current ? this.#decode(scope, key, current) : undefined);
      if (result === KEEP) return result;
      const row = rowOf(key, result as StoreValue | undefined);
      if (!current && !row) return result; // deleting a missing key writes nothing
      if (await this.#write({ ...scope, expect: { key, row: current ?? null }, puts: [{ key, row }] })) return result;
    }
    throw new CantoError('ERR_STORAGE_WRITE', [`${scope.host}/${scope.store}`, `key '${key}' kept changing under ${MAX_UPDATE_TRIES} attempts`]);
  }
}

/** What a failed database call becomes: a CantoError kept as is, anything else "storage down". */
export function downError(err: unknown): unknown {
  if (isCantoError(err)) return err;
  return new CantoError('ERR_STORAGE_DOWN', [err instanceof Error ? err.message : String(err)], { cause: err });
}

export const SQL_DRIVER: DriverDefinition = {
  options: ['sql', 'sql_manage_tables'],
  create: (ctx) => new SqlDriver(ctx),
};
