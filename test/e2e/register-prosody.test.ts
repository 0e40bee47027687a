/**
 * An account made by Canto's web registration is one the real Prosody 0.12 logs in with: Prosody
 * runs on the same data folder with c2s on a free port, and a small SASL PLAIN client checks the
 * new password, a wrong one, and after a reset invite only the new one. A contact invite's
 * mutual subscription is made through Prosody's admin socket. Needs Debian's prosody.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { request, runCtl, startCanto, type CantoServer } from '../helpers/canto.js';
import { runShellLine, subscribeBothLine } from '../../modules/mod_invites_register/prosody-shell.js';

const PROSODY = '/usr/bin/prosody';

/** A port nobody listens on now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** SASL PLAIN over a plain c2s stream: "success" or "failure". */
function saslPlain(port: number, user: string, password: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    let sent = false;
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write("<?xml version='1.0'?><stream:stream to='example.com' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"));
    socket.on('data', (chunk: string) => {
      data += chunk;
      if (!sent && data.includes('</stream:features>')) {
        sent = true;
        socket.write(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${password}`).toString('base64')}</auth>`);
      }
      const m = /<(success|failure)[\s>/]/.exec(data);
      if (m) {
        socket.end('</stream:stream>');
        resolve(m[1]!);
      }
    });
    socket.on('error', reject);
  });
}

async function submitForm(server: CantoServer, token: string, user: string, password: string) {
  const page = await request(server.url(`/register?t=${token}`));
  const cookie = String(page.headers['set-cookie'] ?? '').split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)![1]!;
  return request(server.url(`/register?t=${token}`), {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie },
    body: new URLSearchParams({ token, csrf, user, password }).toString(),
  });
}

if (!existsSync(PROSODY)) {
  if (process.env.CI) t.fail('prosody is missing: .ci/run should have installed it');
  else t.plan(0, 'the real Prosody is not installed (apt-get install prosody)');
} else {
  t.test('the real Prosody authenticates accounts Canto registered, and honours a reset', async (t) => {
    const dir = t.testdir();
    const c2s = await freePort();
    const data = join(dir, 'data');
    // A unix socket path has at most 107 bytes; the test folder's path is longer.
    const sockDir = mkdtempSync(join(tmpdir(), 'canto-'));
    t.teardown(() => rmSync(sockDir, { recursive: true, force: true }));
    const sock = join(sockDir, 'prosody.sock');
    const shared = [
      `data_path = ${JSON.stringify(data)}`,
      `admin_socket = ${JSON.stringify(sock)}`,
      `pidfile = ${JSON.stringify(join(dir, 'prosody.pid'))}`,
      // The real Prosody below runs as root (run_as_root); Canto shares its data as the same
      // user, or files Prosody makes on login (its roster folder) would be root's and Canto's not.
      'run_as_root = true',
    ];
    const prosodyConfig = [
      ...shared,
      'log = { { levels = { min = "info" }, to = "console" } }',
      `c2s_ports = { ${c2s} }`,
      'c2s_interfaces = { "127.0.0.1" }',
      's2s_ports = { }',
      'c2s_require_encryption = false',
      'allow_unencrypted_plain_auth = true',
      'modules_enabled = { "saslauth", "roster", "admin_socket", "admin_shell" }',
      'VirtualHost "example.com"',
      '',
    ].join('\n');
    const cantoConfig = [
      ...shared,
      'http_ports = { 0 }',
      'https_ports = { }',
      'http_default_host = "example.com"',
      'modules_enabled = { "invites", "invites_page", "register_apps", "invites_register_web" }',
      'VirtualHost "example.com"',
      '',
    ].join('\n');
    const server = await startCanto(t, { config: cantoConfig, dir, files: { 'prosody-real.cfg.lua': prosodyConfig, 'certs/.keep': '' } });

    const prosody = spawn(PROSODY, ['--config', join(dir, 'prosody-real.cfg.lua')], { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    const ready = new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        log += d.toString();
        if (log.includes("Activated service 'c2s'")) resolve();
      };
      prosody.stdout.on('data', onData);
      prosody.stderr.on('data', onData);
      prosody.on('exit', (code) => reject(new Error(`prosody exited with ${code}: ${log}`)));
    });
    t.teardown(() => {
      prosody.kill('SIGKILL');
    });
    await ready;

    const generate = async (...flags: string[]) => /[?=]([A-Za-z0-9_-]{24})\b/.exec((await runCtl(dir, ['mod_invites', 'generate', 'example.com', ...flags])).stdout)![1]!;

    const made = await submitForm(server, await generate(), 'Newcomer', 'first-password');
    t.equal(made.status, 200, 'registered on the web');
    t.equal(await saslPlain(c2s, 'newcomer', 'first-password'), 'success', 'Prosody accepts the password chosen on the web');
    t.equal(await saslPlain(c2s, 'newcomer', 'wrong-password'), 'failure', 'and refuses a wrong one');

    const reset = await submitForm(server, await generate('--reset', 'newcomer'), 'newcomer', 'second-password');
    t.equal(reset.status, 200, 'password reset on the web');
    t.equal(await saslPlain(c2s, 'newcomer', 'second-password'), 'success', 'Prosody accepts the new password');
    t.equal(await saslPlain(c2s, 'newcomer', 'first-password'), 'failure', 'and no longer the old one');

    t.notOk(readFileSync(join(data, 'example%2ecom', 'accounts', 'newcomer.dat'), 'utf8').includes('password'), 'no plaintext password stored');

    // A contact invite's subscription, made by the running Prosody itself through its admin socket.
    await runCtl(dir, ['adduser', 'inviter@example.com'], { input: 'inviter-pass\ninviter-pass\n' });
    const result = await runShellLine(sock, subscribeBothLine('example.com', 'inviter', 'newcomer'));
    t.same(result, { ok: true, text: 'Result: subscribed' });
    for (const [user, contact] of [['inviter', 'newcomer'], ['newcomer', 'inviter']]) {
      const roster = readFileSync(join(data, 'example%2ecom', 'roster', `${user}.dat`), 'utf8');
      t.match(roster, `["${contact}@example.com"] = {`, `${user} has ${contact} in the roster`);
      t.match(roster, '["subscription"] = "both";');
    }
  });
}
