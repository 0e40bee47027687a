/**
 * SQLite through better-sqlite3: reads on a connection of the main thread (WAL lets them run
 * beside a writer, and an indexed lookup is microseconds), writes in a worker thread
 * (sqlite-worker.ts, started at the first write) so commits never block the event loop. A busy timeout makes both wait
 * for another writer (ctl, another Canto, the real Prosody) instead of failing.
 */
import { closeSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type Database from 'better-sqlite3';
import { PROJECT_ROOT } from '../../project.js';
import { ensureDir, FILE_MODE } from '../durable-fs.js';
import type { DriverContext } from '../types.js';
import type { ArchiveRow, Engine, KeyRow, Scope, WriteOp } from './engine.js';
import { sqlOptionError } from './params.js';
import { archiveTable, PROSODY_INDEX, PROSODY_TABLE } from './engine.js';
import type { SqlParams } from './params.js';
import type { Row } from './values.js';
import type { WorkerHello, WorkerReply, WorkerRequest, WorkerSetup } from './sqlite-worker.js';

/** How long to wait for another process's write lock before reporting the database busy. */
const BUSY_TIMEOUT_MS = 10_000;
/** How long `update()` may hold the write lock for its function before it is rolled back. */
const LOCK_HOLD_MS = 5_000;
/** The compiled worker (tests run the TypeScript sources, but always after a build). */
const WORKER = join(PROJECT_ROOT, 'dist', 'runtime', 'storage', 'sql', 'sqlite-worker.js');

type Statement<R> = Database.Statement<unknown[], R>;
type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export class SqliteEngine implements Engine {
  readonly kind = 'SQLite3';
  readonly parallelWrites = 1; // SQLite has one writer; the worker batches behind it
  // A commit often takes less time than the main thread takes over the requests the last one
  // answered: then batches that alternate overlap the two, where full batches run them in turn.
  // Never waiting, measured at 10,000 pending in interleaved runs: 10% more invites/s at 8
  // connections, 17% at 64. On a slow disk full batches still win; the gather finds out which.
  readonly adaptiveGather = true;
  readonly #params: SqlParams;
  readonly #ctx: DriverContext;
  #db: Database.Database | undefined;
  #worker: Promise<Worker> | undefined;
  /** The writer thread stopped (or could not start): writes fail from then on. */
  #stopped = false;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve(r: WorkerReply): void; reject(err: unknown): void }>();
  #get!: Statement<Row>;
  #rows!: Statement<KeyRow>;
  #first!: Statement<KeyRow>;
  #after!: Statement<KeyRow>;
  #users!: Statement<{ user: string }>;
  #stores!: Statement<{ store: string }>;
  /** Prepared at the first use: with sql_manage_tables = false the archive table may not exist. */
  #archiveLatest: Statement<ArchiveRow> | undefined;

  constructor(params: SqlParams, ctx: DriverContext) {
    this.#params = params;
    this.#ctx = ctx;
  }

  async start(): Promise<void> {
    const database = this.#params.database;
    const where = this.#ctx.position?.('sql');
    if (database === ':memory:') throw sqlOptionError('database ":memory:" cannot be shared between the server, ctl and a worker thread; give a file name', where);
    try {
      // data_path itself is made as the internal driver would make it (0750); any other folder must exist.
      if (dirname(database) === this.#ctx.dataPath) await ensureDir(this.#ctx.dataPath);
      // Created here so the file (and SQLite's -wal and -shm, which copy its mode) is 0640.
      closeSync(openSync(database, 'a', FILE_MODE));
    } catch (err) {
      const why = err instanceof Error ? err.message.replace(/, open '.*'$/, '') : String(err);
      throw sqlOptionError(`cannot open the SQLite3 database ${database}: ${why}`, where);
    }
    // Loaded here, not at the top: ctl and the server load this package only when a host uses SQLite.
    const { default: Sqlite } = await import('better-sqlite3');
    const db = new Sqlite(database, { timeout: BUSY_TIMEOUT_MS });
    this.#db = db;
    try {
      // As the writer does (sqlite-worker.ts open): here so that a database that cannot be used
      // is reported at start and by `ctl check`, whether or not anything is ever written.
      db.pragma('journal_mode = WAL');
      if (this.#ctx.options.get('sql_manage_tables') !== false) {
        db.exec(PROSODY_TABLE + PROSODY_INDEX + archiveTable('INTEGER PRIMARY KEY AUTOINCREMENT').join(''));
      } else if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'prosody'").get()) {
        throw new Error("the table 'prosody' does not exist and sql_manage_tables = false");
      }
    } catch (err) {
      db.close();
      this.#db = undefined;
      throw sqlOptionError(`cannot use the SQLite3 database ${database}: ${err instanceof Error ? err.message : String(err)}`, where);
    }
    const scope = '"host"=? AND "user"=? AND "store"=?';
    this.#get = db.prepare(`SELECT "type", "value" FROM "prosody" WHERE ${scope} AND "key"=? LIMIT 1`);
    this.#rows = db.prepare(`SELECT "key", "type", "value" FROM "prosody" WHERE ${scope}`);
    this.#first = db.prepare(`SELECT "key", "type", "value" FROM "prosody" WHERE ${scope} ORDER BY "key" LIMIT ?`);
    this.#after = db.prepare(`SELECT "key", "type", "value" FROM "prosody" WHERE ${scope} AND "key" > ? ORDER BY "key" LIMIT ?`);
    this.#stores = db.prepare('SELECT DISTINCT "store" FROM "prosody" WHERE "host"=?');
    this.#users = db.prepare(`SELECT DISTINCT "user" FROM "prosody" WHERE "host"=? AND "store"=? AND "user" != ''`);
  }

  /** Start the writer thread now rather than at the first write (the server does, once listening). */
  warm(): void {
    void this.#writer().catch(() => undefined);
  }

  /**
   * The writer thread, started at the first write: a command that only reads (`ctl mod_invites
   * list`) never pays for a second JavaScript heap.
   */
  #writer(): Promise<Worker> {
    if (this.#stopped) return Promise.reject(new Error('the SQLite writer thread is not running'));
    this.#worker ??= (async () => {
      const database = this.#params.database;
      const worker = new Worker(WORKER, {
        execArgv: [], // not the test runner's loaders: the worker is compiled JavaScript
        workerData: { database, manageTables: this.#ctx.options.get('sql_manage_tables') !== false, busyTimeoutMs: BUSY_TIMEOUT_MS, lockHoldMs: LOCK_HOLD_MS } satisfies WorkerSetup,
      });
      const hello = await new Promise<WorkerHello>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
      }).catch((err: unknown) => ({ ok: false as const, error: err instanceof Error ? err.message : String(err) }));
      if (!hello.ok) {
        this.#stopped = true;
        await worker.terminate();
        throw new Error(`cannot write to the SQLite3 database ${database}: ${hello.error}`);
      }
      worker.on('message', (reply: WorkerReply) => {
        const waiting = this.#pending.get(reply.id);
        this.#pending.delete(reply.id);
        waiting?.resolve(reply);
      });
      worker.on('error', (err) => this.#failAll(err));
      worker.on('exit', () => this.#failAll(new Error('the SQLite writer thread stopped')));
      return worker;
    })();
    return this.#worker;
  }

  #failAll(err: unknown): void {
    for (const waiting of this.#pending.values()) waiting.reject(err);
    this.#pending.clear();
    this.#stopped = true;
  }

  async get(s: Scope, key: string): Promise<Row | undefined> {
    return this.#get.get(s.host, s.user, s.store, key);
  }

  async rows(s: Scope): Promise<KeyRow[]> {
    return this.#rows.all(s.host, s.user, s.store);
  }

  async page(s: Scope, after: string | null, limit: number): Promise<KeyRow[]> {
    return after === null ? this.#first.all(s.host, s.user, s.store, limit) : this.#after.all(s.host, s.user, s.store, after, limit);
  }

  async archiveLatest(s: Scope): Promise<ArchiveRow | undefined> {
    if (!this.#archiveLatest) {
      if (!this.#db!.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'prosodyarchive'").get()) return undefined;
      this.#archiveLatest = this.#db!.prepare('SELECT "key", "when", "with", "type", "value" FROM "prosodyarchive" WHERE "host"=? AND "user"=? AND "store"=? ORDER BY "sort_id" DESC LIMIT 1');
    }
    return this.#archiveLatest.get(s.host, s.user, s.store);
  }

  async stores(host: string): Promise<string[]> {
    return this.#stores.all(host).map((r) => r.store);
  }

  async users(host: string, store: string): Promise<string[]> {
    return this.#users.all(host, store).map((r) => r.user);
  }

  async #send(msg: DistributiveOmit<WorkerRequest, 'id'>): Promise<WorkerReply> {
    const worker = await this.#writer();
    if (this.#stopped) throw new Error('the SQLite writer thread is not running');
    const id = this.#nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      worker.postMessage({ ...msg, id } as WorkerRequest);
    });
  }

  async #call(msg: DistributiveOmit<WorkerRequest, 'id'>): Promise<WorkerReply & { ok: true }> {
    const reply = await this.#send(msg);
    if (!reply.ok) throw Object.assign(new Error(reply.error), reply.code !== undefined ? { code: reply.code } : {});
    return reply;
  }

  async write(ops: readonly WriteOp[]): Promise<boolean[]> {
    return (await this.#call({ kind: 'write', ops })).applied ?? [];
  }

  /**
   * Read under the write lock, `compute` on this thread, write and commit: the worker holds
   * BEGIN IMMEDIATE throughout, so `compute` runs once and sees what it overwrites. It is rolled
   * back when `compute` throws or returns nothing.
   */
  async #locked(scope: Scope, key: string | null, compute: (rows: KeyRow[]) => WriteOp | undefined): Promise<void> {
    const locked = await this.#call({ kind: 'lock', scope: { host: scope.host, user: scope.user, store: scope.store }, key });
    let op: WriteOp | undefined;
    try {
      op = compute(locked.rows ?? []);
    } finally {
      // Sent whatever compute did, so the lock is given back at once (a throw is a ROLLBACK).
      const finished = this.#call({ kind: 'finish', lock: locked.id, ...(op !== undefined && { op }) });
      if (op !== undefined) await finished;
      else void finished.catch(() => undefined);
    }
  }

  lockedUpdate(s: Scope, key: string, compute: (row: Row | undefined) => { row: Row | null } | undefined): Promise<void> {
    return this.#locked(s, key, (rows) => {
      const change = compute(rows[0]);
      return change && { host: s.host, user: s.user, store: s.store, puts: [{ key, row: change.row }] };
    });
  }

  lockedTableUpdate(s: Scope, compute: (rows: KeyRow[]) => WriteOp | undefined): Promise<void> {
    return this.#locked(s, null, compute);
  }

  async close(): Promise<void> {
    const started = this.#worker;
    if (started) {
      const worker = await started.catch(() => undefined);
      if (worker && !this.#stopped) await this.#send({ kind: 'close' }).catch(() => undefined);
      await worker?.terminate();
      this.#stopped = true;
    }
    this.#db?.close();
    this.#db = undefined;
  }
}
