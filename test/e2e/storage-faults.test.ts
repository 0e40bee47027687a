/**
 * Storage faults against a real server process: a full disk (a 1 MiB tmpfs holding the data
 * folder and the log file) answers 503 with Retry-After and changes nothing, the server stays
 * up although its log file cannot be written either, and once there is room again it creates
 * invites with no restart. A data folder writable by other users is refused by server and ctl.
 */
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { request, runCtl, startCanto, testConfig, writeFiles } from '../helpers/canto.js';
import { smallDisk } from '../helpers/small-disk.js';
import { spawn } from 'node:child_process';
import { SERVER_BIN } from '../helpers/canto.js';

const LOG = 'log = { { levels = { min = "info" }, to = "console" }, { levels = { min = "info" }, to = "file", filename = "canto.log" } }';

/** Fill the file system holding `dir` to the last byte. */
function fill(dir: string): string {
  const filler = join(dir, 'filler');
  const chunk = Buffer.alloc(4096, 1);
  writeFileSync(filler, '');
  for (;;) {
    try {
      writeFileSync(filler, chunk, { flag: 'a' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
      throw err;
    }
  }
  for (;;) {
    try {
      writeFileSync(filler, Buffer.alloc(1, 1), { flag: 'a' }); // the last partial block too
    } catch {
      return filler;
    }
  }
}

t.test('a full disk: 503 with Retry-After, nothing changed, the server stays up, and recovers', async (t) => {
  const dir = smallDisk(t, '1m');
  writeFiles(dir, { 'prosody.cfg.lua': testConfig(['invites', 'invites_api'], LOG) });
  const key = (await runCtl(dir, ['mod_invites_api', 'create', 'example.com'])).stdout.trim();
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api'], LOG), dir });
  const store = join(dir, 'data', 'example%2ecom', 'invite_token.dat');
  t.equal((await request(server.url(`/invites_api?key=${key}`))).status, 201);
  const before = readFileSync(store);
  // The key's first use is recorded (last_used) after the answer; its file replace frees the
  // old file's page when it lands, so wait for it before filling the disk to the last byte.
  const keys = join(dir, 'data', 'example%2ecom', 'invite_api_keys.dat');
  while (!readFileSync(keys, 'utf8').includes('last_used')) await new Promise((r) => setTimeout(r, 20));

  const filler = fill(dir);
  for (let i = 0; i < 3; i++) {
    const reply = await request(server.url(`/invites_api?key=${key}`));
    t.equal(reply.status, 503, 'no room: 503');
    t.equal(reply.headers['retry-after'], '5');
  }
  const json = await request(server.url(`/invites_api?key=${key}`), { headers: { Accept: 'application/json' } });
  t.equal(json.status, 503);
  t.match(JSON.parse(json.body), { type: 'cancel', condition: 'service-unavailable' });
  t.strictSame(readFileSync(store), before, 'the store is unchanged');
  t.match(await server.logged(/Error saving to storage \S+invite_token\.dat: ENOSPC: no space left on device/), /Error saving to storage \S+invite_token\.dat: ENOSPC: no space left on device/, 'the console log says what happened');
  t.equal(server.process.exitCode, null, 'the server is still running');

  rmSync(filler);
  const again = await request(server.url(`/invites_api?key=${key}`));
  t.equal(again.status, 201, 'room again: 201 with no restart');
  const listed = await runCtl(dir, ['mod_invites', 'list', 'example.com']);
  t.match(listed.stdout, /^2 pending invites$/m, 'the two invites answered 201, and only those');
  t.notOk(statSync(store).size < before.length);
});

t.test('a data folder writable by other users is refused by the server and by ctl', async (t) => {
  const dir = t.testdir();
  const config = testConfig(['invites', 'invites_api']);
  writeFiles(dir, { 'prosody.cfg.lua': config });
  mkdirSync(join(dir, 'data'));
  chmodSync(join(dir, 'data'), 0o777);
  const message = `Refusing to use data_path ${join(dir, 'data')}: the folder is writable by other users (mode 0777); chmod o-w it`;

  const ctl = await runCtl(dir, ['mod_invites_api', 'create', 'example.com']);
  t.equal(ctl.code, 1);
  t.equal(ctl.stderr, `Error: ${message}\n`);
  t.equal(ctl.stdout, '');

  const server = spawn(process.execPath, [SERVER_BIN, '--config', join(dir, 'prosody.cfg.lua')], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  server.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => server.on('exit', resolve));
  t.equal(code, 1, 'the server does not start');
  t.equal(stderr, `canto: ${message}\n`);

  chmodSync(join(dir, 'data'), 0o1777);
  t.equal((await runCtl(dir, ['mod_invites_api', 'create', 'example.com'])).code, 1, 'sticky does not help the data folder itself');
  chmodSync(join(dir, 'data'), 0o750);
  t.equal((await runCtl(dir, ['mod_invites_api', 'create', 'example.com'])).code, 0, 'fixed: it works');
});
