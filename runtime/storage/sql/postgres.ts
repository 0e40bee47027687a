/**
 * PostgreSQL through a `pg` pool. Each write batch is one transaction that first takes a
 * transaction-scoped advisory lock per key it touches (in one fixed order, so two nodes'
 * batches cannot deadlock), so `update()`'s check of the current row and its write are atomic
 * against every other Canto node — including for a key that does not exist yet, which
 * `SELECT ... FOR UPDATE` could not lock. `update()` is one such transaction around its read,
 * `fn` and write (lockedUpdate, lockedTableUpdate), never retried once `fn` has run. Runs of plain puts go out as one DELETE and one
 * INSERT over arrays, so a batch costs a handful of round trips however large it is.
 */
import { createHash } from 'node:crypto';
import type pg from 'pg';
import type { DriverContext } from '../types.js';
import type { ArchiveRow, Engine, KeyRow, Scope, WriteOp } from './engine.js';
import { archiveTable, PROSODY_INDEX, PROSODY_TABLE, sameRow, sameRows } from './engine.js';
import { sqlOptionError } from './params.js';
import type { SqlParams } from './params.js';
import type { Row } from './values.js';

const POOL_SIZE = 12;
/** Deadlock or serialization failure: the batch is rolled back whole and can simply run again. */
const RETRY_CODES = new Set(['40P01', '40001']);
const MAX_RETRIES = 5;

const SCOPE = '"host"=$1 AND "user"=$2 AND "store"=$3';

/** A 64-bit advisory lock id for a key (or, with key null, a user's whole table). */
function lockId(host: string, user: string, store: string, key: string | null): bigint {
  const h = createHash('sha256').update(JSON.stringify([host, user, store, key])).digest();
  return h.readBigInt64BE(0);
}

function errorCode(err: unknown): string | undefined {
  return typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
}

export class PostgresEngine implements Engine {
  readonly kind = 'PostgreSQL';
  readonly parallelWrites = 4;
  // Full batches: several are in flight at once already, and never waiting made fewer invites/s
  // at more CPU each (measured at 64 connections).
  readonly adaptiveGather = false;
  readonly #params: SqlParams;
  readonly #ctx: DriverContext;
  readonly #pool: pg.Pool;
  readonly #guarded = new WeakSet<pg.PoolClient>();

  /** `pg` is loaded only when a host uses PostgreSQL (see `createPostgresEngine`). */
  constructor(params: SqlParams, ctx: DriverContext, Pool: typeof pg.Pool) {
    this.#params = params;
    this.#ctx = ctx;
    this.#pool = new Pool({
      database: params.database,
      ...(params.host !== undefined && { host: params.host }),
      ...(params.port !== undefined && { port: params.port }),
      ...(params.username !== undefined && { user: params.username }),
      ...(params.password !== undefined && { password: params.password }),
      max: POOL_SIZE,
      connectionTimeoutMillis: 10_000,
    });
    // An idle connection dropped by the server: the pool replaces it on next use.
    this.#pool.on('error', (err) => ctx.log('warn', `PostgreSQL connection lost: ${err.message}`));
  }

  async start(): Promise<void> {
    const where = this.#ctx.position?.('sql');
    const p = this.#params;
    const at = p.host?.startsWith('/') ? `socket folder ${p.host}` : `${p.host ?? 'localhost'}:${p.port ?? 5432}`;
    let client: pg.PoolClient;
    try {
      client = await this.#pool.connect();
    } catch (err) {
      await this.#pool.end().catch(() => undefined);
      throw sqlOptionError(`cannot connect to PostgreSQL database '${p.database}' at ${at}: ${err instanceof Error ? err.message || errorCode(err) : String(err)}`, where);
    }
    try {
      if (this.#ctx.options.get('sql_manage_tables') !== false) {
        // Two nodes starting at once would race on CREATE TABLE IF NOT EXISTS; a lock orders them.
        await client.query('BEGIN');
        await client.query('SELECT pg_advisory_xact_lock(7248211)');
        for (const ddl of [PROSODY_TABLE, PROSODY_INDEX, ...archiveTable('BIGSERIAL PRIMARY KEY')]) await client.query(ddl);
        await client.query('COMMIT');
      } else {
        const found = await client.query<{ t: string | null }>("SELECT to_regclass('prosody')::text AS t");
        if (!found.rows[0]?.t) throw new Error("the table 'prosody' does not exist and sql_manage_tables = false");
      }
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      client.release();
      await this.#pool.end().catch(() => undefined);
      throw sqlOptionError(`cannot use PostgreSQL database '${p.database}' at ${at}: ${err instanceof Error ? err.message : String(err)}`, where);
    }
    client.release();
  }

  /**
   * A client for a transaction. The pool listens for errors only on idle clients, so a
   * connection that dies while checked out (the server stopped, pg_terminate_backend) would
   * throw an unhandled 'error' and stop the process; each client gets a listener of its own
   * (the failing query rejects as well, which is what the caller sees).
   */
  async #connect(): Promise<pg.PoolClient> {
    const client = await this.#pool.connect();
    if (!this.#guarded.has(client)) {
      this.#guarded.add(client);
      client.on('error', (err) => this.#ctx.log('warn', `PostgreSQL connection lost during a transaction: ${err.message}`));
    }
    return client;
  }

  async get(s: Scope, key: string): Promise<Row | undefined> {
    const r = await this.#pool.query<Row>({ name: 'canto_get', text: `SELECT "type", "value" FROM "prosody" WHERE ${SCOPE} AND "key"=$4 LIMIT 1`, values: [s.host, s.user, s.store, key] });
    return r.rows[0];
  }

  async rows(s: Scope): Promise<KeyRow[]> {
    const r = await this.#pool.query<KeyRow>({ name: 'canto_rows', text: `SELECT "key", "type", "value" FROM "prosody" WHERE ${SCOPE}`, values: [s.host, s.user, s.store] });
    return r.rows;
  }

  async page(s: Scope, after: string | null, limit: number): Promise<KeyRow[]> {
    // COLLATE "C": byte order, so paging by "key" > last works whatever the database's collation.
    const r = await this.#pool.query<KeyRow>({
      name: 'canto_page',
      text: `SELECT "key", "type", "value" FROM "prosody" WHERE ${SCOPE} AND ($4::text IS NULL OR "key" COLLATE "C" > $4) ORDER BY "key" COLLATE "C" LIMIT $5`,
      values: [s.host, s.user, s.store, after, limit],
    });
    return r.rows;
  }

  async archiveLatest(s: Scope): Promise<ArchiveRow | undefined> {
    try {
      const r = await this.#pool.query<ArchiveRow>({
        name: 'canto_archive_latest',
        text: `SELECT "key", "when", "with", "type", "value" FROM "prosodyarchive" WHERE ${SCOPE} ORDER BY "sort_id" DESC LIMIT 1`,
        values: [s.host, s.user, s.store],
      });
      const row = r.rows[0];
      // "when" may come back as a string (bigint on a table another tool made).
      return row && { ...row, when: Number(row.when) };
    } catch (err) {
      if (errorCode(err) === '42P01') return undefined; // undefined_table: sql_manage_tables = false and no archive
      throw err;
    }
  }

  async stores(host: string): Promise<string[]> {
    const r = await this.#pool.query<{ store: string }>({ name: 'canto_stores', text: 'SELECT DISTINCT "store" FROM "prosody" WHERE "host"=$1', values: [host] });
    return r.rows.map((row) => row.store);
  }

  async users(host: string, store: string): Promise<string[]> {
    const r = await this.#pool.query<{ user: string }>({ name: 'canto_users', text: `SELECT DISTINCT "user" FROM "prosody" WHERE "host"=$1 AND "store"=$2 AND "user" != ''`, values: [host, store] });
    return r.rows.map((row) => row.user);
  }

  async write(ops: readonly WriteOp[]): Promise<boolean[]> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.#connect();
      try {
        await client.query('BEGIN');
        const applied = await this.#apply(client, ops);
        await client.query('COMMIT');
        client.release();
        return applied;
      } catch (err) {
        if (!(await this.#failed(client, err, attempt))) throw err;
      }
    }
  }

  async lockedUpdate(s: Scope, key: string, compute: (row: Row | undefined) => { row: Row | null } | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.#connect();
      let computed = false;
      try {
        await client.query('BEGIN');
        await client.query({ name: 'canto_lock_one', text: 'SELECT pg_advisory_xact_lock($1::bigint)', values: [String(lockId(s.host, s.user, s.store, key))] });
        const r = await client.query<Row>({ name: 'canto_get', text: `SELECT "type", "value" FROM "prosody" WHERE ${SCOPE} AND "key"=$4 LIMIT 1`, values: [s.host, s.user, s.store, key] });
        computed = true;
        const change = compute(r.rows[0]);
        if (change) await this.#putAll(client, [{ ...s, puts: [{ key, row: change.row }] }]);
        await client.query('COMMIT');
        client.release();
        return;
      } catch (err) {
        if (!(await this.#failed(client, err, computed ? MAX_RETRIES : attempt))) throw err;
      }
    }
  }

  /**
   * keyval `update()`: the table's advisory lock (which every write of a keyval table takes)
   * held from the read through `compute` to the commit. No other lock is taken while it is held,
   * so it cannot deadlock and `compute` runs once.
   */
  async lockedTableUpdate(s: Scope, compute: (rows: KeyRow[]) => WriteOp | undefined): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const client = await this.#connect();
      let computed = false;
      try {
        await client.query('BEGIN');
        await client.query({ name: 'canto_lock_one', text: 'SELECT pg_advisory_xact_lock($1::bigint)', values: [String(lockId(s.host, s.user, s.store, null))] });
        const r = await client.query<KeyRow>({ name: 'canto_rows', text: `SELECT "key", "type", "value" FROM "prosody" WHERE ${SCOPE}`, values: [s.host, s.user, s.store] });
        computed = true;
        const op = compute(r.rows);
        if (op) {
          if (op.clear) await client.query({ name: 'canto_clear', text: `DELETE FROM "prosody" WHERE ${SCOPE}`, values: [op.host, op.user, op.store] });
          await this.#putAll(client, [op]);
        }
        await client.query('COMMIT');
        client.release();
        return;
      } catch (err) {
        // Once compute has run, a retry would run it again: only a failure before it is retried.
        if (!(await this.#failed(client, err, computed ? MAX_RETRIES : attempt))) throw err;
      }
    }
  }

  /** Roll back after an error; true when the transaction can simply run again. */
  async #failed(client: pg.PoolClient, err: unknown, attempt: number): Promise<boolean> {
    const code = errorCode(err);
    await client.query('ROLLBACK').catch(() => undefined);
    // A connection that failed mid-transaction is not given back to be reused.
    client.release(code === undefined || !/^[0-9A-Z]{5}$/.test(code) ? (err instanceof Error ? err : true) : undefined);
    return code !== undefined && RETRY_CODES.has(code) && attempt < MAX_RETRIES;
  }

  async #apply(client: pg.PoolClient, ops: readonly WriteOp[]): Promise<boolean[]> {
    const locks = new Set<bigint>();
    for (const op of ops) {
      if (op.clear || op.expectTable) locks.add(lockId(op.host, op.user, op.store, null));
      for (const p of op.puts) locks.add(lockId(op.host, op.user, op.store, p.key));
    }
    const ids = [...locks].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)).map(String);
    await client.query({ name: 'canto_lock', text: 'SELECT pg_advisory_xact_lock(id) FROM unnest($1::bigint[]) WITH ORDINALITY AS t(id, n) ORDER BY n', values: [ids] });

    const applied: boolean[] = [];
    let run: WriteOp[] = [];
    const flushRun = async () => {
      if (run.length) await this.#putAll(client, run);
      run = [];
    };
    for (const op of ops) {
      if (!op.expect && !op.clear && !op.expectTable && !op.purge) {
        run.push(op);
        applied.push(true);
        continue;
      }
      await flushRun();
      if (op.expect) {
        const r = await client.query<Row>({ name: 'canto_get', text: `SELECT "type", "value" FROM "prosody" WHERE ${SCOPE} AND "key"=$4 LIMIT 1`, values: [op.host, op.user, op.store, op.expect.key] });
        if (!sameRow(r.rows[0], op.expect.row)) {
          applied.push(false);
          continue;
        }
      }
      if (op.expectTable) {
        const r = await client.query<KeyRow>({ name: 'canto_rows', text: `SELECT "key", "type", "value" FROM "prosody" WHERE ${SCOPE}`, values: [op.host, op.user, op.store] });
        if (!sameRows(r.rows, op.expectTable)) {
          applied.push(false);
          continue;
        }
      }
      if (op.purge) {
        await client.query({ name: 'canto_purge', text: 'DELETE FROM "prosody" WHERE "host"=$1 AND "user"=$2', values: [op.host, op.user] });
        await client.query({ name: 'canto_purge_archive', text: 'DELETE FROM "prosodyarchive" WHERE "host"=$1 AND "user"=$2', values: [op.host, op.user] });
        applied.push(true);
        continue;
      }
      if (op.clear) await client.query({ name: 'canto_clear', text: `DELETE FROM "prosody" WHERE ${SCOPE}`, values: [op.host, op.user, op.store] });
      await this.#putAll(client, [op]);
      applied.push(true);
    }
    await flushRun();
    return applied;
  }

  /** Delete then insert every key of these ops, in one statement each; a later put of a key wins. */
  async #putAll(client: pg.PoolClient, ops: readonly WriteOp[]): Promise<void> {
    const last = new Map<string, { op: WriteOp; key: string; row: Row | null }>();
    for (const op of ops) for (const p of op.puts) last.set(JSON.stringify([op.host, op.user, op.store, p.key]), { op, key: p.key, row: p.row });
    const cols: string[][] = [[], [], [], []];
    const ins: string[][] = [[], [], [], [], [], []];
    for (const { op, key, row } of last.values()) {
      cols[0]!.push(op.host), cols[1]!.push(op.user), cols[2]!.push(op.store), cols[3]!.push(key);
      if (row) ins[0]!.push(op.host), ins[1]!.push(op.user), ins[2]!.push(op.store), ins[3]!.push(key), ins[4]!.push(row.type), ins[5]!.push(row.value);
    }
    await client.query({
      name: 'canto_delete_keys',
      text: 'DELETE FROM "prosody" p USING unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS d(h, u, s, k) WHERE p."host" = d.h AND p."user" = d.u AND p."store" = d.s AND p."key" = d.k',
      values: cols,
    });
    if (ins[0]!.length) {
      await client.query({
        name: 'canto_insert_rows',
        text: 'INSERT INTO "prosody" ("host", "user", "store", "key", "type", "value") SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])',
        values: ins,
      });
    }
  }

  async close(): Promise<void> {
    await this.#pool.end();
  }
}

export async function createPostgresEngine(params: SqlParams, ctx: DriverContext): Promise<PostgresEngine> {
  const { default: pg } = await import('pg');
  return new PostgresEngine(params, ctx, pg.Pool);
}
