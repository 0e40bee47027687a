/**
 * mod_invites_webhook on the Canto test kit, against real receivers on free loopback ports:
 * one fails, goes away and comes back an hour later across a restart of the host; every event
 * reaches each receiver exactly once, in order, signed.
 */
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startHost } from 'canto/testing';
import { signature, verifySignature } from '../sign.js';
import { Receiver } from './receiver.js';

const PLUGINS = fileURLToPath(new URL('../..', import.meta.url));
const NOW = 1_800_000_000;
const SECRET = 'test-secret-7d2c';

const config = (urls: string[]) =>
  [
    'modules_enabled = { "invites", "invites_webhook" }',
    `invites_webhook_urls = { ${urls.map((u) => JSON.stringify(u)).join(', ')} }`,
    `invites_webhook_secret = ${JSON.stringify(SECRET)}`,
    'VirtualHost "example.com"',
    '',
  ].join('\n');

/** The parts of mod_invites' and the webhook's APIs the test drives. */
interface Invites {
  createAccount(username?: string, additionalData?: Record<string, string>, ttl?: number): Promise<{ token: string }>;
  use(token: string, username?: string): Promise<{ ok: true; invite: { token: string } } | { ok: false }>;
  delete(token: string): Promise<boolean>;
}
interface Webhook {
  idle(): Promise<void>;
  pending(): Promise<unknown[]>;
}

t.test('every event reaches every receiver once, in order, through failure, absence and a restart', async (t) => {
  let clockNow = NOW;
  const now = () => clockNow;
  const flaky = await Receiver.start(SECRET, now);
  const steady = await Receiver.start(SECRET, now);
  t.teardown(() => Promise.all([flaky.goAway(), steady.goAway()]));
  flaky.failing = true;

  const dir = t.testdir();
  const first = await startHost(t, { dir, config: config([flaky.url, steady.url]), plugins: [PLUGINS], now: NOW });
  const invites = first.api<Invites>('example.com', 'invites');
  const webhook = first.api<Webhook>('example.com', 'invites_webhook');

  const used = await invites.createAccount(undefined, { source: 'api/token/k1' });
  const lookup = await invites.use(used.token, 'alice');
  if (!lookup.ok) throw new Error('the invite should be valid');
  first.fireEvent('example.com', 'user-registered', { username: 'alice', host: 'example.com', validated_invite: lookup.invite });
  const revoked = await invites.createAccount();
  await invites.delete(revoked.token);
  const expiring = await invites.createAccount(undefined, undefined, 30);
  await webhook.idle();
  t.equal(flaky.attempts, 1, 'the failing receiver got the first event once, and holds the rest back');
  t.same(steady.events, ['invite-created', 'invite-used', 'user-registered', 'invite-created', 'invite-revoked', 'invite-created']);

  await flaky.goAway();
  clockNow = NOW + 3600;
  await first.clock.advance(3600); // an hour of retries that find nobody; the hourly purge expires one invite
  await webhook.idle();
  t.equal(flaky.attempts, 1, 'nobody listened');
  t.same(steady.events.slice(6), ['invite-expired']);
  t.equal((await webhook.pending()).length, 7, 'the outbox keeps all seven for the absent receiver');
  const listed = await first.ctl('mod_invites_webhook', 'pending', 'example.com');
  const flakyHost = new URL(flaky.url).host;
  t.equal(listed.code, 0);
  t.equal(listed.stdout.split('\n')[0], 'EVENT\tRECEIVER\tATTEMPTS\tNEXT ATTEMPT');
  t.equal(
    listed.stdout.split('\n')[1],
    `invite-created\t${flakyHost}\t10\t${new Date((NOW + 3970) * 1000).toISOString()}`,
    'ten failed tries in the hour (after 10, 20, 40 ... s, then every 900 s); the next at +3970 s',
  );
  t.match(listed.stdout, /\n7 pending deliveries\n$/);
  await first.stop();

  // Another hour on, the receiver is back, and so is the host, on the same data folder.
  await flaky.comeBack();
  flaky.failing = false;
  clockNow = NOW + 7200;
  const second = await startHost(t, { dir, config: config([flaky.url, steady.url]), plugins: [PLUGINS], now: NOW + 7200 });
  const webhook2 = second.api<Webhook>('example.com', 'invites_webhook');
  await webhook2.idle();

  t.same(flaky.ids, steady.ids, 'the same events, in the same order');
  t.equal(new Set(flaky.ids).size, 7, 'each once');
  t.equal(steady.deliveries.length, 7, 'the steady receiver got nothing twice');
  t.same(await webhook2.pending(), [], 'the outbox is empty');
  t.ok([...flaky.deliveries, ...steady.deliveries].every((d) => d.verified), 'every request is signed with a fresh timestamp');
  t.equal(flaky.deliveries[0]!.headers['x-canto-timestamp'], String(NOW + 7200), 'signed when sent, not when queued');

  const bodies = steady.deliveries.map((d) => JSON.parse(d.body) as { id: string; event: string; host: string; time: number; data: Record<string, unknown> });
  t.match(bodies[0], { event: 'invite-created', host: 'example.com', time: NOW, data: { token: used.token, type: 'register', additional_data: { source: 'api/token/k1' } } });
  t.match(bodies[1], { event: 'invite-used', data: { username: 'alice', uses: 1, invite: { token: used.token } } });
  t.match(bodies[2], { event: 'user-registered', data: { username: 'alice', validated_invite: { token: used.token } } });
  t.match(bodies[4], { event: 'invite-revoked', data: { revoked_by: 'ctl', invite: { token: revoked.token, status: 'revoked' } } });
  t.match(bodies[6], { event: 'invite-expired', time: NOW + 3600, data: { token: expiring.token, expires: NOW + 30 } });
  t.match(steady.deliveries[0]!.headers, { 'content-type': 'application/json', 'x-canto-event': 'invite-created', 'x-canto-event-id': bodies[0]!.id });
  t.match(first.logs().join('\n'), /warn\tCould not deliver invite-created event to 127\.0\.0\.1:\d+ \(status 500\); retry 1 in 10 s/);
  t.notMatch(second.logs().join('\n') + first.logs().join('\n'), SECRET, 'the secret is never logged');
});

t.test('the signature covers the timestamp and the body; old or altered requests fail', async (t) => {
  const body = '{"id":"x"}';
  const sig = signature(SECRET, NOW, body);
  t.match(sig, /^sha256=[0-9a-f]{64}$/);
  t.ok(verifySignature(SECRET, sig, String(NOW), body, NOW + 299));
  t.notOk(verifySignature(SECRET, sig, String(NOW), body, NOW + 301), 'a replay after five minutes');
  t.notOk(verifySignature(SECRET, sig, String(NOW + 1), body, NOW), 'another timestamp');
  t.notOk(verifySignature(SECRET, sig, String(NOW), '{"id":"y"}', NOW), 'another body');
  t.notOk(verifySignature('other', sig, String(NOW), body, NOW), 'another secret');
});

t.test('receiver URLs without a secret stop the module; a bad URL or event is an option error', async (t) => {
  const base = 'modules_enabled = { "invites", "invites_webhook" }\nVirtualHost "example.com"\n';
  await t.rejects(startHost(t, { config: base + '  invites_webhook_urls = { "http://127.0.0.1:9/x" }\n', plugins: [PLUGINS] }), /invites_webhook_secret is required/);
  await t.rejects(startHost(t, { config: base + '  invites_webhook_urls = "ftp://x"\n  invites_webhook_secret = "s"\n', plugins: [PLUGINS] }), /invites_webhook_urls/);
  await t.rejects(startHost(t, { config: base + '  invites_webhook_events = { "invite-eaten" }\n', plugins: [PLUGINS] }), /invites_webhook_events/);
});
