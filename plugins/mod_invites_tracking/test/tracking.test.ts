/**
 * mod_invites_tracking on the Canto test kit: a registration with an invite is recorded in
 * prosody-modules' layout (data/<host>/invites_tracking/<user>.dat), and `ctl show` finds it
 * by account or by token.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { startHost } from 'canto/testing';

const PLUGINS = fileURLToPath(new URL('../..', import.meta.url));
const CONFIG = 'modules_enabled = { "invites", "invites_tracking" }\nVirtualHost "example.com"\n';

/** The part of mod_invites' API these tests use, as its README documents it. */
interface Invites {
  createAccount(username?: string, additionalData?: Record<string, string>): Promise<{ token: string }>;
  createGroup(groups: string[], additionalData?: Record<string, string>, ttl?: number): Promise<{ token: string }>;
  use(token: string, username?: string): Promise<{ ok: true; invite: { token: string; additional_data?: Record<string, unknown> } } | { ok: false }>;
}

async function setup(t: Test) {
  const host = await startHost(t, { config: CONFIG, plugins: [PLUGINS] });
  const invites = host.api<Invites>('example.com', 'invites');
  /** What a registration module does: consume the invite, make the account, fire user-registered. */
  const register = async (username: string, token: string) => {
    const used = await invites.use(token, username);
    if (!used.ok) throw new Error(`invite ${token} refused`);
    host.fireEvent('example.com', 'user-registered', { username, host: 'example.com', validated_invite: used.invite, source: 'invite' });
    return host.api<{ forUser(u: string): Promise<unknown> }>('example.com', 'invites_tracking').forUser(username);
  };
  const file = (user: string) => readFileSync(join(host.dir, 'data', 'example%2ecom', 'invites_tracking', `${user === ' ' ? '%20' : user}.dat`), 'utf8');
  return { host, invites, register, file };
}

t.test('a registration with an invite is stored as prosody-modules stores it', async (t) => {
  const { invites, register, file } = await setup(t);
  const invite = await invites.createAccount(undefined, { source: 'api/token/k1' });
  t.same(await register('alice', invite.token), { username: 'alice', invite_id: invite.token, invite_source: 'api/token/k1' });
  t.equal(file('alice'), `return {\n\t["invite_id"] = "${invite.token}";\n\t["invite_source"] = "api/token/k1";\n};\n`);
  t.equal(file(' '), 'return {\n\t["version"] = "1";\n};\n', 'the format version under the user " "');
});

t.test('ctl show finds an account by name and the accounts of a token', async (t) => {
  const { host, invites, register } = await setup(t);
  const single = await invites.createAccount();
  const group = await invites.createGroup(['team'], { source: 'admin' }, 3600);
  await register('bob', single.token);
  await register('carol', group.token);
  await register('dave', group.token);

  t.same(await host.ctl('mod_invites_tracking', 'show', 'example.com', 'bob'), {
    code: 0,
    stdout: `USER\tINVITE\tSOURCE\nbob\t${single.token}\t-\n`,
    stderr: '',
  });
  t.same(await host.ctl('mod_invites_tracking', 'show', 'example.com', group.token), {
    code: 0,
    stdout: `USER\tINVITE\tSOURCE\ncarol\t${group.token}\tadmin\ndave\t${group.token}\tadmin\n`,
    stderr: '',
  });
});

t.test('ctl show: nothing recorded is exit 1, misuse is usage and exit 2', async (t) => {
  const { host } = await setup(t);
  t.same(await host.ctl('mod_invites_tracking', 'show', 'example.com', 'nobody'), {
    code: 1,
    stdout: '',
    stderr: "Error: no account of this host is recorded for 'nobody'\n",
  });
  t.same(await host.ctl('mod_invites_tracking', 'show', 'example.com', ' '), {
    code: 1,
    stdout: '',
    stderr: "Error: no account of this host is recorded for ' '\n",
  }, 'the format record is not an account');
  const misuse = await host.ctl('mod_invites_tracking', 'show', 'example.com');
  t.equal(misuse.code, 2);
  t.match(misuse.stderr, 'ctl: missing USER|TOKEN\nUsage: ctl mod_invites_tracking show HOST USER|TOKEN\n');
});

t.test('a registration without an invite records nothing', async (t) => {
  const { host } = await setup(t);
  host.fireEvent('example.com', 'user-registered', { username: 'erin', host: 'example.com', source: 'ctl' });
  t.equal(await host.api<{ forUser(u: string): Promise<unknown> }>('example.com', 'invites_tracking').forUser('erin'), undefined);
  t.equal((await host.ctl('mod_invites_tracking', 'show', 'example.com', 'erin')).code, 1);
});
