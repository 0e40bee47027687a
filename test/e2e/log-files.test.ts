/**
 * Issue 13, point 9, on a real server: log lines are written off the request path, and none is
 * lost for it: a graceful stop writes every line logged before it, a SIGHUP after logrotate's
 * rename starts the new file, and a log file that cannot be written (a full disk) does not
 * take the server down; with room again, a SIGHUP brings the file back.
 */
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { request, startCanto, testConfig, writeFiles } from '../helpers/canto.js';
import { smallDisk } from '../helpers/small-disk.js';

const LOG = 'invites_api_max_failures = 100000\nlog = { { levels = { min = "info" }, to = "console" }, { levels = { min = "debug" }, to = "file", filename = "canto.log" } }';
const COUNT = 300;

/** Writes `bytes` at once and resolves once the server has closed the connection. */
function exchange(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('connect', () => socket.write(bytes));
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(received));
  });
}

const read = (file: string) => (existsSync(file) ? readFileSync(file, 'utf8') : '');
/** Waits until the file holds `pattern` (a line logged by a request that was answered). */
async function until(file: string, pattern: RegExp): Promise<void> {
  while (!pattern.test(read(file))) await new Promise((r) => setTimeout(r, 20));
}

t.test('a graceful stop writes every line logged before it', async (t) => {
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api'], LOG) });
  const file = join(server.dir, 'canto.log');
  const one = (last: boolean) => `GET /invites_api HTTP/1.1\r\nHost: example.com\r\n${last ? 'Connection: close\r\n' : ''}\r\n`;
  const answers = await exchange(server.httpPort, Array.from({ length: COUNT }, (_, i) => one(i === COUNT - 1)).join(''));
  t.equal(answers.match(/HTTP\/1\.1 403 /g)?.length, COUNT);
  const stopped = await server.stop('SIGTERM');
  t.equal(stopped.code, 0);
  const lines = read(file).trimEnd().split('\n');
  t.equal(lines.filter((l) => l.endsWith('\tGET /invites_api -> 403')).length, COUNT, 'a line for each request');
  t.match(lines.at(-1), /\tinfo\tStopped$/, 'and the stop is the last line');
});

t.test('after logrotate renames the file, SIGHUP starts a new one', async (t) => {
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api'], LOG) });
  const file = join(server.dir, 'canto.log');
  await request(server.url('/invites_api?first'));
  await until(file, /GET \/invites_api\?first -> 403/);
  renameSync(file, `${file}.1`);
  await request(server.url('/invites_api?renamed'));
  await until(`${file}.1`, /GET \/invites_api\?renamed -> 403/);
  server.process.kill('SIGHUP');
  await until(file, /Reloaded|reload/i);
  await request(server.url('/invites_api?after'));
  await until(file, /GET \/invites_api\?after -> 403/);
  t.notMatch(read(`${file}.1`), /\?after/, 'the old file gets nothing after the reopen');
  t.notMatch(read(file), /\?first|\?renamed/, 'the new file nothing from before');
});

t.test('a log file on a full disk does not stop the server; with room and a SIGHUP it is written again', async (t) => {
  const dir = smallDisk(t, '1m');
  writeFiles(dir, { 'prosody.cfg.lua': testConfig(['invites', 'invites_api'], LOG) });
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api'], LOG), dir });
  const file = join(dir, 'canto.log');
  await request(server.url('/invites_api?before'));
  await until(file, /\?before -> 403/);
  // Fill the disk to the last byte.
  const filler = join(dir, 'filler');
  writeFileSync(filler, '');
  for (const size of [65536, 4096, 1]) {
    for (;;) {
      try {
        writeFileSync(filler, Buffer.alloc(size, 1), { flag: 'a' });
      } catch {
        break;
      }
    }
  }
  for (let i = 0; i < 20; i++) t.equal((await request(server.url(`/invites_api?full${i}`))).status, 403);
  while (!/Cannot write to log file/.test(server.stderr())) await request(server.url('/invites_api?full'));
  t.match(await server.logged(/\terror\tCannot write to log file \S+canto\.log: ENOSPC: no space left on device, write; it stays off until logs are reopened \(SIGHUP\)\n/), /\terror\tCannot write to log file \S+canto\.log: ENOSPC: no space left on device, write; it stays off until logs are reopened \(SIGHUP\)\n/);
  t.equal(server.process.exitCode, null, 'the server is still running');
  t.equal((await request(server.url('/invites_api'))).status, 403, 'and answering');

  rmSync(filler);
  server.process.kill('SIGHUP');
  await until(file, /reload/i);
  await request(server.url('/invites_api?room'));
  await until(file, /\?room -> 403/);
  t.pass('the file is written again');
});
