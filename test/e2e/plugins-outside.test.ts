/**
 * The two extra invite modules (plugins/), copied to a folder outside the checkout and named in
 * plugin_paths, run in the real server and ctl: an invite minted over the HTTP API reaches a
 * real webhook receiver, signed; mod_invites_tracking's ctl command answers.
 */
import { chmodSync, cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { Receiver } from '../../plugins/mod_invites_webhook/test/receiver.js';
import { ROOT, request, runCtl, startCanto, testConfig } from '../helpers/canto.js';

const outside = mkdtempSync(join(tmpdir(), 'canto-extra-'));
// mkdtemp makes it 0700; started as root, the server and ctl read plugins as the prosody user.
chmodSync(outside, 0o755);
for (const name of ['mod_invites_webhook', 'mod_invites_tracking']) cpSync(join(ROOT, 'plugins', name), join(outside, name), { recursive: true });
t.teardown(() => rmSync(outside, { recursive: true, force: true }));

t.test('the extra modules load from outside the checkout, in the server and in ctl', async (t) => {
  t.notOk(outside.startsWith(ROOT));
  const receiver = await Receiver.start('e2e-secret', () => Math.floor(Date.now() / 1000));
  t.teardown(() => receiver.goAway());
  const config = testConfig(
    ['invites', 'invites_api', 'invites_webhook', 'invites_tracking'],
    `plugin_paths = { ${JSON.stringify(outside)} }\ninvites_webhook_urls = { ${JSON.stringify(receiver.url)} }\ninvites_webhook_secret = "e2e-secret"`,
  );
  const server = await startCanto(t, { config });
  t.notMatch(server.stderr(), /\terror\t/, 'every module loaded');

  const key = (await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com', 'hooks'])).stdout.trim();
  const minted = await request(server.url('/invites_api'), { headers: { host: 'example.com', authorization: `Bearer ${key}` } });
  t.equal(minted.status, 201);
  const token = /preauth=([A-Za-z0-9_-]+)/.exec(String(minted.headers.location))?.[1];
  t.match(token, /^[A-Za-z0-9_-]{24}$/);

  await receiver.delivered(1); // the POST follows the 201, from the server's outbox
  t.same(receiver.events, ['invite-created']);
  t.ok(receiver.deliveries[0]!.verified, 'signed with the configured secret');
  t.match(JSON.parse(receiver.deliveries[0]!.body), { event: 'invite-created', host: 'example.com', data: { token } });

  t.same(await runCtl(server.dir, ['mod_invites_tracking', 'show', 'example.com', 'nobody']), {
    code: 1,
    stdout: '',
    stderr: "Error: no account of this host is recorded for 'nobody'\n",
  });
});
