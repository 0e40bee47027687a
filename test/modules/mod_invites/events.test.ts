/**
 * mod_invites' events on an in-process host (canto/testing): invite-used when a token is
 * consumed, invite-revoked when one is deleted, invite-expired when the hourly purge
 * removes it, each once and after the store has the change. (Events fire in the process that
 * made the change: a `ctl` run is a process of its own.)
 */
import t, { type Test } from 'tap';
import { startHost } from '../../../runtime/testing/index.js';

const NOW = 1_800_000_000;
const CONFIG = `modules_enabled = { "invites", "probe" }\nVirtualHost "example.com"\n`;

/** A plugin that records every invite event with what the store held when it fired. */
const PROBE = `export default { async load(module) {
  const seen = [];
  const store = module.openStore('invite_token', 'map');
  for (const name of ['invite-used', 'invite-revoked', 'invite-expired']) {
    module.hook(name, (event) => {
      seen.push(store.get(null, event.token ?? event.invite.token).then((stored) => ({ name, event, stored: stored !== undefined })));
    });
  }
  module.provides('http', { route: { GET: async () => JSON.stringify(await Promise.all(seen)) } });
} };`;

async function setup(t: Test) {
  const host = await startHost(t, { config: CONFIG, now: NOW, plugins: ['plugins'], files: { 'plugins/mod_probe/index.js': PROBE } });
  const invites = host.api('example.com', 'invites');
  const seen = async () => (await host.inject('/probe')).json<{ name: string; event: Record<string, unknown>; stored: boolean }[]>();
  return { host, invites, seen };
}

t.test('invite-used: once per use, with the validated invite and the username', async (t) => {
  const { invites, seen } = await setup(t);
  const invite = await invites.createAccount();
  t.ok((await invites.use(invite.token, 'alice')).ok);
  t.notOk((await invites.use(invite.token, 'bob')).ok, 'a used invite is gone');
  const events = await seen();
  t.equal(events.length, 1);
  t.match(events[0], { name: 'invite-used', stored: false, event: { username: 'alice', uses: 1, invite: { token: invite.token, type: 'register', reusable: false } } });
});

t.test('invite-revoked: when an invite is deleted, not for an unknown token', async (t) => {
  const { invites, seen } = await setup(t);
  const invite = await invites.createAccount();
  t.equal(await invites.delete(invite.token), true);
  t.equal(await invites.delete(invite.token), false);
  t.match(await seen(), [{ name: 'invite-revoked', stored: false, event: { revoked_at: NOW, revoked_by: 'ctl', invite: { token: invite.token, status: 'revoked', expires: NOW + 604800 } } }]);
});

t.test('invite-expired: fired by the purge after expiry, for account and contact invites', async (t) => {
  const { host, invites, seen } = await setup(t);
  const account = await invites.createAccount(undefined, undefined, 30);
  const contact = await invites.createContact('carol', false, undefined, 30);
  const lasting = await invites.createAccount();
  await host.clock.advance(3600); // the hourly purge runs at the top of the next hour
  const events = await seen();
  t.same(events.map((e) => [e.name, e.event.token, e.stored]).sort(), [
    ['invite-expired', account.token, false],
    ['invite-expired', contact.token, false],
  ].sort());
  t.match(events.find((e) => e.event.token === contact.token)!.event, { expires: NOW + 30 });
  t.ok((await invites.get(lasting.token)).ok, 'a valid invite stays');
  await host.clock.advance(3600);
  t.equal((await seen()).length, 2, 'nothing fires twice');
});
