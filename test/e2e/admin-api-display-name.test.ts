/**
 * display_name in GET /admin_api/users and /users/{username}: the XEP-0172 nick each user
 * published to PEP, read from the files and rows the real Prosody 0.12 wrote (mod_pep's `pep`
 * store and its `pep_<node>` archive on the driver of `pep_data`). A broken file or row is left
 * out with a warning, never a 5xx; deleting the user removes the nick with the rest of the
 * user's data. Every response is checked against the served openapi.json.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import t from 'tap';
import type { Test } from 'tap';
import { createKey, giveToServiceUser, request, runCtl, startCanto, testConfig, type CantoServer } from '../helpers/canto.js';
import { OpenApiChecker } from '../helpers/openapi.js';

const FIXTURES = fileURLToPath(new URL('../fixtures/prosody-0.12.3-pep/', import.meta.url));
const NICK = 'http://jabber.org/protocol/nick';
const STORE = `pep_${NICK}`;
const HOST_DIR = 'example%2ecom';
const LIST_DIR = join(HOST_DIR, 'pep_http%3a%2f%2fjabber%2eorg%2fprotocol%2fnick');
const node = (config = '{}') => `return {\n\t["${NICK}"] = {\n\t\t["name"] = "${NICK}";\n\t\t["config"] = ${config};\n\t\t["subscribers"] = {};\n\t\t["affiliations"] = {};\n\t};\n};\n`;
const listItem = (payload: string) => `item({\n${payload}\n\t["key"] = "current";\n\t["when"] = 1796221735;\n});\n`;

async function addUsers(dir: string, users: string[]): Promise<void> {
  for (const user of users) {
    const added = await runCtl(dir, ['adduser', `${user}@example.com`], { input: 'a-long-password\na-long-password\n' });
    if (added.code !== 0) throw new Error(added.stderr);
  }
}

/** An admin API client whose every answer is checked against openapi.json and is never a 5xx. */
async function adminClient(t: Test, server: CantoServer) {
  const admin = await createKey(server.dir, 'portal', '--scope', 'admin:users');
  const checker = new OpenApiChecker(JSON.parse((await request(server.url('/admin_api/openapi.json'))).body), '/admin_api');
  return async (method: string, path: string) => {
    const reply = await request(server.url(`/admin_api${path}`), { method, headers: { Authorization: `Bearer ${admin}` } });
    t.same(checker.problems(method, `/admin_api${path}`, reply.status, reply.headers['content-type'] as string | undefined, reply.body), [], `${method} ${path} ${reply.status} matches openapi.json`);
    t.ok(reply.status < 500, `${method} ${path}: no 5xx`);
    return reply;
  };
}

const names = (body: string) => Object.fromEntries((JSON.parse(body) as { username: string; display_name?: string }[]).map((u) => [u.username, u.display_name ?? null]));

t.test('internal storage: the nick from the list file Prosody wrote', async (t) => {
  const dir = t.testdir();
  const data = join(dir, 'data');
  cpSync(join(FIXTURES, 'internal'), data, { recursive: true });
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api', 'http_admin_api']), dir });
  await addUsers(dir, ['bob', 'carol', 'dave', 'erin', 'fay', 'gus']);
  const pep = (user: string, config?: string) => writeFileSync(join(data, HOST_DIR, 'pep', `${user}.dat`), node(config));
  const list = (user: string, text: string) => writeFileSync(join(data, LIST_DIR, `${user}.list`), text);
  // bob: no PEP at all. carol: a broken list file. dave: a node that does not persist items.
  pep('carol');
  list('carol', 'item({\n\t"Carol";\n\t["name"] = "nick";');
  pep('dave', '{\n\t\t\t["persist_items"] = false;\n\t\t}');
  list('dave', listItem(`\t"Dave";\n\t["name"] = "nick";\n\t["attr"] = { ["xmlns"] = "${NICK}"; };`));
  // erin: an item but no node (util.pubsub answers only for a node that exists).
  list('erin', listItem(`\t"Erin";\n\t["name"] = "nick";\n\t["attr"] = { ["xmlns"] = "${NICK}"; };`));
  // fay: a nick in another namespace. gus: Lua escapes, and an empty nick is still one.
  pep('fay');
  list('fay', listItem(`\t"Fay";\n\t["name"] = "nick";\n\t["attr"] = { ["xmlns"] = "urn:other"; };`));
  pep('gus');
  list('gus', listItem(`\t"Gus \\226\\152\\131 \\"G\\"";\n\t["name"] = "nick";\n\t["attr"] = { ["xmlns"] = "${NICK}"; };`));
  giveToServiceUser(data);
  const call = await adminClient(t, server);

  const all = await call('GET', '/users');
  t.equal(all.status, 200);
  t.same(names(all.body), { alice: 'Alice B', bob: null, carol: null, dave: null, erin: null, fay: null, gus: 'Gus ☃ "G"' });
  const alice = await call('GET', '/users/alice');
  t.same(JSON.parse(alice.body), { username: 'alice', display_name: 'Alice B', roles: [] });
  t.same(JSON.parse((await call('GET', '/users/bob')).body), { username: 'bob', roles: [] }, 'no nick: no display_name, as the Lua module');
  t.equal((await call('GET', '/users/carol')).status, 200, 'a broken file is no nick, not an error');
  t.match(await server.logged(/Skipping the broken archive of carol@example\.com in store pep_http:\/\/jabber\.org\/protocol\/nick/), /Skipping the broken archive of carol@example\.com in store pep_http:\/\/jabber\.org\/protocol\/nick/);

  list('gus', listItem(`\t"Gus";\n\t["name"] = "nick";\n\t["attr"] = { ["xmlns"] = "${NICK}"; };`) + listItem(`\t"Gus, later";\n\t["name"] = "nick";\n\t["attr"] = { ["xmlns"] = "${NICK}"; };`));
  giveToServiceUser(data);
  t.equal(JSON.parse((await call('GET', '/users/gus')).body).display_name, 'Gus, later', 'the newest item, read afresh');

  t.equal((await call('DELETE', '/users/alice')).status, 200);
  t.notOk(existsSync(join(data, LIST_DIR, 'alice.list')), "deleting the user removes the nick's items, as datamanager.purge");
  t.notOk(existsSync(join(data, HOST_DIR, 'pep', 'alice.dat')), 'and the PEP nodes');
  t.equal((await call('GET', '/users/alice')).status, 404);
});

t.test('sql: the nick from the prosodyarchive rows Prosody wrote, and pep_data picks the driver', async (t) => {
  for (const [name, storage] of [
    ['storage = "sql"', 'storage = "sql"'],
    ['only pep_data on sql', 'storage = { pep_data = "sql" }'],
  ] as const) {
    await t.test(name, async (t) => {
      const dir = t.testdir();
      const data = join(dir, 'data');
      mkdirSync(data, { recursive: true });
      copyFileSync(join(FIXTURES, 'sqlite', 'prosody.sqlite'), join(data, 'prosody.sqlite'));
      const allSql = storage === 'storage = "sql"';
      if (!allSql) {
        // Accounts and PEP nodes in files, the items in SQLite (alice's account came with the database).
        cpSync(join(FIXTURES, 'internal', HOST_DIR, 'pep'), join(data, HOST_DIR, 'pep'), { recursive: true });
      }
      const db = new Database(join(data, 'prosody.sqlite'));
      const add = db.prepare('INSERT INTO "prosodyarchive" ("host", "user", "store", "key", "when", "with", "type", "value") VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      add.run('example.com', 'bob', STORE, 'current', 1, '', 'xml', `<nick xmlns='${NICK}'>unclosed`);
      add.run('example.com', 'carol', STORE, 'current', 2, '', 'xml', `<nick xmlns='${NICK}'>Carol &amp; Co</nick>`);
      const nodeRow = db.prepare('SELECT "type", "value" FROM "prosody" WHERE "store" = \'pep\' AND "user" = \'alice\'').get() as { type: string; value: string };
      if (allSql) for (const user of ['bob', 'carol']) db.prepare('INSERT INTO "prosody" VALUES (?, ?, ?, ?, ?, ?)').run('example.com', user, 'pep', NICK, nodeRow.type, nodeRow.value);
      db.close();
      if (!allSql) for (const user of ['bob', 'carol']) writeFileSync(join(data, HOST_DIR, 'pep', `${user}.dat`), node());
      const config = testConfig(['invites', 'invites_api', 'http_admin_api'], `${storage}\nsql = { driver = "SQLite3", database = "prosody.sqlite" }`);
      const server = await startCanto(t, { config, dir });
      await addUsers(dir, allSql ? ['bob', 'carol'] : ['alice', 'bob', 'carol']);
      giveToServiceUser(data);
      const call = await adminClient(t, server);
      t.same(names((await call('GET', '/users')).body), { alice: 'Alice B', bob: null, carol: 'Carol & Co' });
      t.match(await server.logged(/Skipping the broken archive item 'current' of bob@example\.com in store pep_http:\/\/jabber\.org\/protocol\/nick: XML: /), /Skipping the broken archive item 'current' of bob@example\.com in store pep_http:\/\/jabber\.org\/protocol\/nick: XML: /);
      t.equal((await call('DELETE', '/users/carol')).status, 200);
      const after = new Database(join(data, 'prosody.sqlite'), { readonly: true });
      t.teardown(() => after.close());
      t.same(after.prepare('SELECT "user" FROM "prosodyarchive" ORDER BY "user"').all(), [{ user: 'alice' }, { user: 'bob' }], "deleting carol removed her archive rows, as mod_storage_sql's purge");
    });
  }
});
