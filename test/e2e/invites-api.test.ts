/**
 * mod_invites_api over HTTP: every way a request can fail, the variants (POST, JSON, redirect),
 * key expiry, and many creates at once. No landing-page module: Location is the xmpp: URI.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { request, runCtl, startCanto, testConfig } from '../helpers/canto.js';

const URI = /^xmpp:example\.com\?register;preauth=([A-Za-z0-9_-]{24})$/;
const T0 = 1_800_000_000;

async function createKey(dir: string, args: string[] = [], env?: Record<string, string>): Promise<string> {
  const created = await runCtl(dir, ['mod_invites_api', 'create', 'example.com', ...args], env ? { env } : {});
  if (created.code !== 0) throw new Error(`create failed: ${created.stderr}`);
  return created.stdout.trim();
}

function storedTokens(dir: string): string[] {
  const text = readFileSync(join(dir, 'data', 'example%2ecom', 'invite_token.dat'), 'utf8');
  return [...text.matchAll(/^\t\["([A-Za-z0-9_-]{24})"\] = \{$/gm)].map((m) => m[1]!);
}

t.test('the invites API', async (t) => {
  const dir = t.testdir();
  const config = testConfig(['invites', 'invites_api'], 'invites_api_max_failures = 1000');
  // A Prosody-made key (plaintext token) that allows only GET.
  const files = {
    'data/example%2ecom/invite_api_keys.dat': [
      'return {',
      '\t["getonly12345"] = {',
      '\t\t["id"] = "getonly12345";',
      '\t\t["token"] = "getonlysecretgetonlysecretgetonlysec";',
      '\t\t["created_at"] = 1795348416;',
      '\t\t["allowed_methods"] = {',
      '\t\t\t["GET"] = true;',
      '\t\t};',
      '\t};',
      '};',
      '',
    ].join('\n'),
  };
  const server = await startCanto(t, { config, files, dir });
  const key = await createKey(dir, ['scripts']);
  const [id, secret] = key.split('/') as [string, string];
  const api = (query = '') => server.url(`/invites_api${query}`);

  await t.test('a valid key in the query creates an account invite', async (t) => {
    const reply = await request(api(`?key=${key}`));
    t.equal(reply.status, 201);
    t.match(reply.headers.location, URI);
    t.equal(reply.headers['content-length'], '0');
    const token = URI.exec(String(reply.headers.location))![1]!;
    const shown = await runCtl(dir, ['mod_invites', 'show', 'example.com', token]);
    t.equal(shown.code, 0, shown.stderr);
    t.match(shown.stdout, `additional_data: {"source":"api/token/${id}"}`);
    t.match(shown.stdout, 'type: register\nkind: account\njid: example.com\n');
  });

  await t.test('POST works as GET does', async (t) => {
    const reply = await request(api(), { method: 'POST', headers: { Authorization: `Bearer ${key}` } });
    t.equal(reply.status, 201);
    t.match(reply.headers.location, URI);
  });

  await t.test('the Bearer scheme is accepted in any case', async (t) => {
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      const reply = await request(api(), { headers: { Authorization: `${scheme} ${key}` } });
      t.equal(reply.status, 201, scheme);
    }
  });

  await t.test('every kind of bad or missing key is 403, never 500', async (t) => {
    const cases: [string, string, Record<string, string>?][] = [
      ['no query string and no header', ''],
      ['a query without key', '?redirect=true'],
      ['an empty key', '?key='],
      ['a key without a slash', `?key=${id}${secret}`],
      ['an unknown id', `?key=AAAAAAAAAAAA/${secret}`],
      ['a wrong secret', `?key=${id}/${secret.slice(0, -1)}x`],
      ['only the id', `?key=${id}/`],
      ['another key id with this secret', `?key=getonly12345/${secret}`],
      ['a garbage Authorization header', '', { Authorization: 'garbage' }],
      ['a Basic Authorization header', '', { Authorization: `Basic ${Buffer.from(key).toString('base64')}` }],
      ['a bad header beside a good ?key= (the header wins)', `?key=${key}`, { Authorization: 'Bearer nope/nope' }],
      ['a Bearer header with a wrong secret', '', { Authorization: `Bearer ${id}/wrong` }],
    ];
    for (const [name, query, headers] of cases) {
      for (const method of ['GET', 'POST']) {
        const reply = await request(api(query), { method, ...(headers ? { headers } : {}) });
        t.equal(reply.status, 403, `${method}: ${name}`);
        t.notOk(reply.headers.location, 'no Location');
        t.notMatch(reply.body, secret, 'the error page does not show the secret');
      }
    }
  });

  await t.test('a method the key does not allow is 405, and creates nothing', async (t) => {
    const before = storedTokens(dir).length;
    const post = await request(api('?key=getonly12345/getonlysecretgetonlysecretgetonlysec'), { method: 'POST' });
    t.equal(post.status, 405);
    t.equal(post.headers.allow, 'GET');
    t.equal(storedTokens(dir).length, before);
    const get = await request(api('?key=getonly12345/getonlysecretgetonlysecretgetonlysec'));
    t.equal(get.status, 201, "the Prosody-made key's plaintext secret still works for GET");
  });

  await t.test('HEAD never creates an invite', async (t) => {
    const before = storedTokens(dir).length;
    const valid = await request(api(`?key=${key}`), { method: 'HEAD' });
    t.equal(valid.status, 405);
    const invalid = await request(api(`?key=${id}/wrong`), { method: 'HEAD' });
    t.equal(invalid.status, 403);
    t.equal(storedTokens(dir).length, before);
  });

  await t.test('redirect=true is 303 See Other, redirect=false is 201', async (t) => {
    const redirect = await request(api(`?key=${key}&redirect=true`));
    t.equal(redirect.status, 303);
    t.match(redirect.headers.location, URI);
    const bare = await request(api(`?redirect&key=${key}`));
    t.equal(bare.status, 303);
    const no = await request(api(`?key=${key}&redirect=false`));
    t.equal(no.status, 201);
  });

  await t.test('Accept: application/json gets the invite as JSON, same status and Location', async (t) => {
    const reply = await request(api(`?key=${key}`), { headers: { Accept: 'application/json' } });
    t.equal(reply.status, 201);
    t.match(reply.headers['content-type'], /^application\/json/);
    const body = JSON.parse(reply.body) as Record<string, unknown>;
    t.same(Object.keys(body).sort(), ['created_at', 'expires', 'landing_page', 'uri']);
    t.equal(body.uri, reply.headers.location);
    t.equal(body.landing_page, null);
    t.equal((body.expires as number) - (body.created_at as number), 604800);
    const redirect = await request(api(`?key=${key}&redirect=1`), { headers: { Accept: 'application/json' } });
    t.equal(redirect.status, 303);
    t.equal(JSON.parse(redirect.body).uri, redirect.headers.location);
  });

  await t.test('fifty concurrent creates give fifty distinct invites, all stored', async (t) => {
    const before = new Set(storedTokens(dir));
    const replies = await Promise.all(Array.from({ length: 50 }, () => request(api(`?key=${key}`))));
    t.same(replies.map((r) => r.status), Array(50).fill(201));
    const tokens = new Set(replies.map((r) => URI.exec(String(r.headers.location))![1]!));
    t.equal(tokens.size, 50);
    const stored = new Set(storedTokens(dir));
    t.equal(stored.size, before.size + 50);
    for (const token of tokens) t.ok(stored.has(token), `${token} stored`);
  });

  await t.test('list shows expiry and last use as further columns', async (t) => {
    const listed = await runCtl(dir, ['mod_invites_api', 'list', 'example.com']);
    t.equal(listed.code, 0, listed.stderr);
    t.match(listed.stdout, new RegExp(`^${id}\\tscripts\\tnever\\t\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ\\tinvite$`, 'm'));
    t.match(listed.stdout, /^getonly12345\t<unknown>\tnever\t/m);
  });

  await t.test('neither the secret nor a whole invite token reaches the log', async (t) => {
    const log = await server.logged(`via API key ${id}`);
    t.notMatch(log, secret);
    t.notMatch(log, 'getonlysecret');
    for (const token of storedTokens(dir)) t.notMatch(log, token);
    t.match(log, `via API key ${id}`);
  });
});

t.test('an expired key is refused with 403', async (t) => {
  const dir = t.testdir();
  const config = testConfig(['invites', 'invites_api']);
  const env = { CANTO_NOW: String(T0) };
  writeFileSync(join(dir, 'prosody.cfg.lua'), config);
  const shortKey = await createKey(dir, ['short', '--expires-after', '1 hour'], env);
  const longKey = await createKey(dir, ['long', '--expires-after', '2d'], env);
  const listed = await runCtl(dir, ['mod_invites_api', 'list', 'example.com'], { env });
  t.match(listed.stdout, /\tshort\t2027-01-15T09:\d\d:\d\dZ\tnever\tinvite\n/);

  const server = await startCanto(t, { config, dir, env: { CANTO_NOW: String(T0 + 7200) } });
  t.equal((await request(server.url(`/invites_api?key=${shortKey}`))).status, 403, 'one hour later plus one: expired');
  t.equal((await request(server.url(`/invites_api?key=${longKey}`))).status, 201, 'the two-day key still works');
});

t.test('a key created while the server runs works at once', async (t) => {
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api']) });
  const key = await createKey(server.dir);
  t.equal((await request(server.url(`/invites_api?key=${key}`))).status, 201);
});
