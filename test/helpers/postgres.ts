/**
 * The PostgreSQL the tests use: the throwaway cluster of test/helpers/pg-cluster.sh, found
 * through CANTO_TEST_PG_HOST (its socket folder) and CANTO_TEST_PG_USER. Without it the
 * PostgreSQL tests are skipped with a note; in CI (CI=true) that is a failure instead.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';

export interface PgTarget {
  host: string;
  username: string;
  database: string;
}

type Test = { teardown(fn: () => unknown): void; fail(msg: string): void; plan(n: number, why: string): void };

export const PG_HOST = process.env.CANTO_TEST_PG_HOST;
export const PG_USER = process.env.CANTO_TEST_PG_USER ?? 'postgres';

/** Whether the PostgreSQL tests can run; if not, marks `t` skipped (or failed under CI) and says why. */
export function havePostgres(t: Test): boolean {
  if (PG_HOST) return true;
  if (process.env.CI) t.fail('CI=true but no PostgreSQL: .ci/run should have started one with test/helpers/pg-cluster.sh');
  else t.plan(0, 'no PostgreSQL for the tests: run `eval "$(test/helpers/pg-cluster.sh start)"` first (see README, Storage)');
  return false;
}

/** A new, empty database on the test cluster, dropped at teardown. */
export async function freshDatabase(t: Test): Promise<PgTarget> {
  const database = `canto_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ host: PG_HOST, user: PG_USER, database: 'postgres' });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  t.teardown(async () => {
    const c = new pg.Client({ host: PG_HOST, user: PG_USER, database: 'postgres' });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await c.end();
  });
  return { host: PG_HOST!, username: PG_USER, database };
}

/** The `sql` option for a database of the test cluster. */
export function sqlOption(target: PgTarget): Record<string, string> {
  return { driver: 'PostgreSQL', host: target.host, username: target.username, database: target.database };
}
