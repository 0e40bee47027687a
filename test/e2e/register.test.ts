/**
 * Web registration and the JSON registration API against the real server: every status, the
 * form's errors, CSRF, throttling, single use, username-bound and reset invites, roles, groups.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { giveToServiceUser, request, runCtl, startCanto, testConfig, type CantoServer } from '../helpers/canto.js';
import { generateInvite } from '../helpers/register.js';

const MODULES = ['invites', 'invites_page', 'register_apps', 'invites_register_web', 'invites_register_api', 'invites_groups'];

async function setup(t: Test, hostExtra = '') {
  const server = await startCanto(t, { config: testConfig(MODULES, 'invites_register_max_failures = 12', hostExtra) });
  const generate = (...flags: string[]) => generateInvite(server.dir, 'example.com', ...flags);
  return { server, generate, account: (u: string) => join(server.dir, 'data', 'example%2ecom', 'accounts', `${u}.dat`) };
}

const api = (server: CantoServer, body: unknown, type = 'application/json') =>
  request(server.url('/register_api/register'), { method: 'POST', headers: { 'Content-Type': type }, body: typeof body === 'string' ? body : JSON.stringify(body) });

/** GET the form, keep its cookie and CSRF field, POST the fields. */
async function submitForm(server: CantoServer, token: string, fields: Record<string, string>, opts: { csrf?: string; app?: string } = {}) {
  const page = await request(server.url(`/register?t=${token}${opts.app ? `&c=${opts.app}` : ''}`));
  const cookie = String(page.headers['set-cookie'] ?? '').split(';')[0]!;
  const csrf = opts.csrf ?? /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const body = new URLSearchParams({ token, csrf, ...(opts.app ? { app_id: opts.app } : {}), ...fields }).toString();
  return request(server.url(`/register?t=${token}`), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie }, body });
}

t.test('the JSON API answers 200 {jid}, 400, 403, 404 and 409 as the Lua module, and 429 when throttled', async (t) => {
  const { server, generate, account } = await setup(t);
  const token = await generate();
  const info = await request(server.url(`/register_api/invite/${token}`));
  t.equal(info.status, 200);
  t.same(JSON.parse(info.body), { site_name: 'example.com', token, domain: 'example.com', uri: `xmpp:example.com?register;preauth=${token}`, type: 'register' });
  t.equal((await request(server.url('/register_api/invite/AAAAAAAAAAAAAAAAAAAAAAAA'))).status, 404);

  t.equal((await api(server, { username: 'alice', password: 'long-password', token }, 'text/plain')).status, 400, 'not JSON');
  t.equal((await api(server, '{"username":')).status, 400, 'bad JSON');
  t.equal((await api(server, { username: 'alice', password: 'long-password', token: 'AAAAAAAAAAAAAAAAAAAAAAAA' })).status, 404, 'unknown invite');
  t.equal((await api(server, { username: '', password: 'long-password', token })).status, 400, 'empty username');
  t.equal((await api(server, { username: 'a b', password: 'long-password', token })).status, 400, 'invalid username');
  t.equal((await api(server, { username: 'x'.repeat(2000), password: 'long-password', token })).status, 400, 'oversize field');
  const ok = await api(server, { username: 'Alice', password: 'long-password', token });
  t.equal(ok.status, 200);
  t.same(JSON.parse(ok.body), { jid: 'alice@example.com' });
  t.match(readFileSync(account('alice'), 'utf8'), /stored_key/);
  t.equal((await api(server, { username: 'alice', password: 'long-password', token })).status, 404, 'the invite is used up');
  const second = await generate();
  t.equal((await api(server, { username: 'alice', password: 'long-password', token: second })).status, 409, 'taken');
  const reset = await generate('--reset', 'alice');
  t.equal((await api(server, { username: 'bob', password: 'long-password', token: reset })).status, 403, 'reset invite for another account');
  const resetOk = await api(server, { username: 'alice', password: 'newer-password', token: reset });
  t.same([resetOk.status, JSON.parse(resetOk.body)], [200, { jid: 'alice@example.com' }]);
  // Twelve failures in the window (configured above), then 429 with Retry-After, even for a good request.
  let last;
  for (let i = 0; i < 4; i++) last = await api(server, { username: 'zed', password: 'long-password', token: 'AAAAAAAAAAAAAAAAAAAAAAAA' });
  t.equal(last!.status, 429);
  t.match(last!.headers['retry-after'], /^\d+$/);
  t.notMatch(server.stderr(), /long-password|newer-password/, 'passwords are never logged');
});

t.test('the form: errors re-render it with a message, keep the username, never the password; success shows the address', async (t) => {
  const { server, generate, account } = await setup(t, 'password_policy = { length = 10 }');
  const token = await generate();
  const page = await request(server.url(`/register?t=${token}`));
  t.equal(page.status, 200);
  t.equal(page.headers['cache-control'], 'no-store');
  t.match(page.headers['content-security-policy'], "default-src 'none'");
  t.match(page.headers['set-cookie'], /^canto_register_csrf=[A-Za-z0-9_-]{32}; Path=\/register; HttpOnly; SameSite=Strict$/);
  t.match(page.body, 'minlength="10"');

  const short = await submitForm(server, token, { user: 'Bob', password: 'short-pw' });
  t.equal(short.status, 400);
  t.match(short.body, 'Password is too short (minimum 10 characters)');
  t.match(short.body, 'value="Bob"');
  t.notMatch(short.body, 'short-pw');
  const withName = await submitForm(server, token, { user: 'bob', password: 'bob-is-my-password' });
  t.match(withName.body, 'Password must not include your username');
  const hostile = await submitForm(server, token, { user: '<script>x</script>', password: 'long-enough-pw' });
  t.equal(hostile.status, 400);
  t.match(hostile.body, 'This username contains invalid characters.');
  t.match(hostile.body, 'value="&lt;script&gt;x&lt;/script&gt;"');
  t.notMatch(hostile.body, '<script>x');
  const empty = await submitForm(server, token, { user: '', password: '' });
  t.match(empty.body, 'Please fill in all fields.');
  const noCsrf = await submitForm(server, token, { user: 'bob', password: 'long-enough-pw' }, { csrf: 'wrong' });
  t.equal(noCsrf.status, 403);
  t.match(noCsrf.body, 'This form has expired.');
  const big = await request(server.url(`/register?t=${token}`), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `user=${'x'.repeat(5000)}` });
  t.equal(big.status, 400);

  const done = await submitForm(server, token, { user: 'Bob', password: 'long-enough-pw' }, { app: 'gajim' });
  t.equal(done.status, 200);
  t.equal(done.headers['cache-control'], 'no-cache, no-store, must-revalidate');
  t.match(done.body, 'bob@example.com');
  t.match(done.body, 'Step 1: Download and install Gajim');
  t.notMatch(done.body, 'long-enough-pw', 'the password is not echoed');
  t.match(readFileSync(account('bob'), 'utf8'), /stored_key/);
  const again = await submitForm(server, token, { user: 'carol', password: 'long-enough-pw' });
  t.equal(again.status, 303, 'a used invite goes back to the invite page');
  t.equal(again.headers.location, `/invites_page?${token}`);
  const taken = await submitForm(server, await generate(), { user: 'bob', password: 'long-enough-pw' });
  t.equal(taken.status, 409);
  t.match(taken.body, 'This username is already in use.');
  t.equal((await request(server.url('/register?t=nope'))).status, 303);
});

t.test('one single-use invite, two browsers at once: exactly one account', async (t) => {
  const { server, generate, account } = await setup(t);
  const token = await generate();
  const results = await Promise.all([submitForm(server, token, { user: 'dave', password: 'long-enough-pw' }), submitForm(server, token, { user: 'erin', password: 'long-enough-pw' })]);
  t.same(results.map((r) => r.status).sort(), [200, 303]);
  const made = ['dave', 'erin'].filter((u) => {
    try {
      return readFileSync(account(u), 'utf8').length > 0;
    } catch {
      return false;
    }
  });
  t.equal(made.length, 1);
});

t.test('username-bound and reset invites are enforced; roles and groups are written as Prosody does', async (t) => {
  const { server, generate } = await setup(t);
  const host = join(server.dir, 'data', 'example%2ecom');
  mkdirSync(join(host, 'group_info'), { recursive: true });
  writeFileSync(join(host, 'group_info', 'team.dat'), 'return {\n\t["name"] = "Team";\n};\n');
  giveToServiceUser(host); // as Prosody's own files would be owned
  const admin = await generate('--admin', '--group', 'team');
  t.equal((await submitForm(server, admin, { user: 'frank', password: 'long-enough-pw' })).status, 200);
  t.equal(readFileSync(join(host, 'roles', 'frank.dat'), 'utf8'), 'return {\n\t["prosody:admin"] = true;\n};\n');
  t.equal(readFileSync(join(host, 'groups', 'team.dat'), 'utf8'), 'return {\n\t["frank"] = {};\n};\n');

  await runCtl(server.dir, ['adduser', 'grace@example.com'], { input: 'old-password\nold-password\n' });
  const reset = await generate('--reset', 'grace');
  const form = await request(server.url(`/register?t=${reset}`));
  t.match(form.body, 'value="grace" required');
  t.match(form.body, 'readonly');
  const other = await submitForm(server, reset, { user: 'frank', password: 'new-password-1' });
  t.equal(other.status, 400);
  t.match(other.body, 'This invite resets the password of grace@example.com only.');
  const ok = await submitForm(server, reset, { user: 'grace', password: 'new-password-1' });
  t.equal(ok.status, 200);
  t.match(ok.body, 'Your password has been changed');
});

t.test('parallel guesses get no more than the failure budget checked, on the API and on the form', async (t) => {
  const { server } = await setup(t);
  const bad = 'AAAAAAAAAAAAAAAAAAAAAAAA';
  const apiStatuses = await Promise.all(Array.from({ length: 40 }, () => api(server, { username: 'zed', password: 'long-password', token: bad }).then((r) => r.status)));
  t.equal(apiStatuses.filter((s) => s === 404).length, 12, 'twelve checked (the budget), each a 404');
  t.equal(apiStatuses.filter((s) => s === 429).length, 28, 'the rest throttled before they are checked');

  const formBody = new URLSearchParams({ token: bad, csrf: 'x'.repeat(43), user: 'zed', password: 'long-password' }).toString();
  const post = () =>
    request(server.url(`/register?t=${bad}`), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: `canto_register_csrf=${'y'.repeat(43)}` }, body: formBody }).then((r) => r.status);
  const formStatuses = await Promise.all(Array.from({ length: 40 }, post));
  t.equal(formStatuses.filter((s) => s !== 429).length, 12, `twelve checked on the form too (${[...new Set(formStatuses)].join(', ')})`);
  t.equal(formStatuses.filter((s) => s === 429).length, 28);
});
