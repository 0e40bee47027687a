/**
 * Canto and the real Prosody 0.12 (Debian's prosody + prosody-modules) on one data folder:
 * each lists and uses the other's API keys and invites. Needs `prosodyctl`: .ci/run installs
 * it; elsewhere the test is skipped with a note (`apt-get install prosody prosody-modules`).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { request, runCtl, startCanto } from '../helpers/canto.js';

const PROSODYCTL = '/usr/bin/prosodyctl';
// Debian's prosody-modules installs its modules beside Prosody's own.
const INVITES_API = '/usr/lib/prosody/modules/mod_invites_api';

if (!existsSync(PROSODYCTL) || !existsSync(INVITES_API)) {
  if (process.env.CI) t.fail('prosodyctl is missing: .ci/run should have installed prosody and prosody-modules');
  else t.plan(0, 'the real Prosody is not installed (apt-get install prosody prosody-modules)');
} else {
  t.test('Canto and prosodyctl share one data folder', async (t) => {
    const dir = t.testdir();
    const config = [
      // prosodyctl switches to the prosody user unless told to stay; the test runs as one user.
      'prosody_user = "root"',
      'run_as_root = true',
      'prosody_group = "root"',
      `pidfile = ${JSON.stringify(join(dir, 'prosody.pid'))}`,
      // Canto's ready line is an info message; prosodyctl prints only errors at info anyway.
      'log = "*console"',
      'http_ports = { 0 }',
      'https_ports = { }',
      // Prosody takes data_path as it is; Canto reads a relative one from the config's folder.
      `data_path = ${JSON.stringify(join(dir, 'data'))}`,
      'modules_enabled = { "invites", "invites_api" }',
      'VirtualHost "example.com"',
      '',
    ].join('\n');
    // An existing certificates folder keeps prosodyctl from printing an error on stdout.
    const server = await startCanto(t, { config, dir, files: { 'certs/.keep': '' } });
    const prosodyctl = (...args: string[]) => {
      const r = spawnSync(PROSODYCTL, ['--config', join(dir, 'prosody.cfg.lua'), ...args], { encoding: 'utf8', timeout: 30_000 });
      return { code: r.status, stdout: r.stdout };
    };
    const cantoList = async (...args: string[]) => (await runCtl(dir, args)).stdout;

    await t.test("prosodyctl lists a key Canto created (Prosody cannot use it: only its hash is stored)", async (t) => {
      const created = await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'Canto key']);
      const id = created.stdout.split('/')[0]!;
      const listed = prosodyctl('mod_invites_api', 'list', 'example.com');
      t.equal(listed.code, 0);
      t.equal(listed.stdout, `${id}\tCanto key\n`);
    });

    await t.test('a key prosodyctl created is listed by Canto and authenticates on the running server', async (t) => {
      const created = prosodyctl('mod_invites_api', 'create', 'example.com', 'Prosody key');
      t.equal(created.code, 0);
      const key = created.stdout.trim();
      t.match(key, /^[A-Za-z0-9_-]{12}\/[A-Za-z0-9_-]{36}$/);
      t.match(await cantoList('mod_invites_api', 'list', 'example.com'), `${key.split('/')[0]}\tProsody key\tnever\tnever\tinvite\n`);
      const reply = await request(server.url(`/invites_api?key=${key}`), { headers: { Host: 'example.com' } });
      t.equal(reply.status, 201);
    });

    await t.test("Prosody keeps Canto's invites when it writes its own, and Canto reads Prosody's", async (t) => {
      const before = await cantoList('mod_invites', 'list', 'example.com');
      t.match(before, /^1 pending invite$/m, 'the invite the API just made');
      const generated = prosodyctl('mod_invites', 'generate', 'example.com');
      t.equal(generated.code, 0);
      const token = /preauth=([A-Za-z0-9_-]{24})/.exec(generated.stdout)?.[1];
      t.ok(token, generated.stdout);
      // Prosody read Canto's invite_token.dat before rewriting it, or Canto's invite would be gone.
      const after = await cantoList('mod_invites', 'list', 'example.com');
      t.match(after, /^2 pending invites$/m);
      const shown = await runCtl(dir, ['mod_invites', 'show', 'example.com', token!]);
      t.equal(shown.code, 0, shown.stderr);
      t.match(shown.stdout, 'additional_data: {"groups":{}}');
    });
  });
}
