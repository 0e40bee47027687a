/**
 * Rows written straight into a SQLite database on Prosody's schema, as the real Prosody would
 * have left them: for tests and benchmarks that need a large store before Canto starts.
 */
import { randomBytes } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import Database from 'better-sqlite3';
import { PROSODY_INDEX, PROSODY_TABLE } from '../../runtime/storage/sql/engine.js';

/** host, user, store, key, type, value: one row of table `prosody`. */
export type ProsodyRow = [host: string, user: string, store: string, key: string, type: string, value: string];

/** The fields of an account invite as mod_invites stores one; `extra` overrides or adds. */
export function inviteValue(host: string, token: string, createdAt: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { type: 'register', jid: host, token, allow_registration: true, uri: `xmpp:${host}?register;preauth=${token}`, created_at: createdAt, expires: createdAt + 7 * 86400, ...extra };
}

/** A host-level invite_token row with a fresh token (the value's fields from `inviteValue`). */
export function inviteRow(host: string, createdAt: number, extra: Record<string, unknown> = {}): ProsodyRow {
  const token = randomBytes(18).toString('base64url');
  return [host, '', 'invite_token', token, 'json', JSON.stringify(inviteValue(host, token, createdAt, extra))];
}

/**
 * Make `file` (0640) a WAL database with Prosody's table and index, and insert `count` rows from
 * `row(i)` in one transaction.
 */
export function fillSqlite(file: string, count: number, row: (i: number) => ProsodyRow): void {
  closeSync(openSync(file, 'a', 0o640));
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(PROSODY_TABLE + PROSODY_INDEX);
    const insert = db.prepare('INSERT INTO "prosody" ("host","user","store","key","type","value") VALUES (?,?,?,?,?,?)');
    db.transaction(() => {
      for (let i = 0; i < count; i++) insert.run(...row(i));
    })();
  } finally {
    db.close();
  }
}
