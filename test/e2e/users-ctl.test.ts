import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { runCtl, testConfig, writeFiles } from '../helpers/canto.js';

const PROMPTS = 'Enter new password: \nRetype new password: \n';

function setup(t: Test) {
  const dir = t.testdir();
  writeFiles(dir, { 'prosody.cfg.lua': testConfig([]) });
  return { dir, account: (user: string) => join(dir, 'data', 'example%2ecom', 'accounts', `${user}.dat`) };
}

t.test('adduser reads the password twice from stdin and writes a hashed record; prompts as prosodyctl', async (t) => {
  const { dir, account } = setup(t);
  const r = await runCtl(dir, ['adduser', 'Alice@Example.com'], { input: 'secret-pass\nsecret-pass\n' });
  t.same(r, { code: 0, stdout: PROMPTS, stderr: '' });
  const text = readFileSync(account('alice'), 'utf8');
  t.match(text, /\["stored_key"\] = "[0-9a-f]{40}";/);
  t.notOk(text.includes('secret-pass'));
  t.same(await runCtl(dir, ['adduser', 'alice@example.com'], { input: 'x\nx\n' }), { code: 1, stdout: '', stderr: 'That user already exists\n' });
});

t.test('mismatched or missing passwords change nothing', async (t) => {
  const { dir, account } = setup(t);
  t.same(await runCtl(dir, ['adduser', 'bob@example.com'], { input: 'one\ntwo\nn\n' }), {
    code: 1,
    stdout: 'Enter new password: \nRetype new password: \nPasswords did not match, try again? [Y/n] \n',
    stderr: '',
  });
  t.same(await runCtl(dir, ['adduser', 'bob@example.com'], { input: '' }), { code: 1, stdout: 'Enter new password: \nNo password - cancelled\n', stderr: '' });
  t.same(await runCtl(dir, ['adduser', 'bob@example.com'], { input: '\n\n' }), { code: 1, stdout: PROMPTS, stderr: 'No password was supplied\n' });
  t.notOk(existsSync(account('bob')));
  const retry = await runCtl(dir, ['adduser', 'bob@example.com'], { input: 'one\ntwo\ny\nlong-pass\nlong-pass\n' });
  t.equal(retry.code, 0, 'y retries');
  t.ok(existsSync(account('bob')));
});

t.test('passwd changes an existing account only; deluser removes it', async (t) => {
  const { dir, account } = setup(t);
  t.same(await runCtl(dir, ['passwd', 'carol@example.com'], { input: 'a\na\n' }), {
    code: 1,
    stdout: '',
    stderr: 'That user does not exist, use prosodyctl adduser to create a new user\n',
  });
  await runCtl(dir, ['adduser', 'carol@example.com'], { input: 'first-pass\nfirst-pass\n' });
  const before = readFileSync(account('carol'), 'utf8');
  t.same(await runCtl(dir, ['passwd', 'carol@example.com'], { input: 'second-pass\nsecond-pass\n' }), { code: 0, stdout: PROMPTS, stderr: '' });
  t.not(readFileSync(account('carol'), 'utf8'), before);
  t.same(await runCtl(dir, ['deluser', 'carol@example.com']), { code: 0, stdout: '', stderr: '' });
  t.notOk(existsSync(account('carol')));
  t.same(await runCtl(dir, ['deluser', 'carol@example.com']), { code: 1, stdout: '', stderr: 'That user does not exist on this server\n' });
});

t.test('bad JIDs get prosodyctl\'s messages; misuse prints usage and exits 2; the password never comes from argv', async (t) => {
  const { dir } = setup(t);
  t.same(await runCtl(dir, ['adduser', 'example.com']), {
    code: 1,
    stdout: '',
    stderr: 'Failed to understand JID, please supply the JID you want to create\nUsage: ctl adduser user@host\n',
  });
  t.same(await runCtl(dir, ['adduser', 'a b@example.com']), { code: 1, stdout: '', stderr: 'Please specify a JID, including a host. e.g. alice@example.com\n' });
  t.same(await runCtl(dir, ['adduser']), { code: 2, stdout: '', stderr: 'ctl: missing JID\nUsage: ctl adduser JID\n Create the specified user account in Prosody\n' });
  t.same(await runCtl(dir, ['adduser', 'dave@example.com', 'password']), {
    code: 2,
    stdout: '',
    stderr: "ctl: unexpected argument 'password'\nUsage: ctl adduser JID\n Create the specified user account in Prosody\n",
  });
  t.same(await runCtl(dir, ['passwd', '--help']), { code: 0, stdout: 'Usage: ctl passwd JID\n Set the password for the specified user account in Prosody\n', stderr: '' });
});

t.test('a host the config does not list gets prosodyctl\'s warning, as does an unsupported provider', async (t) => {
  const { dir } = setup(t);
  const r = await runCtl(dir, ['adduser', 'erin@other.example'], { input: 'long-pass\nlong-pass\n' });
  t.same(r, {
    code: 0,
    stdout: PROMPTS,
    stderr: "The host 'other.example' is not listed in the configuration file (or is not enabled).\nThe user will not be able to log in until this is changed.\n",
  });
  writeFiles(dir, { 'prosody.cfg.lua': testConfig([], 'authentication = "ldap"') });
  t.same(await runCtl(dir, ['adduser', 'frank@example.com'], { input: 'long-pass\nlong-pass\n' }), {
    code: 1,
    stdout: '',
    stderr: 'Error: authentication = "ldap" on example.com: Canto manages accounts only with "internal_hashed" (Prosody\'s default) or "internal_plain"\n',
  });
});
