/**
 * `npx ctl mod_invites ...` and `npx ctl mod_invites_api ...` as an operator types them:
 * output, exit codes, and the usage errors.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { runCtl, testConfig } from '../helpers/canto.js';

const T0 = 1_800_000_000;
const env = { CANTO_NOW: String(T0) };

function folder(t: { testdir(): string }, config: string): string {
  const dir = t.testdir();
  mkdirSync(join(dir, 'data'), { recursive: true });
  writeFileSync(join(dir, 'prosody.cfg.lua'), config);
  return dir;
}
const ctl = (dir: string, ...args: string[]) => runCtl(dir, args, { env });

function field(show: string, name: string): string | undefined {
  return new RegExp(`^${name}: (.*)$`, 'm').exec(show)?.[1];
}

/** Seconds from created_at to expires, as `show` prints them. */
function lifetime(show: string): number {
  return (Date.parse(field(show, 'expires')!.slice(0, 20)) - Date.parse(field(show, 'created_at')!)) / 1000;
}

t.test('mod_invites generate', async (t) => {
  const dir = folder(t, testConfig(['invites']));

  await t.test('prints the xmpp: URI when no landing-page module is enabled', async (t) => {
    const out = await ctl(dir, 'mod_invites', 'generate', 'example.com');
    t.equal(out.code, 0, out.stderr);
    t.match(out.stdout, /^xmpp:example\.com\?register;preauth=[A-Za-z0-9_-]{24}\n$/);
    const token = /preauth=(\S+)/.exec(out.stdout)![1]!;
    const shown = (await ctl(dir, 'mod_invites', 'show', 'example.com', token)).stdout;
    const stored = readFileSync(join(dir, 'data', 'example%2ecom', 'invite_token.dat'), 'utf8');
    t.match(stored, '\t\t["additional_data"] = {\n\t\t\t["groups"] = {};\n\t\t};\n', 'as Prosody: an empty groups list');
    t.equal(lifetime(shown), 604800, 'invite_expiry defaults to a week');
    t.match(field(shown, 'created_at'), /^2027-01-15T08:00:0\dZ$/, 'on the clock CANTO_NOW set');
  });

  await t.test('--reset USER makes a password-reset invite for a day', async (t) => {
    const out = await ctl(dir, 'mod_invites', 'generate', 'example.com', '--reset', 'Alice');
    t.equal(out.code, 0, out.stderr);
    t.match(out.stdout, /^xmpp:alice@example\.com\?register;preauth=[A-Za-z0-9_-]{24}\n$/);
    const shown = (await ctl(dir, 'mod_invites', 'show', 'example.com', /preauth=(\S+)/.exec(out.stdout)![1]!)).stdout;
    t.equal(field(shown, 'additional_data'), '{"allow_reset":"alice"}');
    t.equal(lifetime(shown), 86400);
    t.equal(field(shown, 'description'), 'password reset for alice');
  });

  await t.test('--admin, --role and --group (-g) go into the invite', async (t) => {
    const out = await ctl(dir, 'mod_invites', 'generate', 'example.com', '--admin', '--role', 'prosody:member', '--group', 'friends', '-g', 'family');
    t.equal(out.code, 0, out.stderr);
    const shown = (await ctl(dir, 'mod_invites', 'show', 'example.com', /preauth=(\S+)/.exec(out.stdout)![1]!)).stdout;
    t.same(JSON.parse(field(shown, 'additional_data')!), { groups: ['friends', 'family'], roles: { 'prosody:admin': true, 'prosody:member': true } });
  });

  await t.test('--expires-after sets the lifetime', async (t) => {
    for (const [period, seconds] of [['2h', 7200], ['3600', 3600], ['1 week', 604800]] as const) {
      const out = await ctl(dir, 'mod_invites', 'generate', 'example.com', '--expires-after', period);
      t.equal(out.code, 0, out.stderr);
      const shown = (await ctl(dir, 'mod_invites', 'show', 'example.com', /preauth=(\S+)/.exec(out.stdout)![1]!)).stdout;
      t.equal(lifetime(shown), seconds, period);
    }
  });

  await t.test('list shows each pending invite and a count; delete revokes one', async (t) => {
    const listed = await ctl(dir, 'mod_invites', 'list', 'example.com');
    t.equal(listed.code, 0, listed.stderr);
    const lines = listed.stdout.trimEnd().split('\n');
    t.equal(lines.at(-1), '6 pending invites');
    for (const line of lines.slice(0, -1)) t.match(line, /^[A-Za-z0-9_-]{24}\tregister\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\t\S.*$/);
    const token = lines[0]!.split('\t')[0]!;
    const deleted = await ctl(dir, 'mod_invites', 'delete', 'example.com', token);
    t.equal(deleted.code, 0, deleted.stderr);
    t.match((await ctl(dir, 'mod_invites', 'list', 'example.com')).stdout, /^5 pending invites$/m);
    const again = await ctl(dir, 'mod_invites', 'delete', 'example.com', token);
    t.equal(again.code, 1);
    t.match(again.stderr, 'Error: invite not found');
    const shown = await ctl(dir, 'mod_invites', 'show', 'example.com', token);
    t.equal(shown.code, 0, 'the revoked invite keeps its record');
    t.match(shown.stdout, /^status: revoked\nuses: 0\nrevoked_at: \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\nrevoked_by: ctl\n/m);
    const all = await ctl(dir, 'mod_invites', 'list', 'example.com', '--all');
    t.match(all.stdout, new RegExp(`^${token}\\tregister\\t\\S+\\t.*; revoked \\S+ by ctl$`, 'm'));
    t.match(all.stdout, /^6 invites$/m);
    const unknown = await ctl(dir, 'mod_invites', 'show', 'example.com', 'AAAAAAAAAAAAAAAAAAAAAAAA');
    t.equal(unknown.code, 1);
    t.match(unknown.stderr, 'Error: invite not found');
  });

  await t.test('invite_expiry is read as seconds or a period', async (t) => {
    const other = folder(t, testConfig(['invites'], 'invite_expiry = "2 days"'));
    const out = await ctl(other, 'mod_invites', 'generate', 'example.com');
    const shown = (await ctl(other, 'mod_invites', 'show', 'example.com', /preauth=(\S+)/.exec(out.stdout)![1]!)).stdout;
    t.equal(lifetime(shown), 2 * 86400);
  });
});

t.test('mod_invites generate prints the landing page when invites_page is enabled', async (t) => {
  const config = testConfig(
    ['invites', 'invites_page', 'register_apps'],
    'http_external_url = "https://example.com/"\nhttp_paths = { invites_page = "/invite" }',
  );
  const dir = folder(t, config);
  const out = await ctl(dir, 'mod_invites', 'generate', 'example.com');
  t.equal(out.code, 0, out.stderr);
  t.match(out.stdout, /^https:\/\/example\.com\/invite\?[A-Za-z0-9_-]{24}\n$/);
});

t.test('usage errors exit 2 with the usage on stderr; an unknown host exits 1', async (t) => {
  const dir = folder(t, testConfig(['invites', 'invites_api']));
  const usage: string[][] = [
    ['mod_invites', 'generate'],
    ['mod_invites', 'generate', 'example.com', '--reset', 'alice', '--admin'],
    ['mod_invites', 'generate', 'example.com', '--reset', 'alice', '--group', 'x'],
    ['mod_invites', 'generate', 'example.com', '--reset', 'not valid@name'],
    ['mod_invites', 'generate', 'example.com', '--expires-after', 'soon'],
    ['mod_invites', 'generate', 'example.com', '--role'],
    ['mod_invites', 'generate', 'example.com', '--bogus'],
    ['mod_invites', 'show', 'example.com'],
    ['mod_invites', 'delete', 'example.com'],
    ['mod_invites_api', 'create'],
    ['mod_invites_api', 'create', 'example.com', 'name', '--expires-after', 'never'],
    ['mod_invites_api', 'delete', 'example.com'],
    ['mod_invites_api', 'list'],
  ];
  for (const args of usage) {
    const out = await ctl(dir, ...args);
    t.equal(out.code, 2, args.join(' '));
    t.equal(out.stdout, '', 'nothing on stdout');
    t.match(out.stderr, /usage/i, 'usage on stderr');
  }
  for (const args of [
    ['mod_invites', 'generate', 'nosuch.example'],
    ['mod_invites', 'list', 'nosuch.example'],
    ['mod_invites_api', 'create', 'nosuch.example', 'name'],
    ['mod_invites_api', 'list', 'nosuch.example'],
  ]) {
    const out = await ctl(dir, ...args);
    t.equal(out.code, 1, args.join(' '));
    t.match(out.stderr, 'Error: please supply a valid host');
  }
  const help = await ctl(dir, 'mod_invites_api', 'create', '--help');
  t.equal(help.code, 0);
  t.match(help.stdout, /usage/i);
});

t.test('mod_invites_api delete of a missing key says so and exits 1', async (t) => {
  const dir = folder(t, testConfig(['invites', 'invites_api']));
  const out = await ctl(dir, 'mod_invites_api', 'delete', 'example.com', 'AAAAAAAAAAAA');
  t.equal(out.code, 1);
  t.equal(out.stderr.trim().split('\n').at(-1), 'Error: key not found');
  const created = await ctl(dir, 'mod_invites_api', 'create', 'example.com');
  t.match(created.stdout, /^[A-Za-z0-9_-]{12}\/[A-Za-z0-9_-]{36}\n$/);
  const listed = await ctl(dir, 'mod_invites_api', 'list', 'example.com');
  t.equal(listed.stdout, `${created.stdout.split('/')[0]}\t<unknown>\tnever\tnever\tinvite\n`);
  const deleted = await ctl(dir, 'mod_invites_api', 'delete', 'example.com', created.stdout.split('/')[0]!);
  t.equal(deleted.code, 0);
});
