/**
 * An invite created over the admin API is accepted by the real Prosody 0.12 sharing the data
 * folder: a client registers with it over XMPP (XEP-0401 preauth, then in-band registration),
 * and an invite revoked over the admin API is refused there too. Needs Debian's prosody
 * (installed by .ci/run); skipped elsewhere with a note.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { request, runCtl, startCanto, writeFiles } from '../helpers/canto.js';

const PROSODY = '/usr/bin/prosody';

/** A port the OS says is free now (Prosody cannot be told to pick one and report it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A bare XMPP client: writes stanzas and waits for the first answer matching a pattern. */
class Xmpp {
  #buffer = '';
  #waiters: { pattern: RegExp; resolve: (m: string) => void }[] = [];
  readonly socket: Socket;

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1');
    this.socket.setEncoding('utf8');
    this.socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      for (const w of [...this.#waiters]) {
        const m = w.pattern.exec(this.#buffer);
        if (m) {
          this.#waiters.splice(this.#waiters.indexOf(w), 1);
          w.resolve(m[0]);
        }
      }
    });
  }

  send(xml: string): void {
    this.socket.write(xml);
  }

  wait(pattern: RegExp): Promise<string> {
    const m = pattern.exec(this.#buffer);
    if (m) return Promise.resolve(m[0]);
    return new Promise((resolve) => this.#waiters.push({ pattern, resolve }));
  }

  /** Sends an iq and resolves with the whole answer to it. */
  async iq(id: string, type: 'get' | 'set', payload: string): Promise<string> {
    this.send(`<iq type='${type}' id='${id}'>${payload}</iq>`);
    return this.wait(new RegExp(`<iq[^>]*id=['"]${id}['"][^>]*(?:/>|>[\\s\\S]*?</iq>)`));
  }
}

if (!existsSync(PROSODY)) {
  if (process.env.CI) t.fail('prosody is missing: .ci/run should have installed it');
  else t.plan(0, 'the real Prosody is not installed (apt-get install prosody)');
} else {
  t.test('Prosody accepts an invite made over the admin API and refuses a revoked one', async (t) => {
    const dir = t.testdir();
    const data = join(dir, 'data');
    const canto = await startCanto(t, {
      dir,
      config: [
        // The real Prosody below runs as root (run_as_root); Canto shares its data as the same user.
        'run_as_root = true',
        'http_ports = { 0 }',
        'https_ports = { }',
        'http_default_host = "example.com"',
        `data_path = ${JSON.stringify(data)}`,
        'modules_enabled = { "invites", "invites_api", "http_admin_api" }',
        'VirtualHost "example.com"',
        '',
      ].join('\n'),
    });
    const key = (await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'portal', '--scope', 'admin'])).stdout.trim();
    const api = (method: string, path: string, body?: string) =>
      request(canto.url(`/admin_api${path}`), {
        method,
        headers: { Authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
        ...(body === undefined ? {} : { body }),
      });
    const good = JSON.parse((await api('POST', '/invites/account', '{"note":"for Prosody"}')).body) as { id: string };
    const revoked = JSON.parse((await api('POST', '/invites/account')).body) as { id: string };
    t.equal((await api('DELETE', `/invites/${revoked.id}`)).status, 200);

    const port = await freePort();
    writeFiles(dir, {
      'prosody/prosody.cfg.lua': [
        'run_as_root = true',
        `pidfile = ${JSON.stringify(join(dir, 'prosody', 'prosody.pid'))}`,
        'log = { info = "*console" }',
        `data_path = ${JSON.stringify(data)}`,
        `c2s_ports = { ${port} }`,
        'c2s_interfaces = { "127.0.0.1" }',
        's2s_ports = { }',
        'modules_disabled = { "s2s" }',
        'modules_enabled = { "invites", "invites_register", "register" }',
        'allow_registration = true',
        'registration_invite_only = true',
        'c2s_require_encryption = false',
        'VirtualHost "example.com"',
        '',
      ].join('\n'),
      'prosody/certs/.keep': '',
    });
    const prosody = spawn(PROSODY, ['--config', join(dir, 'prosody', 'prosody.cfg.lua'), '-F'], { stdio: ['ignore', 'pipe', 'pipe'] });
    t.teardown(() => void prosody.kill('SIGKILL'));
    let log = '';
    await new Promise<void>((resolve, reject) => {
      const onData = (d: Buffer) => {
        log += d.toString();
        if (log.includes("Activated service 'c2s'")) resolve();
      };
      prosody.stdout.on('data', onData);
      prosody.stderr.on('data', onData);
      prosody.once('exit', (code) => reject(new Error(`prosody exited with ${code}:\n${log}`)));
    });

    const client = new Xmpp(port);
    t.teardown(() => void client.socket.destroy());
    client.send(`<?xml version='1.0'?><stream:stream to='example.com' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams' version='1.0'>`);
    const features = await client.wait(/<stream:features>[\s\S]*?<\/stream:features>/);
    t.match(features, 'http://jabber.org/features/iq-register', 'Prosody offers in-band registration');

    const refused = await client.iq('p0', 'set', `<preauth xmlns='urn:xmpp:pars:0' token='${revoked.id}'/>`);
    t.match(refused, /type=['"]error['"]/, 'the revoked invite is refused by Prosody');
    t.match(refused, 'forbidden');

    const accepted = await client.iq('p1', 'set', `<preauth xmlns='urn:xmpp:pars:0' token='${good.id}'/>`);
    t.match(accepted, /type=['"]result['"]/, "Prosody accepts the admin API's invite");
    const registered = await client.iq('r1', 'set', "<query xmlns='jabber:iq:register'><username>newbie</username><password>a-long-password</password></query>");
    t.match(registered, /type=['"]result['"]/, 'and registers an account with it');

    t.ok(existsSync(join(data, 'example%2ecom', 'accounts', 'newbie.dat')), "Prosody wrote the account");
    const users = JSON.parse((await api('GET', '/users')).body) as { username: string }[];
    t.ok(users.some((u) => u.username === 'newbie'), 'Canto lists the account Prosody made');
    t.equal((await api('GET', `/invites/${good.id}`)).status, 404, 'Prosody consumed the invite (it keeps no record of the use)');
  });
}
