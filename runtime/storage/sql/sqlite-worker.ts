/**
 * The SQLite writer, in a worker thread so that a commit (and its fsync) never stalls the
 * event loop. It owns one connection; each `write` message is one `BEGIN IMMEDIATE`
 * transaction holding a whole batch (group commit). `update()` is a `lock` (BEGIN IMMEDIATE
 * and the read) and a `finish` (the write and COMMIT, or ROLLBACK) with the caller's function
 * run on the main thread in between, so it runs once and no other writer of any process can
 * slip in. `synchronous = FULL` in WAL mode syncs the
 * log on every commit, so a batch is durable when its reply is sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { Scope, WriteOp } from './engine.js';
import { archiveTable, PROSODY_INDEX, PROSODY_TABLE, sameRow, sameRows } from './engine.js';
import type { KeyRow } from './engine.js';
import type { Row } from './values.js';

export interface WorkerSetup {
  readonly database: string;
  readonly manageTables: boolean;
  readonly busyTimeoutMs: number;
  /** How long a `lock` may wait for its `finish` before the worker rolls it back. */
  readonly lockHoldMs: number;
}

export type WorkerRequest =
  | { id: number; kind: 'write'; ops: readonly WriteOp[] }
  /** Take the write lock (BEGIN IMMEDIATE) and read the key's row (key null: every row of the scope); the reply carries the rows. */
  | { id: number; kind: 'lock'; scope: Scope; key: string | null }
  /** End the transaction `lock` opened: write `op` and COMMIT, or with no op ROLLBACK. */
  | { id: number; kind: 'finish'; lock: number; op?: WriteOp }
  | { id: number; kind: 'close' };
export type WorkerReply = { id: number; ok: true; applied?: boolean[]; rows?: KeyRow[] } | { id: number; ok: false; error: string; code?: string };
/** First message: the connection is up and the tables are there, or why not. */
export type WorkerHello = { ok: true } | { ok: false; error: string; code?: string };

const setup = workerData as WorkerSetup;
const port = parentPort!;

function failure(err: unknown): { error: string; code?: string } {
  const code = typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'string' ? err.code : undefined;
  return { error: err instanceof Error ? err.message : String(err), ...(code !== undefined && { code }) };
}

function open(): Database.Database {
  const db = new Database(setup.database, { fileMustExist: false, timeout: setup.busyTimeoutMs });
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  if (setup.manageTables) {
    db.exec(PROSODY_TABLE + PROSODY_INDEX + archiveTable('INTEGER PRIMARY KEY AUTOINCREMENT').join(''));
  } else if (!db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'prosody'").get()) {
    throw Object.assign(new Error("the table 'prosody' does not exist and sql_manage_tables = false"), { code: 'CANTO_NO_TABLE' });
  }
  return db;
}

let db: Database.Database;
try {
  db = open();
  port.postMessage({ ok: true } satisfies WorkerHello);
} catch (err) {
  port.postMessage({ ok: false, ...failure(err) } satisfies WorkerHello);
  process.exit(0);
}

const getOne = db.prepare<[string, string, string, string], Row>('SELECT "type", "value" FROM "prosody" WHERE "host"=? AND "user"=? AND "store"=? AND "key"=? LIMIT 1');
const deleteKey = db.prepare('DELETE FROM "prosody" WHERE "host"=? AND "user"=? AND "store"=? AND "key"=?');
const deleteAll = db.prepare('DELETE FROM "prosody" WHERE "host"=? AND "user"=? AND "store"=?');
const getAll = db.prepare<[string, string, string], KeyRow>('SELECT "key", "type", "value" FROM "prosody" WHERE "host"=? AND "user"=? AND "store"=?');
const purgeUser = db.prepare('DELETE FROM "prosody" WHERE "host"=? AND "user"=?');
const purgeArchive = db.prepare('DELETE FROM "prosodyarchive" WHERE "host"=? AND "user"=?');
const insert = db.prepare('INSERT INTO "prosody" ("host","user","store","key","type","value") VALUES (?,?,?,?,?,?)');

function applyOp(op: WriteOp): boolean {
  if (op.expect && !sameRow(getOne.get(op.host, op.user, op.store, op.expect.key), op.expect.row)) return false;
  if (op.expectTable && !sameRows(getAll.all(op.host, op.user, op.store), op.expectTable)) return false;
  if (op.purge) {
    purgeUser.run(op.host, op.user);
    purgeArchive.run(op.host, op.user);
    return true;
  }
  if (op.clear) deleteAll.run(op.host, op.user, op.store);
  for (const p of op.puts) {
    if (!op.clear) deleteKey.run(op.host, op.user, op.store, p.key);
    if (p.row) insert.run(op.host, op.user, op.store, p.key, p.row.type, p.row.value);
  }
  return true;
}

const applyBatch = db.transaction((ops: readonly WriteOp[]): boolean[] => ops.map(applyOp));
const begin = db.prepare('BEGIN IMMEDIATE');
const commit = db.prepare('COMMIT');
const rollback = db.prepare('ROLLBACK');

/**
 * The transaction a `lock` holds open until its `finish`. Messages that come meanwhile wait
 * in `held.waiting`, so nothing else runs inside it; a `finish` that does not come within
 * lockHoldMs is rolled back, so a stuck caller never holds every other writer up.
 */
interface Held {
  readonly lock: number;
  readonly timer: NodeJS.Timeout;
  readonly waiting: WorkerRequest[];
}
let held: Held | undefined;
/** `held` as it is now (a handled message may have taken the lock again). */
const holder = (): Held | undefined => held;

function release(): void {
  const was = held!;
  clearTimeout(was.timer);
  held = undefined;
  if (db.inTransaction) rollback.run();
  for (let msg = was.waiting.shift(); msg; msg = was.waiting.shift()) {
    const next = holder();
    if (next) {
      next.waiting.push(msg, ...was.waiting.splice(0));
      return;
    }
    handle(msg);
  }
}

function reply(msg: WorkerReply): void {
  port.postMessage(msg);
}

function handle(msg: WorkerRequest): void {
  if (held && !(msg.kind === 'finish' && msg.lock === held.lock)) {
    held.waiting.push(msg);
    return;
  }
  switch (msg.kind) {
    case 'close':
      db.close();
      reply({ id: msg.id, ok: true });
      port.close();
      return;
    case 'write':
      try {
        reply({ id: msg.id, ok: true, applied: applyBatch.immediate(msg.ops) });
      } catch (err) {
        reply({ id: msg.id, ok: false, ...failure(err) });
      }
      return;
    case 'lock': {
      let rows: KeyRow[];
      try {
        begin.run(); // waits up to busyTimeoutMs for another process's writer
        const { host, user, store } = msg.scope;
        rows = msg.key === null ? getAll.all(host, user, store) : getOne.all(host, user, store, msg.key).map((r) => ({ key: msg.key!, ...r }));
      } catch (err) {
        if (db.inTransaction) rollback.run();
        reply({ id: msg.id, ok: false, ...failure(err) });
        return;
      }
      held = { lock: msg.id, waiting: [], timer: setTimeout(release, setup.lockHoldMs) };
      reply({ id: msg.id, ok: true, rows });
      return;
    }
    case 'finish': {
      if (!held) {
        reply({ id: msg.id, ok: false, error: `the update held the write lock longer than ${setup.lockHoldMs} ms and was rolled back` });
        return;
      }
      try {
        if (msg.op) {
          applyOp(msg.op);
          commit.run();
        }
        reply({ id: msg.id, ok: true, applied: [msg.op !== undefined] });
      } catch (err) {
        reply({ id: msg.id, ok: false, ...failure(err) });
      }
      release(); // rolls back what was not committed
      return;
    }
  }
}

port.on('message', handle);
