/**
 * What the SQL driver needs from a database (SQLite or PostgreSQL): a few reads on the
 * `prosody` table and batches of writes, each batch one transaction (group commit).
 */
import type { Row } from './values.js';

/** (host, user, store): one user's table in one store; `user` is '' for host-level data. */
export interface Scope {
  readonly host: string;
  readonly user: string;
  readonly store: string;
}

/** One atomic change: applied whole or not at all. */
export interface WriteOp extends Scope {
  /** keyval `set`: delete every row of the scope first. */
  readonly clear?: boolean;
  /** `update()`: apply only if the key's row is still this one (null: still absent). */
  readonly expect?: { readonly key: string; readonly row: Row | null };
  /** keyval `update()`: apply only if the scope's rows are still exactly these (in `sortRows` order). */
  readonly expectTable?: readonly KeyRow[];
  /** Prosody's `driver:purge`: delete every row of (host, user) in every store; `store` is ignored. */
  readonly purge?: boolean;
  /** Each key is deleted, then inserted when `row` is not null (Prosody's delete + insert). */
  readonly puts: readonly { readonly key: string; readonly row: Row | null }[];
}

export interface KeyRow {
  readonly key: string;
  readonly type: string;
  readonly value: string;
}

/** One row of Prosody's `prosodyarchive` table. */
export interface ArchiveRow {
  readonly key: string;
  readonly when: number;
  readonly with: string;
  readonly type: string;
  readonly value: string;
}

export interface Engine {
  /** "SQLite3" or "PostgreSQL", as in the `sql` option. */
  readonly kind: string;
  /** Connect, create the tables when allowed, check they are there. */
  start(): Promise<void>;
  /** The key's first row (Prosody reads `LIMIT 1`). */
  get(scope: Scope, key: string): Promise<Row | undefined>;
  /** Every row of one user's table. */
  rows(scope: Scope): Promise<KeyRow[]>;
  /** Up to `limit` rows with keys after `after`, in key order (for streaming a large table). */
  page(scope: Scope, after: string | null, limit: number): Promise<KeyRow[]>;
  /**
   * The newest row of one user's archive in a store (Prosody's reverse find: `ORDER BY
   * "sort_id" DESC`, limit 1); undefined without one, or without the archive table.
   */
  archiveLatest(scope: Scope): Promise<ArchiveRow | undefined>;
  /** Stores with any row for the host. */
  stores(host: string): Promise<string[]>;
  /** Users with rows in a store, host-level ('') left out. */
  users(host: string, store: string): Promise<string[]>;
  /** One transaction for the batch; per op, whether it applied (false: `expect` did not hold). */
  write(ops: readonly WriteOp[]): Promise<boolean[]>;
  /**
   * A read-modify-write of one key in one transaction that holds the key's lock throughout, so
   * `compute` runs exactly once. `compute` gets the current row and returns the new one (null:
   * delete), or undefined to write nothing.
   */
  lockedUpdate?(scope: Scope, key: string, compute: (row: Row | undefined) => { row: Row | null } | undefined): Promise<void>;
  /** The same for a whole keyval table: `compute` gets its rows and returns the op to apply, or undefined. */
  lockedTableUpdate?(scope: Scope, compute: (rows: KeyRow[]) => WriteOp | undefined): Promise<void>;
  /** Get ready to write without waiting for the first write (SQLite: start the writer thread). */
  warm?(): void;
  /** How many batches may be in flight at once. */
  readonly parallelWrites: number;
  /**
   * Whether a batch stops waiting for the callers the last one answered once they turn out to
   * take longer than a commit (CommitGather's `adapt`), or always waits for them.
   */
  readonly adaptiveGather: boolean;
  close(): Promise<void>;
}

/** Whether the row found is the one `update()` read (absent read as absent). */
export function sameRow(found: Row | undefined, expected: Row | null): boolean {
  return found === undefined ? expected === null : expected !== null && found.type === expected.type && found.value === expected.value;
}

/** Prosody's DDL for the `prosody` table (util/sql.lua, mod_storage_sql.lua create_table). */
export const PROSODY_TABLE =
  'CREATE TABLE IF NOT EXISTS "prosody" ("host" TEXT NOT NULL, "user" TEXT NOT NULL, "store" TEXT NOT NULL, "key" TEXT NOT NULL, "type" TEXT NOT NULL, "value" TEXT NOT NULL);';
export const PROSODY_INDEX = 'CREATE INDEX IF NOT EXISTS "prosody_index" ON "prosody" ("host", "user", "store", "key");';

/** The archive table Prosody creates beside it, so a database Canto made is one Prosody expects. */
export function archiveTable(serial: 'INTEGER PRIMARY KEY AUTOINCREMENT' | 'BIGSERIAL PRIMARY KEY'): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS "prosodyarchive" ("sort_id" ${serial}, "host" TEXT NOT NULL, "user" TEXT NOT NULL, "store" TEXT NOT NULL, "key" TEXT NOT NULL, "when" INTEGER NOT NULL, "with" TEXT NOT NULL, "type" TEXT NOT NULL, "value" TEXT NOT NULL);`,
    'CREATE UNIQUE INDEX IF NOT EXISTS "prosodyarchive_index" ON "prosodyarchive" ("host", "user", "store", "key");',
    'CREATE INDEX IF NOT EXISTS "prosodyarchive_with_when" ON "prosodyarchive" ("host", "user", "store", "with", "when");',
    'CREATE INDEX IF NOT EXISTS "prosodyarchive_when" ON "prosodyarchive" ("host", "user", "store", "when");',
    'CREATE INDEX IF NOT EXISTS "prosodyarchive_sort" ON "prosodyarchive" ("host", "user", "store", "sort_id");',
  ];
}

/** Rows in one fixed order, so two reads of the same table compare equal. */
export function sortRows(rows: readonly KeyRow[]): KeyRow[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...rows].sort((a, b) => cmp(a.key, b.key) || cmp(a.type, b.type) || cmp(a.value, b.value));
}

/** Whether a table's rows are still the ones `update()` read. */
export function sameRows(found: readonly KeyRow[], expected: readonly KeyRow[]): boolean {
  if (found.length !== expected.length) return false;
  const sorted = sortRows(found);
  return sorted.every((r, i) => r.key === expected[i]!.key && r.type === expected[i]!.type && r.value === expected[i]!.value);
}
