/**
 * Data written by the real Prosody 0.12.3 (test/fixtures/prosody-0.12.3/internal): its API keys
 * authenticate, its invites are listed and readable, and Canto's own records sit beside them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { FIXTURES, copyFixtures, request, runCtl, startCanto, testConfig } from '../helpers/canto.js';

// Just after Prosody wrote them: every fixture invite is still valid.
const env = { CANTO_NOW: '1795348500' };
const NAMED_KEY = '32Cmdy9Xpv_d/p2ak7pmJn3XnreELSmyQeEo4ulhgKyITksVn';
const UNNAMED_KEY = 'pDHbpWD1jDUP/DBDK4l3HZzOJYn2LKFE2069j3TWa0dIeJiKX';
const TOKENS = [
  'GPFTXTTPf-dJri1bvRH6LaGl',
  '8asXxjF3jpD7Uezf90KM56f2',
  'pEwipQvv-eBQ-HXgywhqPmI4',
  'jCQROWE46hmwMQXzg82unSbs',
  'gggqf_dCiUua0NrlMxVt76Oz',
  'ek8Yjiy24n5v2d_L_-DGefID',
];

t.test("Prosody's data", async (t) => {
  const dir = t.testdir();
  copyFixtures(join(FIXTURES, 'prosody-0.12.3', 'internal'), join(dir, 'data'));
  const config = testConfig(['invites', 'invites_api'], 'http_external_url = "https://example.com/"');
  const server = await startCanto(t, { config, dir, env });

  await t.test("both of Prosody's keys authenticate, by query and by header", async (t) => {
    for (const key of [NAMED_KEY, UNNAMED_KEY]) {
      const query = await request(server.url(`/invites_api?key=${key}`));
      t.equal(query.status, 201);
      t.match(query.headers.location, /^xmpp:example\.com\?register;preauth=[A-Za-z0-9_-]{24}$/);
      const header = await request(server.url('/invites_api'), { headers: { Authorization: `Bearer ${key}` } });
      t.equal(header.status, 201);
    }
    const wrong = await request(server.url(`/invites_api?key=${NAMED_KEY.slice(0, -1)}x`));
    t.equal(wrong.status, 403);
  });

  await t.test("list shows Prosody's keys as prosodyctl does", async (t) => {
    const listed = await runCtl(dir, ['mod_invites_api', 'list', 'example.com'], { env });
    t.equal(listed.code, 0, listed.stderr);
    t.match(listed.stdout, /^32Cmdy9Xpv_d\tMy test key\tnever\t\S+\tinvite\npDHbpWD1jDUP\t<unknown>\tnever\t\S+\tinvite\n$/);
  });

  await t.test("a key Canto creates is stored beside Prosody's in the same file", async (t) => {
    const created = await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'Canto key'], { env });
    t.equal(created.code, 0, created.stderr);
    const [id] = created.stdout.trim().split('/');
    const text = readFileSync(join(dir, 'data', 'example%2ecom', 'invite_api_keys.dat'), 'utf8');
    t.match(text, /^return \{\n/);
    t.match(text, `["token"] = "p2ak7pmJn3XnreELSmyQeEo4ulhgKyITksVn";`, "Prosody's record is kept as it was");
    t.match(text, `["${id}"] = {`);
    t.match(text, /\["token_hash"\] = "[0-9a-f]{64}";/);
    t.equal((await request(server.url(`/invites_api?key=${created.stdout.trim()}`))).status, 201);
  });

  await t.test("Prosody's invites are pending and readable", async (t) => {
    const listed = await runCtl(dir, ['mod_invites', 'list', 'example.com'], { env });
    t.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split('\n');
    const tokens = lines.slice(0, -1).map((line) => line.split('\t')[0]);
    for (const token of TOKENS) t.ok(tokens.includes(token), `${token} listed`);
    t.equal(lines.at(-1), `${lines.length - 1} pending invites`);
    t.match(listed.stdout, 'GPFTXTTPf-dJri1bvRH6LaGl\tregister\t2026-11-23T11:53:36Z\tpassword reset for alice\n');
    t.match(listed.stdout, 'pEwipQvv-eBQ-HXgywhqPmI4\troster\t2026-11-29T11:53:39Z\tcontact of alice (may register)\n');
    t.match(listed.stdout, 'ek8Yjiy24n5v2d_L_-DGefID\tregister\t2026-11-29T11:53:36Z\tgroup; groups: friends\n');
    t.match(listed.stdout, 'gggqf_dCiUua0NrlMxVt76Oz\tregister\t2026-11-29T11:53:39Z\taccount; via api/token/32Cmdy9Xpv_d\n');

    const shown = await runCtl(dir, ['mod_invites', 'show', 'example.com', '8asXxjF3jpD7Uezf90KM56f2'], { env });
    t.equal(shown.code, 0, shown.stderr);
    t.equal(
      shown.stdout,
      [
        'token: 8asXxjF3jpD7Uezf90KM56f2',
        'type: register',
        'kind: account',
        'jid: bob@example.com',
        'uri: xmpp:bob@example.com?register;preauth=8asXxjF3jpD7Uezf90KM56f2',
        'landing_page: https://example.com/invites_page?8asXxjF3jpD7Uezf90KM56f2',
        'created_at: 2026-11-22T11:53:39Z',
        'expires: 2026-11-29T11:53:39Z',
        'reusable: no',
        'status: pending',
        'uses: 0',
        'description: account bob',
        '',
      ].join('\n'),
    );
  });

  await t.test('without the clock shift the same invites are expired', async (t) => {
    const listed = await runCtl(dir, ['mod_invites', 'list', 'example.com'], { env: { CANTO_NOW: '1900000000' } });
    t.equal(listed.stdout, '0 pending invites\n');
    const shown = await runCtl(dir, ['mod_invites', 'show', 'example.com', 'jCQROWE46hmwMQXzg82unSbs'], { env: { CANTO_NOW: '1900000000' } });
    t.match(shown.stdout, 'expires: 2026-11-29T11:53:36Z (expired)\n');
  });
});
