import t from 'tap';
import { collect } from '../../../runtime/storage/types.js';
import { memoryStore } from '../../helpers/memory-store.js';
import { createInvites, kindOf } from '../../../modules/mod_invites/invites.js';
import type { Invite } from '../../../modules/mod_invites/types.js';

function setup(start = 1_800_000_000) {
  const store = memoryStore();
  const archive = memoryStore();
  const uses = memoryStore();
  const events: [string, unknown][] = [];
  const clock = { now: start };
  const counts: string[] = [];
  const created: Invite[] = [];
  const invites = createInvites({
    host: 'example.com',
    store,
    defaultTtl: 604800,
    now: () => clock.now,
    counted: { created: (invite) => counts.push(`created ${invite.type}`), used: (invite) => counts.push(`used ${invite.type}`) },
    announce: async (invite) => {
      created.push(invite);
      if (invite.allow_registration) invite.landing_page = `https://example.com/invite?${invite.token}`;
    },
    archive,
    uses,
    notify: (event: string, data: unknown) => void events.push([event, data]),
  });
  return { store, archive, uses, events, clock, created, invites, counts };
}

t.test('an account invite is stored as Prosody stores it', async (t) => {
  const { store, invites } = setup();
  const invite = await invites.createAccount(undefined, { source: 'api/token/abc' });
  t.match(invite.token, /^[A-Za-z0-9_-]{24}$/);
  t.same(store.tables.get(null)!.get(invite.token), {
    type: 'register',
    jid: 'example.com',
    token: invite.token,
    allow_registration: true,
    uri: `xmpp:example.com?register;preauth=${invite.token}`,
    created_at: 1_800_000_000,
    expires: 1_800_604_800,
    additional_data: { source: 'api/token/abc' },
    landing_page: `https://example.com/invite?${invite.token}`,
  });
});

t.test('invite-created fires before the invite is stored, so listeners can add to it', async (t) => {
  const { store, created, invites } = setup();
  const invite = await invites.createAccount();
  t.equal(created[0], invite);
  t.equal((store.tables.get(null)!.get(invite.token) as Record<string, unknown>).landing_page, invite.landing_page);
});

t.test('a contact invite is also kept under the inviter, with ibr=y when it allows registration', async (t) => {
  const { store, invites } = setup();
  const open = await invites.createContact('alice', true);
  t.equal(open.uri, `xmpp:alice@example.com?roster;preauth=${open.token};ibr=y`);
  t.equal(store.tables.get('alice')!.get(open.token), open.expires);
  const closed = await invites.createContact('alice', false);
  t.equal(closed.uri, `xmpp:alice@example.com?roster;preauth=${closed.token}`);
  t.notOk(store.tables.get(null)!.has(closed.token), 'not host-wide: it cannot register an account');
  t.equal(store.tables.get('alice')!.get(closed.token), closed.expires);
});

t.test('a reset invite is for one day and names the account', async (t) => {
  const { invites } = setup();
  const invite = await invites.createAccountReset('Alice');
  t.equal(invite.jid, 'alice@example.com');
  t.same(invite.additional_data, { allow_reset: 'alice' });
  t.equal(invite.expires - invite.created_at, 86400);
  const lookup = await invites.get(invite.token);
  t.match(lookup, { ok: true, invite: { reset: 'alice' } });
});

t.test('a group invite is reusable only when given a ttl', async (t) => {
  const { invites } = setup();
  const once = await invites.createGroup(['friends']);
  t.notOk('reusable' in once);
  t.same(once.additional_data, { groups: ['friends'] });
  const many = await invites.createGroup(['friends'], { source: 'x' }, 3600);
  t.equal(many.reusable, true);
  t.match(await invites.use(many.token), { ok: true });
  t.match(await invites.use(many.token), { ok: true }, 'still there after a use');
  t.match(await invites.use(once.token), { ok: true });
  t.same(await invites.use(once.token), { ok: false, reason: 'token-used' });
});

t.test('get says why a token is refused', async (t) => {
  const { clock, invites } = setup();
  t.same(await invites.get(undefined), { ok: false, reason: 'no-token' });
  t.same(await invites.get(''), { ok: false, reason: 'no-token' });
  t.same(await invites.get('AAAAAAAAAAAAAAAAAAAAAAAA'), { ok: false, reason: 'token-invalid' });
  t.same(await invites.get('not a token / at all'), { ok: false, reason: 'token-invalid' });
  const invite = await invites.createAccount(undefined, undefined, 10);
  clock.now += 10;
  t.match(await invites.get(invite.token), { ok: true }, 'still valid in its last second');
  clock.now += 1;
  t.same(await invites.get(invite.token), { ok: false, reason: 'token-expired' });
});

t.test('a username-bound invite registers that username and no other', async (t) => {
  const { invites } = setup();
  const invite = await invites.createAccount('Bob');
  t.equal(invite.jid, 'bob@example.com');
  t.match(await invites.get(invite.token), { ok: true, invite: { username: 'bob' } });
  t.same(await invites.get(invite.token, 'mallory'), { ok: false, reason: 'wrong-username' });
  t.same(await invites.use(invite.token, 'mallory'), { ok: false, reason: 'wrong-username' });
  t.match(await invites.use(invite.token, 'BOB'), { ok: true }, 'names are compared after nodeprep');
  await t.rejects(invites.createAccount('not valid@'), TypeError);
});

t.test('an open account invite accepts any username', async (t) => {
  const { invites } = setup();
  const invite = await invites.createAccount();
  t.match(await invites.get(invite.token, 'anyone'), { ok: true, invite: { token: invite.token, reusable: false } });
});

t.test('use consumes a single-use invite once, even when two uses race', async (t) => {
  const { invites } = setup();
  const invite = await invites.createAccount();
  const results = await Promise.all([invites.use(invite.token), invites.use(invite.token), invites.use(invite.token)]);
  t.equal(results.filter((r) => r.ok).length, 1);
  t.same(await invites.get(invite.token), { ok: false, reason: 'token-used' });
});

t.test('max_uses: a reusable invite works that many times, even under racing uses, and counts them', async (t) => {
  const { store, archive, events, invites } = setup();
  const invite = await invites.createAccount(undefined, { source: 'test' }, 3600, 3);
  t.equal(invite.reusable, true);
  t.equal(invite.max_uses, 3);
  t.match(await invites.use(invite.token, 'Ann'), { ok: true, invite: { uses: 0, max_uses: 3 } });
  t.match(await invites.record(invite.token), { status: 'pending', uses: 1, used_by: ['ann'], kind: 'account' }, 'an account invite whatever its use limit');
  const results = await Promise.all(['bea', 'cid', 'dan', 'eve'].map((u) => invites.use(invite.token, u)));
  t.equal(results.filter((r) => r.ok).length, 2, 'only two more of four racing uses succeed');
  t.same(results.filter((r) => !r.ok).map((r) => !r.ok && r.reason), ['token-used', 'token-used']);
  t.notOk(store.tables.get(null)!.has(invite.token), 'gone from invite_token, so Prosody refuses it too');
  const record = await invites.record(invite.token);
  t.match(record, { status: 'used', uses: 3, max_uses: 3 });
  t.equal(record!.used_by!.length, 3);
  t.ok(archive.tables.get(null)!.has(invite.token));
  t.same(events.filter(([e]) => e === 'invite-used').map(([, d]) => (d as { uses: number }).uses), [1, 2, 3]);
  t.same(await invites.createAccount('bob', undefined, undefined, 5).then((i) => [i.reusable, i.max_uses]), [undefined, undefined], 'a username-bound invite stays single-use');
  await t.rejects(invites.createGroup(['g'], undefined, 60, 0), RangeError);
  t.equal(kindOf(await invites.createGroup([], undefined, 60)), 'group', 'a group invite with a ttl is reusable and a group invite');
  t.equal(kindOf(await invites.createAccount(undefined, undefined, 60, 2)), 'account');
});

t.test('each use is recorded on the account', async (t) => {
  const { invites } = setup();
  const invite = await invites.createAccount(undefined, { source: 'api/token/abc' });
  await invites.use(invite.token, 'Zoe');
  t.same(await invites.usedBy('zoe'), [{ token: invite.token, kind: 'account', used_at: 1_800_000_000, source: 'api/token/abc' }]);
  t.same(await invites.usedBy('nobody'), []);
  t.match(await invites.record(invite.token), { status: 'used', used_by: ['zoe'], uses: 1 });
});

t.test('revoke keeps a record: who and when, the link says revoked, the event fires', async (t) => {
  const { store, events, clock, invites } = setup();
  const invite = await invites.createContact('alice', true);
  clock.now += 5;
  const revoked = await invites.revoke(invite.token, 'api/token/k1');
  t.match(revoked, { token: invite.token, status: 'revoked', revoked_at: clock.now, revoked_by: 'api/token/k1', kind: 'contact' });
  t.notOk(store.tables.get(null)!.has(invite.token));
  t.notOk(store.tables.get('alice')!.has(invite.token));
  t.same(await invites.get(invite.token), { ok: false, reason: 'token-revoked' });
  t.same(await invites.use(invite.token), { ok: false, reason: 'token-revoked' });
  t.match(await invites.record(invite.token), { status: 'revoked', revoked_by: 'api/token/k1' });
  t.equal(await invites.revoke(invite.token, 'again'), undefined, 'a revoked invite is not revoked twice');
  t.match(events.find(([e]) => e === 'invite-revoked'), ['invite-revoked', { revoked_by: 'api/token/k1', invite: { token: invite.token } }]);
});

t.test('list filters by kind and validity and pages after a cursor', async (t) => {
  const { clock, invites } = setup();
  const a = await invites.createAccount();
  clock.now += 1;
  const g = await invites.createGroup(['x'], undefined, 100);
  clock.now += 1;
  const r = await invites.createAccountReset('bob');
  clock.now += 1;
  const gone = await invites.createAccount();
  await invites.revoke(gone.token, 'ctl');
  const tokens = (list: { token: string }[]) => list.map((i) => i.token);
  t.same(tokens(await invites.list()), [a.token, g.token, r.token, gone.token]);
  t.same(tokens(await invites.list({ valid: true })), [a.token, g.token, r.token]);
  t.same(tokens(await invites.list({ valid: false })), [gone.token]);
  t.same(tokens(await invites.list({ kind: 'group' })), [g.token]);
  t.same(tokens(await invites.list({ kind: 'reset' })), [r.token]);
  t.same(tokens(await invites.list({ limit: 2 })), [a.token, g.token]);
  t.same(tokens(await invites.list({ limit: 2, after: { created_at: g.created_at, token: g.token } })), [r.token, gone.token]);
  t.same(tokens(await collect(invites.records({ valid: true }))), [a.token, g.token, r.token], 'records() streams what list() returns');
  t.same(await invites.list({ limit: 0 }), []);
  clock.now += 1_000_000;
  t.same((await invites.list({ valid: false })).map((i) => i.status), ['expired', 'expired', 'expired', 'revoked']);
});

t.test('using a contact invite removes the inviter entry too', async (t) => {
  const { store, invites } = setup();
  const invite = await invites.createContact('alice', true);
  t.match(await invites.use(invite.token), { ok: true, invite: { inviter: 'alice', type: 'roster' } });
  t.notOk(store.tables.get('alice')!.has(invite.token));
});

t.test('delete removes an invite and says whether there was one', async (t) => {
  const { store, invites } = setup();
  const invite = await invites.createContact('alice', true);
  t.equal(await invites.delete(invite.token), true);
  t.notOk(store.tables.get(null)!.has(invite.token));
  t.notOk(store.tables.get('alice')!.has(invite.token));
  t.equal(await invites.delete(invite.token), false);
  t.equal(await invites.delete('../etc/passwd'), false);
});

t.test('pending lists unexpired invites, oldest first', async (t) => {
  const { clock, invites } = setup();
  const a = await invites.createAccount(undefined, undefined, 100);
  clock.now += 1;
  const b = await invites.createAccount();
  clock.now += 1;
  const c = await invites.createContact('alice', true);
  t.same((await collect(invites.pending())).map((i) => i.token), [a.token, b.token, c.token]);
  clock.now += 200;
  t.same((await collect(invites.pending())).map((i) => i.token), [b.token, c.token]);
});

t.test('purgeExpired removes expired invites everywhere and keeps the rest', async (t) => {
  const { store, clock, invites } = setup();
  const old = await invites.createContact('alice', true, undefined, 10);
  const oldClosed = await invites.createContact('carol', false, undefined, 10);
  const fresh = await invites.createAccount();
  await store.set(null, 'junk', 'not an invite');
  clock.now += 11;
  t.equal(await invites.purgeExpired(), 2);
  t.same([...store.tables.get(null)!.keys()].sort(), [fresh.token, 'junk'].sort(), 'malformed entries are left alone');
  t.notOk(store.tables.get('alice')!.has(old.token));
  t.notOk(store.tables.get('carol')!.has(oldClosed.token));
  t.equal(await invites.purgeExpired(), 0);
});

t.test("Prosody's records are read as they are", async (t) => {
  const { store, invites } = setup(1_795_348_500);
  await store.set(null, 'pEwipQvv-eBQ-HXgywhqPmI4', {
    allow_registration: true,
    landing_page: 'https://example.com/invites_page?pEwipQvv-eBQ-HXgywhqPmI4',
    created_at: 1795348419,
    jid: 'alice@example.com',
    uri: 'xmpp:alice@example.com?roster;preauth=pEwipQvv-eBQ-HXgywhqPmI4;ibr=y',
    expires: 1795953219,
    type: 'roster',
    token: 'pEwipQvv-eBQ-HXgywhqPmI4',
  });
  await store.set('alice', 'pEwipQvv-eBQ-HXgywhqPmI4', 1795953219);
  t.match(await invites.get('pEwipQvv-eBQ-HXgywhqPmI4', 'newuser'), {
    ok: true,
    invite: { type: 'roster', inviter: 'alice', landing_page: 'https://example.com/invites_page?pEwipQvv-eBQ-HXgywhqPmI4' },
  });
  t.match(await invites.use('pEwipQvv-eBQ-HXgywhqPmI4'), { ok: true });
  t.notOk(store.tables.get('alice')!.has('pEwipQvv-eBQ-HXgywhqPmI4'));
});

t.test('created and used invites are counted for the metrics, and only those', async (t) => {
  const { invites, counts } = setup();
  const invite = await invites.createAccount();
  await invites.createContact('alice', false);
  t.match(await invites.use(invite.token), { ok: true });
  t.match(await invites.use(invite.token), { ok: false }, 'a second use fails and is not counted');
  t.match(await invites.use('nosuchtoken'), { ok: false });
  t.same(counts, ['created register', 'created roster', 'used register']);
});
