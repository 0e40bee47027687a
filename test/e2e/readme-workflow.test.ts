/**
 * The seed README of mod_invites_api, step by step, typed as written (`npx ctl` for
 * `prosodyctl`), against the server running prosody.cfg.example's setup on OS-picked ports.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { request, runCtl, startCanto } from '../helpers/canto.js';

// prosody.cfg.example, with ports the OS picks.
const config = readFileSync(new URL('../../prosody.cfg.example', import.meta.url), 'utf8')
  .replace(/^http_ports = .*$/m, 'http_ports = { 0 }')
  .replace(/^https_ports = .*$/m, 'https_ports = { 0 }');

const KEY = /^([A-Za-z0-9_-]{12})\/([A-Za-z0-9_-]{36})$/;
const LANDING = /^https:\/\/example\.com\/invite\?([A-Za-z0-9_-]{24})$/;

t.test('the README workflow, step by step', async (t) => {
  const server = await startCanto(t, { config });
  const dir = server.dir;
  let key = '';
  let id = '';

  await t.test('step 1: create prints only ID/SECRET', async (t) => {
    const created = await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'My test key']);
    t.equal(created.code, 0, created.stderr);
    t.match(created.stdout, /^[A-Za-z0-9_-]{12}\/[A-Za-z0-9_-]{36}\n$/);
    key = created.stdout.trim();
    id = KEY.exec(key)![1]!;
    const stored = readFileSync(join(dir, 'data', 'example%2ecom', 'invite_api_keys.dat'), 'utf8');
    t.match(stored, `["name"] = "My test key";`);
    t.notMatch(stored, KEY.exec(key)![2]!, 'the secret is not stored');
  });

  await t.test('step 2: a GET with ?key= answers 201 Created with the landing page in Location', async (t) => {
    const reply = await request(server.httpsUrl(`/invites_api?key=${key}`), { headers: { connection: 'keep-alive' } });
    t.equal(reply.status, 201);
    t.equal(reply.body, '');
    t.match(reply.headers.location, LANDING);
    t.same(
      {
        'access-control-max-age': reply.headers['access-control-max-age'],
        'access-control-allow-origin': reply.headers['access-control-allow-origin'],
        'access-control-allow-headers': reply.headers['access-control-allow-headers'],
        'access-control-allow-methods': reply.headers['access-control-allow-methods'],
        'content-length': reply.headers['content-length'],
        'content-type': reply.headers['content-type'],
      },
      {
        'access-control-max-age': '7200',
        'access-control-allow-origin': '*',
        'access-control-allow-headers': 'Content-Type',
        // COMPAT: the README shows `OPTIONS, GET`; Canto also routes POST.
        'access-control-allow-methods': 'OPTIONS, GET, POST',
        'content-length': '0',
        'content-type': undefined,
      },
    );
    t.match(reply.headers.connection, /^keep-alive$/i);
    t.ok(reply.headers.date, 'has a Date header');
    const names = reply.rawHeaders.filter((_, i) => i % 2 === 0);
    for (const name of ['Access-Control-Max-Age', 'Access-Control-Allow-Origin', 'Access-Control-Allow-Headers', 'Access-Control-Allow-Methods', 'Content-Length', 'Location']) {
      t.ok(names.includes(name), `header written as ${name}`);
    }

    const token = LANDING.exec(String(reply.headers.location))![1]!;
    const invites = readFileSync(join(dir, 'data', 'example%2ecom', 'invite_token.dat'), 'utf8');
    t.match(invites, `["${token}"] = {`, 'the invite is stored');
    t.match(invites, `["source"] = "api/token/${id}";`, 'with the key it came from');
    const page = await request(server.url(`/invite?${token}`));
    t.equal(page.status, 200, 'the landing page serves the invite');
  });

  await t.test('step 2b: &redirect=true answers 303 See Other to a new invite', async (t) => {
    const reply = await request(server.httpsUrl(`/invites_api?key=${key}&redirect=true`));
    t.equal(reply.status, 303);
    t.match(reply.headers.location, LANDING);
    t.equal(reply.headers['content-length'], '0');
  });

  await t.test('step 2c: the key works in an Authorization: Bearer header', async (t) => {
    const reply = await request(server.httpsUrl('/invites_api'), { headers: { Authorization: `Bearer ${key}` } });
    t.equal(reply.status, 201);
    t.match(reply.headers.location, LANDING);
  });

  await t.test('key management: list shows the id and the name', async (t) => {
    const listed = await runCtl(dir, ['mod_invites_api', 'list', 'example.com']);
    t.equal(listed.code, 0, listed.stderr);
    t.equal(listed.stdout, `${id}\tMy test key\tnever\t${listed.stdout.split('\t')[3]}\tinvite\n`);
    t.match(listed.stdout, /\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\tinvite\n$/, 'then expiry (never), last use and scopes');
  });

  await t.test('key management: delete revokes the key on the running server at once', async (t) => {
    const deleted = await runCtl(dir, ['mod_invites_api', 'delete', 'example.com', id]);
    t.equal(deleted.code, 0, deleted.stderr);
    t.equal(deleted.stdout, '');
    const reply = await request(server.httpsUrl(`/invites_api?key=${key}`));
    t.equal(reply.status, 403);
    const listed = await runCtl(dir, ['mod_invites_api', 'list', 'example.com']);
    t.equal(listed.stdout, '');
  });

  await t.test('the secret appeared nowhere in the server log', async (t) => {
    const secret = KEY.exec(key)![2]!;
    t.notMatch(server.stderr(), secret);
    t.match(await server.logged(id), id, 'the key id is logged');
  });
});
