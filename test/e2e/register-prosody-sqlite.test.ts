/**
 * The web-registration round trip of register-prosody.test.ts with Canto and the real Prosody
 * 0.12 on one SQLite file (Debian's lua-dbi-sqlite3). Without it the test is skipped with a
 * note (CI installs it).
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { PROSODY } from '../helpers/prosody.js';
import { registrationRoundTrip } from '../helpers/register-prosody.js';

const LUA_DBI = '/usr/lib/x86_64-linux-gnu/lua/5.4/dbd/sqlite3.so';
const ACCOUNT_ROWS = `SELECT "user", "key" FROM "prosody" WHERE "host" = 'example.com' AND "store" = 'accounts' AND "user" = 'newcomer' ORDER BY "key"`;
const KEYS = ['iteration_count', 'salt', 'server_key', 'stored_key'];

const missing = [PROSODY, LUA_DBI].filter((p) => !existsSync(p));
if (missing.length) {
  if (process.env.CI) t.fail(`missing ${missing.join(', ')}: .ci/run should have installed prosody and lua-dbi-sqlite3`);
  else t.plan(0, 'the real Prosody with LuaDBI is not installed (apt-get install prosody lua-dbi-sqlite3)');
} else {
  t.test('on one SQLite file', async (t) => {
    const dir = t.testdir();
    mkdirSync(join(dir, 'data'), { recursive: true });
    await registrationRoundTrip(t, dir, ['storage = "sql"', 'sql = { driver = "SQLite3", database = "prosody.sqlite" }']);
    const db = new Database(join(dir, 'data', 'prosody.sqlite'), { readonly: true });
    t.teardown(() => db.close());
    const rows = db.prepare<[], { key: string }>(ACCOUNT_ROWS).all();
    t.same(rows.map((r) => r.key).filter((k) => KEYS.includes(k)), KEYS, 'the account is rows of Prosody\'s table');
    t.notOk(rows.some((r) => r.key === 'password'), 'no plaintext password stored');
  });
}
