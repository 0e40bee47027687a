/**
 * The web-registration round trip of register-prosody.test.ts with Canto and the real Prosody
 * 0.12 on one PostgreSQL database (Debian's lua-dbi-postgresql; the cluster from
 * test/helpers/pg-cluster.sh). Without them the test is skipped with a note (CI has both).
 */
import { existsSync } from 'node:fs';
import pg from 'pg';
import t from 'tap';
import { freshDatabase, havePostgres } from '../helpers/postgres.js';
import { PROSODY } from '../helpers/prosody.js';
import { registrationRoundTrip } from '../helpers/register-prosody.js';

const LUA_DBI = '/usr/lib/x86_64-linux-gnu/lua/5.4/dbd/postgresql.so';
const ACCOUNT_ROWS = `SELECT "user", "key" FROM "prosody" WHERE "host" = 'example.com' AND "store" = 'accounts' AND "user" = 'newcomer' ORDER BY "key"`;
const KEYS = ['iteration_count', 'salt', 'server_key', 'stored_key'];

const missing = [PROSODY, LUA_DBI].filter((p) => !existsSync(p));
if (missing.length) {
  if (process.env.CI) t.fail(`missing ${missing.join(', ')}: .ci/run should have installed prosody and lua-dbi-postgresql`);
  else t.plan(0, 'the real Prosody with LuaDBI is not installed (apt-get install prosody lua-dbi-postgresql)');
} else {
  t.test('on one PostgreSQL database', async (t) => {
    if (!havePostgres(t)) return;
    const target = await freshDatabase(t);
    const sql = `sql = { driver = "PostgreSQL", host = ${JSON.stringify(target.host)}, username = ${JSON.stringify(target.username)}, database = ${JSON.stringify(target.database)} }`;
    await registrationRoundTrip(t, t.testdir(), ['storage = "sql"', sql]);
    const client = new pg.Client({ host: target.host, user: target.username, database: target.database });
    await client.connect();
    t.teardown(() => client.end());
    const rows = (await client.query<{ key: string }>(ACCOUNT_ROWS)).rows;
    t.same(rows.map((r) => r.key).filter((k) => KEYS.includes(k)), KEYS, 'the account is rows of Prosody\'s table');
    t.notOk(rows.some((r) => r.key === 'password'), 'no plaintext password stored');
  });
}
