/**
 * Prosody's `log` option (runtime/logging.ts) on the real server: sinks by level, files
 * beside the config, the system log through logger(1), sinks that fail without taking the
 * server down, and no secret in any of them.
 */
import { spawnSync } from 'node:child_process';
import dgram from 'node:dgram';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { FIXTURES, request, runCtl, SERVER_BIN, startCanto, testConfig, writeFiles } from '../helpers/canto.js';

const realLogger = spawnSync('sh', ['-c', 'command -v logger'], { encoding: 'utf8' }).stdout.trim();

t.test('log sinks by level go to the console and to files, and never hold a secret', async (t) => {
  const log = [
    'log = {',
    '  { levels = { min = "info" }, to = "console" };',
    '  { levels = { min = "debug" }, to = "file", filename = "logs/canto.debug" };',
    '  { levels = { "warn", "error" }, to = "file", filename = "logs/canto.warn" };',
    '}',
  ].join('\n');
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api'], log) });
  const created = await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com', 'logged']);
  const key = created.stdout.trim();
  const secret = key.split('/')[1]!;
  t.equal((await request(server.url(`/invites_api?key=${key}`), { headers: { Host: 'example.com' } })).status, 201);
  const wrong = `${key.split('/')[0]}/${secret.slice(0, -1)}x`;
  t.equal((await request(server.url(`/invites_api?key=${wrong}`), { headers: { Host: 'example.com' } })).status, 403);
  await server.stop();

  const debug = readFileSync(join(server.dir, 'logs', 'canto.debug'), 'utf8');
  const warn = readFileSync(join(server.dir, 'logs', 'canto.warn'), 'utf8');
  t.match(debug, /\tinfo\tCanto ready/, 'info reaches the debug file');
  t.match(debug, /\tdebug\tGET \/invites_api\?key=REDACTED -> 201\n/, 'and so does debug, with key= redacted');
  t.match(warn, /\twarn\tRefused invite request from 127\.0\.0\.1: wrong secret for key /);
  t.notMatch(warn, /\t(info|debug)\t/, 'the level list keeps the rest out');
  t.notMatch(server.stderr(), /\tdebug\t/, 'the console takes info and up');
  for (const [name, text] of [['console', server.stderr()], ['debug file', debug], ['warn file', warn]] as const) {
    t.notMatch(text, secret, `no secret in the ${name}`);
    t.notMatch(text, secret.slice(0, -1), `not even the wrong one, in the ${name}`);
  }
});

/**
 * A `logger` first on PATH that runs the real logger(1) with everything Canto passed, but sends
 * to a UDP socket this test reads instead of /dev/log (Node cannot listen on a unix datagram socket).
 */
async function syslogReceiver(t: Test, dir: string) {
  const socket = dgram.createSocket('udp4');
  const messages: string[] = [];
  let notify = () => {};
  socket.on('message', (m) => {
    messages.push(m.toString());
    notify();
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  t.teardown(() => socket.close());
  writeFiles(dir, { 'bin/logger': `#!/bin/sh\nexec ${realLogger} "$@" -d -n 127.0.0.1 -P ${socket.address().port} --rfc3164\n` });
  chmodSync(join(dir, 'bin', 'logger'), 0o755);
  const next = (pattern: RegExp) =>
    new Promise<string>((resolve) => {
      const check = () => {
        const found = messages.find((m) => pattern.test(m));
        if (found) resolve(found);
      };
      notify = check;
      check();
    });
  return { messages, next, env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}` } };
}

const hooks = `plugin_paths = { ${JSON.stringify(join(FIXTURES, 'plugins'))} }\nasync_hook_throw = true\n`;

t.test("Debian's mixed log table: files by level and errors to the system log with syslog_facility", { skip: realLogger ? false : 'logger(1) is not installed' }, async (t) => {
  const dir = t.testdir();
  const syslog = await syslogReceiver(t, dir);
  const log = [
    'syslog_facility = "local3"',
    'log = {',
    '  { levels = { min = "info" }, to = "console" };',
    '  info = "logs/prosody.log";',
    '  error = "logs/prosody.err";',
    '  { levels = { "error" }; to = "syslog"; };',
    '}',
  ].join('\n');
  const server = await startCanto(t, { dir, config: testConfig(['invites', 'invites_api', 'invites_page', 'async_hook'], `${hooks}${log}`), env: syslog.env });
  const key = (await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'syslog'])).stdout.trim();
  t.equal((await request(server.url(`/invites_api?key=${key}`), { headers: { Host: 'example.com' } })).status, 201);
  // local3 (19) * 8 + err (3) = 155; ident canto, the server's pid, then Prosody's "source: message".
  const line = await syslog.next(/invite-created/);
  t.match(line, new RegExp(`^<155>\\w{3} [ \\d]\\d \\d\\d:\\d\\d:\\d\\d \\S+ canto\\[${server.process.pid}\\]: example\\.com:async_hook: Error in a handler for event 'invite-created': the throwing handler$`));
  await server.stop();
  t.same(syslog.messages.filter((m) => !m.startsWith('<155>')), [], 'only errors reach the system log');
  const info = readFileSync(join(dir, 'logs', 'prosody.log'), 'utf8');
  const err = readFileSync(join(dir, 'logs', 'prosody.err'), 'utf8');
  t.match(info, /\tinfo\tCanto ready/);
  t.match(info, /\terror\tError in a handler for event 'invite-created'/);
  t.match(err, /^[^\n]*\terror\tError in a handler for event 'invite-created': the throwing handler\n$/);
});

t.test('a log file that cannot be written is reported once, and requests go on being answered', async (t) => {
  const dir = t.testdir();
  mkdirSync(join(dir, 'logs', 'canto.log'), { recursive: true }); // a folder where the file should be
  const log = 'log = { { levels = { min = "info" }, to = "console" }; { levels = { min = "debug" }, to = "file", filename = "logs/canto.log" } }';
  const server = await startCanto(t, { dir, config: testConfig(['invites', 'invites_api'], log) });
  for (let i = 0; i < 3; i++) t.equal((await request(server.url('/invites_api'), { headers: { Host: 'example.com' } })).status, 403);
  const file = join(dir, 'logs', 'canto.log');
  const reports = (await server.logged('Cannot write')).split('\n').filter((l) => l.includes('Cannot write'));
  t.same(reports.map((l) => l.replace(/^.*?\terror\t/, '')), [`Cannot write to log file ${file}: EISDIR: illegal operation on a directory, open '${file}'; it stays off until logs are reopened (SIGHUP)`]);
  t.match(server.stderr(), /\tinfo\tCanto ready/, 'the console sink keeps working');
});

t.test('a system log that refuses lines is reported once; the server goes on', async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'bin/logger': '#!/bin/sh\necho "logger: socket /dev/log: Connection refused" >&2\nexec cat >/dev/null\n' });
  chmodSync(join(dir, 'bin', 'logger'), 0o755);
  const log = 'log = { { levels = { min = "info" }, to = "console" }; "*syslog" }';
  const server = await startCanto(t, { dir, config: testConfig(['invites', 'invites_api'], log), env: { PATH: `${join(dir, 'bin')}:${process.env.PATH}` } });
  for (let i = 0; i < 3; i++) t.equal((await request(server.url('/invites_api'), { headers: { Host: 'example.com' } })).status, 403);
  const reports = (await server.logged('Cannot write')).split('\n').filter((l) => l.includes('Cannot write'));
  t.same(reports.map((l) => l.replace(/^.*?\terror\t/, '')), ['Cannot write to the system log (logger -t canto): logger: socket /dev/log: Connection refused; it stays off until logs are reopened (SIGHUP)']);
});

t.test('a wrong log option or syslog_facility stops start-up with its position', async (t) => {
  for (const [line, message] of [
    ['log = "*syslg"', "option 'log' names sink type 'syslg'; sink types are file, console, stdout, syslog, nowhere"],
    ['syslog_facility = "local9"\nlog = "*syslog"', 'option \'syslog_facility\' is "local9"; facilities are kern, user, mail, daemon, auth, syslog, lpr, news, uucp, cron, authpriv, ftp, local0, local1, local2, local3, local4, local5, local6, local7'],
  ] as const) {
    const dir = t.testdir({ 'prosody.cfg.lua': `data_path = "data"\nhttp_ports = { 0 }\nhttps_ports = { }\n${line}\n` });
    const r = spawnSync(process.execPath, [SERVER_BIN, '--config', join(dir, 'prosody.cfg.lua')], { encoding: 'utf8' });
    t.equal(r.status, 1);
    // The shared builder refuses the config: the error is logged at its position, as ctl check prints it.
    t.match(r.stderr, `\terror\t${join(dir, 'prosody.cfg.lua')}:4:1: ${message}\n`);
    t.match(r.stderr, /Failed to start: 1 error in the config/);
  }
});
