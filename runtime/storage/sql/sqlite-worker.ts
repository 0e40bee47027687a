/**
 * The SQLite writer, in a worker thread so that a commit (and its fsync) never stalls the
 * event loop. It owns one connection; each `write` message is one `BEGIN IMMEDIATE`
 * transaction holding a whole batch (group commit). `synchronous = FULL` in WAL mode syncs the
 * log on every commit, so a batch is durable when its reply is sent.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import type { WriteOp } from './engine.js';
import { archiveTable, PROSODY_INDEX, PROSODY_TABLE, sameRow, sameRows } from './engine.js';
import type { KeyRow } from './engine.js';
import type { Row } from './values.js';

export interface WorkerSetup {
  readonly database: string;
  readonly manageTables: boolean;
  readonly busyTimeoutMs: number;
}

export type WorkerRequest = { id: number; kind: 'write'; ops: readonly WriteOp[] } | { id: number; kind: 'close' };
export type WorkerReply = { id: number; ok: true; applied?: boolean[] } | { id: number; ok: false; error: string; code?: string };
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

const applyBatch = db.transaction((ops: readonly WriteOp[]): boolean[] =>
  ops.map((op) => {
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
  }),
);

port.on('message', (msg: WorkerRequest) => {
  if (msg.kind === 'close') {
    db.close();
    port.postMessage({ id: msg.id, ok: true } satisfies WorkerReply);
    port.close();
    return;
  }
  try {
    const applied = applyBatch.immediate(msg.ops);
    port.postMessage({ id: msg.id, ok: true, applied } satisfies WorkerReply);
  } catch (err) {
    port.postMessage({ id: msg.id, ok: false, ...failure(err) } satisfies WorkerReply);
  }
});
