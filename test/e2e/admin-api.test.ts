/**
 * mod_http_admin_api on a running server: every endpoint and status, every way a request can
 * be wrong (no key, bad key, a key without the scope, a deleted key, wrong types, unknown
 * fields, broken JSON, oversize bodies, another content type, hostile ids), none of them a 5xx
 * or a change to stored data. Every response is checked against the served openapi.json.
 */
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { giveToServiceUser, request, runCtl, startCanto, testConfig, writeFiles, type Reply, createKey } from '../helpers/canto.js';
import { OpenApiChecker } from '../helpers/openapi.js';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

/**
 * Every file under the data folder with its content, to show a refused request changed nothing.
 * The key store is left out: a key's last use is bookkeeping written after any accepted request.
 */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      const st = statSync(p);
      if (st.isDirectory()) walk(p);
      // Not the server's control socket (canto.sock): only stored data.
      else if (st.isFile() && !name.endsWith('.lock') && name !== 'invite_api_keys.dat') out[p.slice(dir.length)] = readFileSync(p, 'utf8');
    }
  };
  walk(join(dir, 'data'));
  return out;
}

t.test('the admin API', async (t) => {
  const dir = t.testdir();
  const config = testConfig(
    ['invites', 'invites_api', 'http_admin_api', 'invites_page', 'http_openmetrics'],
    'invites_api_max_failures = 1000\nhttp_paths = { invites_page = "/invite" }\nsite_name = "Example Chat"',
  );
  const server = await startCanto(t, { config, dir });
  const key = (...args: string[]) => createKey(dir, ...args);
  const admin = await key('portal', '--scope', 'admin');
  const invitesOnly = await key('invites only', '--scope', 'admin:invites');
  const seed = await key('seed');
  const usersOnly = await key('users only', '--scope', 'admin:users');
  for (const user of ['alice', 'bob']) {
    const added = await runCtl(dir, ['adduser', `${user}@example.com`], { input: 'a-long-password\na-long-password\n' });
    if (added.code !== 0) throw new Error(added.stderr);
  }
  const DATA = join(dir, 'data', 'example%2ecom');
  // 0.12's roles store, as its mod_invites_register writes it; and the record Canto keeps when an account uses an invite.
  writeFiles(DATA, {
    'roles/alice.dat': 'return {\n\t["prosody:admin"] = true;\n};\n',
    'invite_used/bob.dat': 'return {\n\t["BobsInviteToken000000000"] = {\n\t\t["kind"] = "account";\n\t\t["used_at"] = 1795348416;\n\t\t["source"] = "api/token/abc";\n\t};\n};\n',
  });
  giveToServiceUser(DATA); // written as root (CI), read and deleted by the server as prosody

  const doc = JSON.parse((await request(server.url('/admin_api/openapi.json'))).body) as { paths: Record<string, unknown> };
  const checker = new OpenApiChecker(doc, '/admin_api');
  const seen: string[] = [];

  /** One request; the response is checked against the document and must never be a 5xx. */
  const call = async (method: string, path: string, opts: { key?: string | null; body?: string; headers?: Record<string, string> } = {}): Promise<Reply> => {
    const headers: Record<string, string> = { ...opts.headers };
    const k = opts.key === undefined ? admin : opts.key;
    if (k !== null) headers.Authorization = `Bearer ${k}`;
    const reply = await request(server.url(`/admin_api${path}`), { method, headers, ...(opts.body === undefined ? {} : { body: opts.body }) });
    t.ok(reply.status < 500, `${method} ${path} answered ${reply.status}`);
    const template = checker.template(`/admin_api${path}`);
    if (template) {
      const problems = checker.problems(method, `/admin_api${path}`, reply.status, reply.headers['content-type'] as string | undefined, reply.body);
      t.same(problems, [], `${method} ${path} ${reply.status} matches openapi.json`);
      seen.push(`${method} ${template} ${reply.status}`);
    }
    return reply;
  };
  const post = (path: string, body: unknown, opts: { key?: string | null } = {}) =>
    call('POST', path, { ...opts, body: typeof body === 'string' ? body : JSON.stringify(body), headers: JSON_HEADERS });
  const json = (reply: Reply) => JSON.parse(reply.body) as Record<string, unknown>;

  await t.test('openapi.json describes the mounted routes and needs no key', async (t) => {
    t.same(Object.keys(doc.paths).sort(), [
      '/invites', '/invites/account', '/invites/group', '/invites/reset', '/invites/{id}', '/openapi.json', '/server/info', '/server/metrics', '/users', '/users/{username}',
    ]);
    t.equal((await call('GET', '/openapi.json', { key: null })).status, 200);
  });

  await t.test('no key is 401 with WWW-Authenticate: Bearer, and a bad key is too', async (t) => {
    for (const k of [null, 'nonsense', 'AAAAAAAAAAAA/BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB', `${admin.split('/')[0]}/wrongsecret`]) {
      const reply = await call('GET', '/invites', { key: k });
      t.equal(reply.status, 401, String(k));
      t.equal(reply.headers['www-authenticate'], 'Bearer realm="example.com/http_admin_api"');
      t.equal(json(reply).condition, 'not-authorized');
    }
    const basic = await request(server.url('/admin_api/invites'), { headers: { Authorization: 'Basic YWRtaW46YWRtaW4=' } });
    t.equal(basic.status, 401, 'another scheme');
    const inQuery = await request(server.url(`/admin_api/invites?key=${admin}`));
    t.equal(inQuery.status, 401, 'a key in the query string is not taken: it would end up in logs');
  });

  await t.test('a key without the scope is 403', async (t) => {
    const cases = [[seed, '/invites', 'admin:invites'], [seed, '/server/info', 'admin:server'], [invitesOnly, '/server/info', 'admin:server'],
      [invitesOnly, '/server/metrics', 'admin:server'], [invitesOnly, '/users', 'admin:users'], [usersOnly, '/invites', 'admin:invites'], [seed, '/users/alice', 'admin:users']] as const;
    for (const [k, path, scope] of cases) {
      const reply = await call('GET', path, { key: k });
      t.equal(reply.status, 403, path);
      t.same(json(reply), { type: 'auth', condition: 'forbidden', text: `This API key does not have the ${scope} scope` });
    }
    t.equal((await call('DELETE', '/users/alice', { key: invitesOnly })).status, 403);
    t.ok(existsSync(join(DATA, 'accounts', 'alice.dat')), 'a refused delete deletes nothing');
    t.equal((await call('GET', '/invites', { key: invitesOnly })).status, 200, 'admin:invites is enough for invites');
    t.equal((await request(server.url(`/invites_api?key=${admin}`))).status, 403, 'an admin key cannot mint invites at /invites_api without the invite scope');
    t.equal((await request(server.url(`/invites_api?key=${seed}`))).status, 201, "the seed key keeps doing what it did");
  });

  let account = '';
  let group = '';
  let reset = '';
  await t.test('POST /invites/account creates an account invite, with or without options', async (t) => {
    const plain = await call('POST', '/invites/account');
    t.equal(plain.status, 200);
    const body = json(plain);
    t.match(body, {
      type: 'register', reusable: false, jid: 'example.com', reset: false, kind: 'account', status: 'pending', valid: true, uses: 0, used_by: [],
      source: `api/token/${admin.split('/')[0]}`,
    });
    t.equal(body.landing_page, `http://127.0.0.1:${server.httpPort}/invite?${String(body.id)}`.replace(`127.0.0.1:${server.httpPort}`, `example.com:${server.httpPort}`));
    t.equal(Number(body.expires) - Number(body.created_at), 7 * 86400);
    account = String(body.id);
    const full = json(await post('/invites/account', { username: 'Newbie', ttl: 3600, groups: ['team'], roles: ['prosody:admin'], note: 'for the new hire' }));
    t.match(full, { jid: 'newbie@example.com', groups: ['team'], roles: ['prosody:admin'], note: 'for the new hire', kind: 'group' });
    t.equal(Number(full.expires) - Number(full.created_at), 3600);
    const multi = json(await post('/invites/account', { max_uses: 3 }));
    t.match(multi, { reusable: true, max_uses: 3, uses: 0, kind: 'account' }, 'an account invite whatever its use limit');
    const shown = await runCtl(dir, ['mod_invites', 'show', 'example.com', String(multi.id)]);
    t.match(shown.stdout, /^kind: account$/m, 'ctl show agrees');
    const listed = await runCtl(dir, ['mod_invites', 'list', 'example.com']);
    t.match(listed.stdout, new RegExp(`^${String(multi.id)}\\tregister\\t\\S+\\taccount; reusable; used 0/3;`, 'm'), 'and so does ctl list');
  });

  await t.test('POST /invites/group and /invites/reset', async (t) => {
    const once = json(await post('/invites/group', { groups: ['friends'] }));
    t.match(once, { reusable: false, groups: ['friends'], kind: 'group' }, 'no ttl: single-use with the default lifetime, as the Lua code does');
    const many = json(await post('/invites/group', { groups: ['friends'], ttl: 600, note: 'party' }));
    t.match(many, { reusable: true, groups: ['friends'], note: 'party' });
    group = String(many.id);
    const r = json(await post('/invites/reset', { username: 'alice' }));
    t.match(r, { jid: 'alice@example.com', reset: true, kind: 'reset' });
    t.equal(Number(r.expires) - Number(r.created_at), 86400);
    reset = String(r.id);
  });

  await t.test('bad bodies are refused with the field named, and change nothing', async (t) => {
    const before = snapshot(dir);
    const cases: [string, string, string, number, string][] = [
      ['wrong type', '/invites/account', '{"ttl":"soon"}', 400, "Field 'ttl' must be number"],
      ['wrong item type', '/invites/account', '{"groups":[1]}', 400, "Field 'groups.0' must be string"],
      ['negative ttl', '/invites/account', '{"ttl":-5}', 400, "Field 'ttl' must be > 0"],
      ['fractional max_uses', '/invites/account', '{"max_uses":1.5}', 400, "Field 'max_uses' must be integer"],
      ['unknown field', '/invites/account', '{"usename":"bob"}', 400, "Unknown field 'usename'"],
      ['bad username', '/invites/account', '{"username":"a b@c"}', 400, "Invalid username 'a b@c'"],
      ['bound and reusable', '/invites/account', '{"username":"bob","max_uses":2}', 400, 'An invite for one username can be used only once'],
      ['broken JSON', '/invites/account', '{"ttl":', 400, 'Invalid JSON submitted'],
      ['not an object', '/invites/account', '"ttl"', 400, 'Request body must be object'],
      ['group without groups', '/invites/group', '{"ttl":60}', 400, "Missing field 'groups'"],
      ['group, empty body', '/invites/group', '', 400, 'A JSON request body is required'],
      ['reset without username', '/invites/reset', '{}', 400, "Missing field 'username'"],
      ['reset for no account', '/invites/reset', '{"username":"nobody"}', 404, 'User not found'],
      ['oversize', '/invites/account', JSON.stringify({ note: 'x'.repeat(70 * 1024) }), 413, ''],
    ];
    for (const [name, path, body, status, text] of cases) {
      const reply = await call('POST', path, { body, headers: JSON_HEADERS });
      t.equal(reply.status, status, name);
      if (text) t.equal(json(reply).text, text, name);
    }
    const typed = await call('POST', '/invites/account', { body: 'ttl=5', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    t.equal(typed.status, 415);
    t.equal((await call('POST', '/invites/account', { body: '{}', headers: { 'Content-Type': 'text/plain' } })).status, 415);
    t.equal((await post('/invites/account', {}, { key: null })).status, 401);
    t.equal((await post('/invites/account', {}, { key: seed })).status, 403);
    t.same(snapshot(dir), before, 'no refused request changed stored data');
  });

  await t.test('GET /invites lists pending invites as a plain array, oldest first', async (t) => {
    const reply = await call('GET', '/invites');
    const list = JSON.parse(reply.body) as { id: string; created_at: number }[];
    t.ok(Array.isArray(list));
    t.ok(list.some((i) => i.id === account) && list.some((i) => i.id === group) && list.some((i) => i.id === reset));
    t.same(list.map((i) => i.created_at), [...list.map((i) => i.created_at)].sort((a, b) => a - b));
  });

  await t.test('filters and paging', async (t) => {
    const groups = JSON.parse((await call('GET', '/invites?type=group')).body) as { kind: string }[];
    t.ok(groups.length >= 2 && groups.every((i) => i.kind === 'group'));
    const resets = JSON.parse((await call('GET', '/invites?type=reset')).body) as { id: string }[];
    t.same(resets.map((i) => i.id), [reset]);
    const all = JSON.parse((await call('GET', '/invites')).body) as { id: string }[];
    const pages: string[] = [];
    let next: string | null = '';
    let rounds = 0;
    while (next !== null && rounds++ < 20) {
      const page = json(await call('GET', `/invites?limit=2${next ? `&cursor=${next}` : ''}`)) as { invites: { id: string }[]; next: string | null };
      t.ok(page.invites.length <= 2);
      pages.push(...page.invites.map((i) => i.id));
      next = page.next;
    }
    t.same(pages, all.map((i) => i.id), 'the pages together are the whole list');
    for (const query of ['type=nope', 'valid=maybe', 'limit=0', 'limit=-1', 'limit=abc', 'limit=100000', 'cursor=zzz', 'cursor=%00', 'type=group&type=reset']) {
      const bad = await call('GET', `/invites?${query}`);
      t.equal(bad.status, 400, query);
    }
  });

  await t.test('GET /invites/{id}, and hostile ids', async (t) => {
    t.match(json(await call('GET', `/invites/${account}`)), { id: account, status: 'pending' });
    // A JSON client: even the server's own refusals before routing come as util.error JSON.
    const accept = { Accept: 'application/json' };
    for (const id of ['AAAAAAAAAAAAAAAAAAAAAAAA', 'x'.repeat(5000), '%E2%80%AE', encodeURIComponent('<script>'), '__proto__', 'constructor', 'a.b', '%20']) {
      for (const method of ['GET', 'DELETE']) {
        const reply = await call(method, `/invites/${id}`, { headers: accept });
        t.equal(reply.status, 404, `${method} ${id.slice(0, 20)}`);
        t.notMatch(reply.body, '<script>');
      }
    }
    const nul = await call('GET', '/invites/%00', { headers: accept });
    t.equal(nul.status, 400, 'a NUL in the path is refused before routing');
    const escape = await request(server.url('/admin_api/invites/..%2F..%2Fetc%2Fpasswd'), { headers: { Authorization: `Bearer ${admin}`, ...accept } });
    t.equal(escape.status, 404, 'a path that climbs out of the API is just not found');
  });

  await t.test('DELETE /invites/{id} revokes and keeps the record; the link says revoked', async (t) => {
    const before = snapshot(dir);
    t.equal((await call('DELETE', '/invites/AAAAAAAAAAAAAAAAAAAAAAAA')).status, 404);
    t.equal((await call('DELETE', `/invites/${account}`, { key: seed })).status, 403);
    t.same(snapshot(dir), before, 'refused deletes changed nothing');
    const gone = await call('DELETE', `/invites/${account}`);
    t.equal(gone.status, 200);
    t.equal(gone.body, '');
    const record = json(await call('GET', `/invites/${account}`));
    t.match(record, { status: 'revoked', valid: false, revoked_by: `api/token/${admin.split('/')[0]}` });
    t.type(record.revoked_at, 'number');
    t.equal((await call('DELETE', `/invites/${account}`)).status, 404, 'a revoked invite cannot be revoked again');
    const listed = JSON.parse((await call('GET', '/invites')).body) as { id: string }[];
    t.notOk(listed.some((i) => i.id === account), 'not in the pending list');
    const old = JSON.parse((await call('GET', '/invites?valid=false')).body) as { id: string }[];
    t.ok(old.some((i) => i.id === account), 'in the list of invalid ones');
    const page = await request(server.url(`/invite?${account}`));
    t.equal(page.status, 410);
    t.match(page.body, '<h1>Invite revoked</h1>');
    const shown = await runCtl(dir, ['mod_invites', 'show', 'example.com', account]);
    t.match(shown.stdout, /^status: revoked$/m);
    t.match(shown.stdout, new RegExp(`^revoked_by: api/token/${admin.split('/')[0]}$`, 'm'));
    const all = await runCtl(dir, ['mod_invites', 'list', 'example.com', '--all']);
    t.match(all.stdout, new RegExp(`^${account}\\tregister\\t\\S+\\taccount; via api/token/\\S+; revoked \\S+ by api/token/`, 'm'));
  });

  await t.test('users: list, look up, delete (the account and all its data)', async (t) => {
    const list = JSON.parse((await call('GET', '/users', { key: usersOnly })).body) as unknown[];
    t.same(list, [
      { username: 'alice', roles: ['prosody:admin'] },
      { username: 'bob', roles: [], invite: { id: 'BobsInviteToken000000000', used_at: 1795348416, kind: 'account', source: 'api/token/abc' } },
    ]);
    t.same(json(await call('GET', '/users/alice')), { username: 'alice', roles: ['prosody:admin'] });
    t.equal(json(await call('GET', '/users/ALICE')).username, 'alice', 'names are prepared as Prosody prepares them');
    t.equal((await call('GET', '/users/nobody')).status, 404);
    for (const name of ['a%20b', 'x%40y', encodeURIComponent('"quoted"')]) t.equal((await call('GET', `/users/${name}`)).status, 400, name);
    const before = snapshot(dir);
    t.equal((await call('DELETE', '/users/nobody')).status, 404);
    t.equal((await call('DELETE', '/users/a%20b')).status, 400);
    t.same(snapshot(dir), before, 'refused deletes change nothing');
    const deleted = await call('DELETE', '/users/bob');
    t.equal(deleted.status, 200);
    t.notOk(existsSync(join(DATA, 'accounts', 'bob.dat')), 'the account is gone');
    t.notOk(existsSync(join(DATA, 'invite_used', 'bob.dat')), 'and every store of that user, as prosodyctl deluser');
    t.equal((await call('GET', '/users/bob')).status, 404);
    t.equal((await call('DELETE', '/users/bob')).status, 404);
  });

  await t.test('server info and metrics', async (t) => {
    t.same(json(await call('GET', '/server/info')), { site_name: 'Example Chat', version: 'Canto 0.1.0' });
    const metrics = json(await call('GET', '/server/metrics')) as { memory: number; cpu: { since: number; value: number } };
    // Read from the metric registry that GET /metrics renders, with the Lua module's fields.
    const text = (await request(server.url('/metrics'), { headers: { Host: 'example.com' } })).body;
    const sample = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    t.same(Object.keys(metrics).sort(), ['cpu', 'memory'], 'no c2s or uploads: nothing measures them');
    t.ok(Number.isInteger(metrics.memory) && metrics.memory > 0, 'memory is the RSS in bytes');
    t.ok(sample('process_resident_memory_bytes') > 0);
    t.equal(metrics.cpu.since, sample('process_cpu_seconds_created'), "cpu.since is the counter's _created");
    t.ok(metrics.cpu.value > 0 && metrics.cpu.value <= sample('process_cpu_seconds_total'), 'cpu.value is the counter, read a moment before');
  });

  await t.test('unknown paths and methods under /admin_api are JSON 404 and 405', async (t) => {
    const missing = await request(server.url('/admin_api/nothing'), { headers: { Authorization: `Bearer ${admin}` } });
    t.equal(missing.status, 404);
    t.same(JSON.parse(missing.body), { type: 'cancel', condition: 'item-not-found' });
    const wrong = await request(server.url('/admin_api/invites'), { method: 'PUT', headers: { Authorization: `Bearer ${admin}` } });
    t.equal(wrong.status, 405);
    const browser = await request(server.url('/admin_api/invites'), { headers: { Accept: 'text/html' } });
    t.equal(browser.status, 401);
    t.match(browser.headers['content-type'], 'text/html', 'a browser gets the page');
  });

  await t.test('a deleted key is refused at its next request on the running server', async (t) => {
    const doomed = await key('doomed', '--scope', 'admin');
    t.equal((await call('GET', '/invites', { key: doomed })).status, 200);
    const deleted = await runCtl(dir, ['mod_invites_api', 'delete', 'example.com', doomed.split('/')[0]!]);
    t.equal(deleted.code, 0);
    t.equal((await call('GET', '/invites', { key: doomed })).status, 401);
  });

  await t.test('ctl list shows each key\'s scopes', async (t) => {
    const listed = (await runCtl(dir, ['mod_invites_api', 'list', 'example.com'])).stdout;
    t.match(listed, new RegExp(`^${admin.split('/')[0]}\\tportal\\tnever\\t\\S+\\tadmin$`, 'm'));
    t.match(listed, new RegExp(`^${seed.split('/')[0]}\\tseed\\tnever\\t\\S+\\tinvite$`, 'm'));
    const bad = await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'x', '--scope', 'root']);
    t.equal(bad.code, 2);
    t.match(bad.stderr, "unknown scope 'root'");
  });

  await t.test('every documented operation was exercised', async (t) => {
    const ops = new Set(seen.map((s) => s.split(' ').slice(0, 2).join(' ')));
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const method of Object.keys(methods as object)) t.ok(ops.has(`${method.toUpperCase()} ${path}`), `${method} ${path}`);
    }
  });
});
