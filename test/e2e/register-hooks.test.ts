/**
 * What module authors and app lists change about web registration, on the real server: a
 * `user-registering` handler that refuses (form and JSON API), and an app's
 * `login_link_format`, which Prosody fills in with the password and Canto never does.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FIXTURES, request, runCtl, startCanto, testConfig } from '../helpers/canto.js';
import { generateInvite, submitForm } from '../helpers/register.js';

const MODULES = ['invites', 'invites_page', 'register_apps', 'invites_register_web', 'invites_register_api'];
const account = (dir: string, user: string) => join(dir, 'data', 'example%2ecom', 'accounts', `${user}.dat`);

t.test('a user-registering handler that refuses stops the registration with its reason, on the form and the API; nothing is created', async (t) => {
  const plugins = `plugin_paths = { ${JSON.stringify(join(FIXTURES, 'plugins'))} }`;
  const server = await startCanto(t, { config: testConfig([...MODULES, 'refuse_registration'], plugins) });
  const token = await generateInvite(server.dir, 'example.com');
  const refused = await submitForm(server, token, { user: 'Reserved-Bob', password: 'long-enough-pw' });
  t.equal(refused.status, 403);
  t.match(refused.body, '<p class="alert alert-danger" role="alert" id="form-message">The name &lt;reserved-bob&gt; is reserved for the staff.</p>', 'the reason, escaped, above the form');
  t.match(refused.body, 'value="Reserved-Bob"', 'the form keeps the username');
  t.notMatch(refused.body, 'long-enough-pw', 'never the password');
  t.notOk(existsSync(account(server.dir, 'reserved-bob')), 'no account');

  const json = await request(server.url('/register_api/register'), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: JSON.stringify({ username: 'reserved-ann', password: 'long-enough-pw', token }),
  });
  t.equal(json.status, 403);
  t.same(JSON.parse(json.body), { type: 'auth', condition: 'forbidden', text: 'The name <reserved-ann> is reserved for the staff.' });
  t.notOk(existsSync(account(server.dir, 'reserved-ann')), 'no account');

  const list = await runCtl(server.dir, ['mod_invites', 'list', 'example.com']);
  t.match(list.stdout, `${token}\tregister\t`, 'the invite is still pending');
  const ok = await submitForm(server, token, { user: 'bob', password: 'long-enough-pw' });
  t.equal(ok.status, 200, 'and a name the handler allows registers with it');
  t.ok(existsSync(account(server.dir, 'bob')));
});

t.test("an app's login_link_format gets the new account by a 303, with no password in it", async (t) => {
  const apps = [
    'site_name = "Chat & Talk"',
    'site_apps = { { name = "Web Chat", id = "webchat", platforms = { "Web" },',
    '  login_link_format = "https://chat.example.net/login?jid={username}@{domain}&site={site_name}&app={app.name}&pw={password}&raw={app.id!}" } }',
  ].join('\n');
  const server = await startCanto(t, { config: testConfig(MODULES, '', apps) });
  const done = await submitForm(server, await generateInvite(server.dir, 'example.com'), { user: 'Zoe', password: 'long-enough-pw' }, { app: 'webchat' });
  t.equal(done.status, 303);
  t.equal(done.headers.location, 'https://chat.example.net/login?jid=zoe@example.com&site=Chat%20%26%20Talk&app=Web%20Chat&pw=&raw=webchat');
  t.equal(done.headers['cache-control'], 'no-store');
  t.equal(done.body, '');
  t.ok(existsSync(account(server.dir, 'zoe')), 'the account exists');

  const plain = await submitForm(server, await generateInvite(server.dir, 'example.com'), { user: 'yan', password: 'long-enough-pw' });
  t.equal(plain.status, 200, 'without the app the success page is shown');
  t.match(plain.body, 'yan@example.com');

  // The rendered link becomes a Location header: a template with a line break is a config error.
  writeFileSync(join(server.dir, 'broken.cfg.lua'), testConfig(MODULES, '', 'site_apps = { { name = "Web Chat", login_link_format = "https://chat.example.net/\\r\\nX: y" } }'));
  const bad = await runCtl(server.dir, ['--config', join(server.dir, 'broken.cfg.lua'), 'check']);
  t.equal(bad.code, 1);
  t.match(bad.stdout, `broken.cfg.lua:8:1: error: example.com: mod_register_apps: option 'site_apps' must match pattern "^[^\\u0000-\\u001f\\u007f]*$"\n`);
});
