/**
 * display_name with the real Prosody 0.12 on the same data: a user logs in to Prosody over c2s
 * and publishes a nick to PEP (XEP-0172), and Canto's admin API shows it; a new nick shows at
 * the next request; deleting the user over the admin API removes the nick too, and Prosody then
 * refuses the login. On Prosody's files, on one SQLite file, with only `pep_data` on SQLite (the
 * store name mod_pep picks its archive driver by), and on PostgreSQL. Skipped with a note where
 * Prosody or its LuaDBI driver is missing (CI has them).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import type { Test } from 'tap';
import { createKey, request, runCtl, startCanto } from '../helpers/canto.js';
import { OpenApiChecker } from '../helpers/openapi.js';
import { freshDatabase, havePostgres } from '../helpers/postgres.js';
import { c2sConfig, freePort, PROSODY, startProsody, XmppClient } from '../helpers/prosody.js';

const DBI = '/usr/lib/x86_64-linux-gnu/lua/5.4/dbd';
const NICK = 'http://jabber.org/protocol/nick';
const publish = (id: string, nick: string) =>
  `<iq type='set' id='${id}'><pubsub xmlns='http://jabber.org/protocol/pubsub'><publish node='${NICK}'><item id='current'><nick xmlns='${NICK}'>${nick}</nick></item></publish></pubsub></iq>`;

async function nickRoundTrip(t: Test, storage: string[]): Promise<void> {
  const dir = t.testdir();
  const c2s = await freePort();
  const shared = [
    `data_path = ${JSON.stringify(join(dir, 'data'))}`,
    `pidfile = ${JSON.stringify(join(dir, 'prosody.pid'))}`,
    // The real Prosody runs as root (run_as_root); Canto shares its data as the same user.
    'run_as_root = true',
    ...storage,
  ];
  const prosodyConfig = c2sConfig(shared, c2s, ['saslauth', 'roster', 'disco', 'pep']);
  const cantoConfig = [...shared, 'http_ports = { 0 }', 'https_ports = { }', 'http_default_host = "example.com"', 'modules_enabled = { "invites", "invites_api", "http_admin_api" }', 'VirtualHost "example.com"', ''].join('\n');
  // Canto first: on SQL it makes Prosody's tables.
  const server = await startCanto(t, { config: cantoConfig, dir, files: { 'prosody-real.cfg.lua': prosodyConfig, 'certs/.keep': '' } });
  for (const user of ['alice', 'bob']) {
    const added = await runCtl(dir, ['adduser', `${user}@example.com`], { input: 'alice-password\nalice-password\n' });
    if (added.code !== 0) throw new Error(added.stderr);
  }
  const key = await createKey(dir, 'portal', '--scope', 'admin:users');
  const checker = new OpenApiChecker(JSON.parse((await request(server.url('/admin_api/openapi.json'))).body), '/admin_api');
  const call = async (method: string, path: string) => {
    const reply = await request(server.url(`/admin_api${path}`), { method, headers: { Authorization: `Bearer ${key}` } });
    t.same(checker.problems(method, `/admin_api${path}`, reply.status, reply.headers['content-type'] as string | undefined, reply.body), [], `${method} ${path} ${reply.status} matches openapi.json`);
    return reply;
  };
  await startProsody(t, join(dir, 'prosody-real.cfg.lua'), dir);

  t.same(JSON.parse((await call('GET', '/users/alice')).body), { username: 'alice', roles: [] }, 'no nick published yet: no display_name');
  const alice = await XmppClient.login(c2s, 'example.com', 'alice', 'alice-password', { bind: true });
  if (alice === 'failure') throw new Error('alice could not log in to Prosody');
  t.teardown(() => alice.close());
  t.match(await alice.iq(publish('pub1', 'Alice &amp; Co ☃'), 'pub1'), /type=['"]result['"]/, 'Prosody stored the nick');
  t.same(JSON.parse((await call('GET', '/users/alice')).body), { username: 'alice', display_name: 'Alice & Co ☃', roles: [] }, 'Canto shows the nick Prosody stored');
  t.match(await alice.iq(publish('pub2', 'Alice B'), 'pub2'), /type=['"]result['"]/);
  const users = JSON.parse((await call('GET', '/users')).body) as unknown[];
  t.same(users, [{ username: 'alice', display_name: 'Alice B', roles: [] }, { username: 'bob', roles: [] }], 'the new nick at the next request; bob has none');

  alice.close();
  t.equal((await call('DELETE', '/users/alice')).status, 200);
  t.equal((await call('GET', '/users/alice')).status, 404);
  t.equal(await XmppClient.login(c2s, 'example.com', 'alice', 'alice-password'), 'failure', 'Prosody no longer knows alice');
  if (!storage.length) t.notOk(existsSync(join(dir, 'data', 'example%2ecom', 'pep_http%3a%2f%2fjabber%2eorg%2fprotocol%2fnick', 'alice.list')), 'her PEP items are gone');
}

const sqlite = ['sql = { driver = "SQLite3", database = "prosody.sqlite" }'];
if (!existsSync(PROSODY)) {
  if (process.env.CI) t.fail('prosody is missing: .ci/run should have installed it');
  else t.plan(0, 'the real Prosody is not installed (apt-get install prosody)');
} else {
  t.test("on Prosody's files", (t) => nickRoundTrip(t, []));
  const haveSqlite = existsSync(join(DBI, 'sqlite3.so'));
  t.test('on one SQLite file', { skip: !haveSqlite && 'lua-dbi-sqlite3 is not installed' }, (t) => nickRoundTrip(t, ['storage = "sql"', ...sqlite]));
  t.test('with only pep_data on SQLite', { skip: !haveSqlite && 'lua-dbi-sqlite3 is not installed' }, (t) => nickRoundTrip(t, ['storage = { pep_data = "sql" }', ...sqlite]));
  t.test('on one PostgreSQL database', { skip: !existsSync(join(DBI, 'postgresql.so')) && 'lua-dbi-postgresql is not installed' }, async (t) => {
    if (!havePostgres(t)) return;
    const target = await freshDatabase(t);
    await nickRoundTrip(t, ['storage = "sql"', `sql = { driver = "PostgreSQL", host = ${JSON.stringify(target.host)}, username = ${JSON.stringify(target.username)}, database = ${JSON.stringify(target.database)} }`]);
  });
}
