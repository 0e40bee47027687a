/**
 * `ctl migrate HOST FROM TO`, as prosody-migrator: every store of a host from the internal
 * files to the SQL database and back, idempotent, verified, refusing to overwrite a target that
 * already holds different data. Starts from what the real Prosody wrote.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { parseData } from '../../runtime/storage/lua-data.js';
import { copyFixtures, FIXTURES, runCtl, testConfig, writeFiles } from '../helpers/canto.js';

const SQL = 'sql = { driver = "SQLite3", database = "prosody.sqlite" }';
const config = (storage: string) => testConfig(['invites', 'invites_api'], `storage = "${storage}"\n${SQL}`);

t.test('internal to sql and back: copied, verified, idempotent', async (t) => {
  const root = t.testdir();
  const [dir, sqlDir, back] = ['files', 'sql', 'back'].map((name) => join(root, name)) as [string, string, string];
  writeFiles(dir, { 'prosody.cfg.lua': config('internal') });
  writeFiles(sqlDir, { 'prosody.cfg.lua': config('sql') });
  writeFiles(back, { 'prosody.cfg.lua': config('internal') });
  copyFixtures(join(FIXTURES, 'prosody-0.12.3', 'internal'), join(dir, 'data'));
  const before = await runCtl(dir, ['mod_invites_api', 'list', 'example.com']);

  const first = await runCtl(dir, ['migrate', 'example.com', 'internal', 'sql']);
  t.equal(first.code, 0, first.stderr);
  t.match(
    first.stdout,
    /^accounts: 1 record copied, 0 already there\ninvite_api_keys: 1 record copied, 0 already there\ninvite_token: 2 records copied, 0 already there\nMigrated example.com from internal to sql: 4 records copied, 0 already there; all 4 records \(\d+ keys\) verified\n$/,
  );
  const db = new Database(join(dir, 'data', 'prosody.sqlite'), { readonly: true });
  const rows = db.prepare<[], { user: string; store: string; key: string; type: string; value: string }>('SELECT "user", "store", "key", "type", "value" FROM "prosody" ORDER BY 1, 2, 3').all();
  db.close();
  t.strictSame(rows.find((r) => r.store === 'accounts' && r.key === 'iteration_count'), { user: 'alice', store: 'accounts', key: 'iteration_count', type: 'number', value: '10000' }, 'one row per key, as Prosody writes');
  t.strictSame(rows.find((r) => r.store === 'invite_token' && r.user === 'alice'), { user: 'alice', store: 'invite_token', key: 'pEwipQvv-eBQ-HXgywhqPmI4', type: 'number', value: '1795953219' });
  t.equal(rows.filter((r) => r.store === 'invite_token' && r.user === '').length, 6, 'every host-level invite, user ""');

  const again = await runCtl(dir, ['migrate', 'example.com', 'internal', 'sql']);
  t.equal(again.code, 0, again.stderr);
  t.match(again.stdout, 'Migrated example.com from internal to sql: 0 records copied, 4 already there; all 4 records', 'running it again changes nothing');

  // The same data now answers through the sql driver.
  copyFixtures(join(dir, 'data', 'prosody.sqlite'), join(sqlDir, 'data', 'prosody.sqlite'));
  const after = await runCtl(sqlDir, ['mod_invites_api', 'list', 'example.com']);
  t.equal(after.stdout, before.stdout, 'ctl lists the same keys from SQL as from the files');

  copyFixtures(join(dir, 'data', 'prosody.sqlite'), join(back, 'data', 'prosody.sqlite'));
  const returned = await runCtl(back, ['migrate', 'example.com', 'sql', 'internal']);
  t.equal(returned.code, 0, returned.stderr);
  const original = parseData(readFileSync(join(dir, 'data', 'example%2ecom', 'invite_token.dat'), 'utf8'), 'original');
  const copied = parseData(readFileSync(join(back, 'data', 'example%2ecom', 'invite_token.dat'), 'utf8'), 'copied');
  t.strictSame(copied, original, 'back to files: the same invites');
});

t.test('a target holding different data is refused, and nothing is written', async (t) => {
  const dir = t.testdir({ 'prosody.cfg.lua': config('internal') });
  copyFixtures(join(FIXTURES, 'prosody-0.12.3', 'internal'), join(dir, 'data'));
  t.equal((await runCtl(dir, ['migrate', 'example.com', 'internal', 'sql'])).code, 0);
  const db = new Database(join(dir, 'data', 'prosody.sqlite'));
  db.prepare(`UPDATE "prosody" SET "value" = '1' WHERE "store" = 'invite_token' AND "user" = 'alice'`).run();
  db.prepare(`DELETE FROM "prosody" WHERE "store" = 'accounts'`).run();
  db.close();
  const refused = await runCtl(dir, ['migrate', 'example.com', 'internal', 'sql']);
  t.equal(refused.code, 1);
  t.equal(refused.stdout, '');
  t.equal(refused.stderr, "Error: the sql storage of example.com already holds different data for 1 record; nothing was copied:\n  invite_token user 'alice' (keys pEwipQvv-eBQ-HXgywhqPmI4)\n");
  const check = new Database(join(dir, 'data', 'prosody.sqlite'), { readonly: true });
  t.equal(check.prepare<[], { n: number }>(`SELECT COUNT(*) AS n FROM "prosody" WHERE "store" = 'accounts'`).get()?.n, 0, 'the missing record was not copied either');
  check.close();
});

t.test('misuse prints usage and exits 2', async (t) => {
  const dir = t.testdir({ 'prosody.cfg.lua': config('internal') });
  const r = await runCtl(dir, ['migrate', 'example.com', 'internal', 'mysql']);
  t.equal(r.code, 2);
  t.match(r.stderr, /^ctl: unknown storage driver 'mysql' \(expected internal or sql\)\nUsage: ctl migrate HOST FROM TO/);
  const same = await runCtl(dir, ['migrate', 'example.com', 'sql', 'sql']);
  t.equal(same.code, 2);
  const host = await runCtl(dir, ['migrate', 'nosuch.example', 'internal', 'sql']);
  t.equal(host.code, 1);
  t.equal(host.stderr, 'Error: please supply a valid host\n');
});
