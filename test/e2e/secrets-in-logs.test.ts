/**
 * Issue 13, point 8: with debug logging on, no request puts an API secret or a whole invite
 * token into the log, in any encoding: a percent-encoded parameter name (`%6bey=`, which still
 * authenticates), a token in the query (`/invite?TOKEN`, `?t=`), in the path
 * (`/register_api/invite/TOKEN`, `/admin_api/invites/TOKEN`) or inside a page cursor.
 */
import t from 'tap';
import { request, runCtl, startCanto, testConfig, createKey } from '../helpers/canto.js';

const MODULES = ['invites', 'invites_api', 'invites_page', 'register_apps', 'invites_register_web', 'invites_register_api', 'http_admin_api'];

/** Every way a secret could be spelled in a URL or a log line. */
function spellings(secret: string): string[] {
  const hex = (upper: boolean) => [...Buffer.from(secret)].map((b) => '%' + b.toString(16).padStart(2, '0')[upper ? 'toUpperCase' : 'toLowerCase']()).join('');
  return [secret, encodeURIComponent(secret), hex(true), hex(false), Buffer.from(secret).toString('base64'), Buffer.from(secret).toString('base64url'), JSON.stringify(secret).slice(1, -1)];
}

t.test('debug logging shows neither API secrets nor whole invite tokens', async (t) => {
  const config = testConfig(MODULES, ['log = { { levels = { min = "debug" }, to = "console" } }', 'http_paths = { invites_page = "/invite" }', 'invites_api_max_failures = 1000'].join('\n'));
  const server = await startCanto(t, { config });
  const key = (...args: string[]) => createKey(server.dir, ...args);
  const invites = await key('scripts');
  const admin = await key('portal', '--scope', 'admin');
  const [id, secret] = invites.split('/') as [string, string];
  const adminSecret = admin.split('/')[1]!;
  const get = (path: string, headers: Record<string, string> = {}) => request(server.url(path), { headers });

  // The parameter's name percent-encoded, in two ways: both authenticate.
  const created = await get(`/invites_api?%6bey=${invites}`);
  t.equal(created.status, 201);
  const landing = String(created.headers.location);
  const token = /\/invite\?([A-Za-z0-9_-]{24})$/.exec(landing)?.[1];
  t.ok(token, landing);
  const second = await get(`/invites_api?k%65y=${encodeURIComponent(invites)}&redirect=true`);
  t.equal(second.status, 303);
  const other = /\?([A-Za-z0-9_-]{24})$/.exec(String(second.headers.location))![1]!;
  t.equal((await get(`/invites_api?%6bey=${id}/${secret.slice(0, -1)}x`)).status, 403);

  // The token everywhere it travels, once with its first letter percent-encoded.
  const encodedFirst = `%${token!.charCodeAt(0).toString(16).toUpperCase()}${token!.slice(1)}`;
  t.equal((await get(`/invite?${token}`)).status, 200);
  t.equal((await get(`/register?t=${token}`)).status, 200);
  t.equal((await get(`/register?%74=${encodedFirst}`)).status, 200);
  t.equal((await get(`/register_api/invite/${encodedFirst}`)).status, 200);
  t.equal((await get(`/register_api/invite/${other}`)).status, 200);
  const bearer = { Authorization: `Bearer ${admin}` };
  t.equal((await get(`/admin_api/invites/${token}`, bearer)).status, 200);
  const page = await get('/admin_api/invites?limit=1', bearer);
  t.equal(page.status, 200);
  const cursor = (JSON.parse(page.body) as { next: string }).next;
  t.match(cursor, /^[A-Za-z0-9_-]{30,}$/);
  t.equal((await get(`/admin_api/invites?limit=1&cursor=${cursor}`, bearer)).status, 200);
  // The admin API takes its key from the header only; a key in its query is still not logged.
  t.equal((await get(`/admin_api/invites?%6bey=${admin}`)).status, 401);

  const { code, stderr: log } = await server.stop();
  t.equal(code, 0);
  // Debug lines were written, with what may be shown of each request.
  t.match(log, `\tdebug\tGET /invites_api?%6bey=REDACTED -> 201\n`);
  t.match(log, `\tdebug\tGET /invites_api?k%65y=REDACTED&redirect=true -> 303\n`);
  t.match(log, `\tdebug\tGET /invite?${token!.slice(0, 6)}... -> 200\n`);
  t.match(log, `\tdebug\tGET /register_api/invite/${token!.slice(0, 6)}... -> 200\n`);
  t.match(log, `\tdebug\tGET /admin_api/invites/${token!.slice(0, 6)}... -> 200\n`);
  t.match(log, `\tinfo\tCreated invite ${token!.slice(0, 6)}... via API key ${id}\n`);
  for (const [name, value] of [['the API secret', secret], ['the admin secret', adminSecret], ['the key', invites], ['the token', token!], ['the other token', other], ['the cursor', cursor], ['the encoded token', encodedFirst]] as const) {
    for (const spelling of spellings(value)) t.notOk(log.includes(spelling), `${name} is not in the log as ${spelling}`);
  }
});
