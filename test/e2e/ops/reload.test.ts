/**
 * Signals as Prosody's: SIGHUP (and `ctl reload`) re-read the config and apply it while
 * requests go on being answered; a config with errors keeps the running one; log files are
 * reopened; ports are restart-only. `ctl status` reports the running server; `pidfile` is
 * honoured; SIGUSR1 opens no inspector.
 */
import { once } from 'node:events';
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { giveToServiceUser, request, runCtl, SERVER_BIN, startCanto, testConfig, type CantoServer } from '../../helpers/canto.js';
import { spawnSync } from 'node:child_process';

const MODULES = ['invites', 'invites_api', 'invites_page'];

/** Resolves once the server's stderr has a line matching `re` after `from` characters. */
async function logLine(server: CantoServer, re: RegExp, from = 0): Promise<string> {
  for (;;) {
    const m = re.exec(server.stderr().slice(from));
    if (m) return m[0];
    await once(server.process.stderr!, 'data');
  }
}

t.test('SIGHUP applies added and removed hosts and modules without dropping a request', async (t) => {
  const server = await startCanto(t, { config: testConfig(MODULES) });
  const key = (await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com', 'k'])).stdout.trim();
  // Keep requests coming during the reload: every one of them must be answered 201.
  let stop = false;
  const statuses: number[] = [];
  const errors: string[] = [];
  const load = (async () => {
    while (!stop) {
      try {
        statuses.push((await request(server.url(`/invites_api?key=${key}`))).status);
      } catch (err) {
        errors.push(String(err));
      }
    }
  })();
  const config = testConfig(MODULES) + 'VirtualHost "two.example"\nmodules_enabled = { "invites" }\nmodules_disabled = { "invites_page" }\n';
  const asTwo = () => request(server.url(`/invites_api?key=${key}`), { headers: { Host: 'two.example' } });
  t.equal((await asTwo()).status, 201, 'before: two.example is unknown, so http_default_host (example.com) answers');
  writeFileSync(join(server.dir, 'prosody.cfg.lua'), config);
  const mark = server.stderr().length;
  server.process.kill('SIGHUP');
  await logLine(server, /Config reloaded: hosts: example\.com, two\.example; \d+ modules loaded, 0 failed/, mark);
  const before = statuses.length;
  while (statuses.length < before + 5) await new Promise((r) => setImmediate(r));
  stop = true;
  await load;
  t.same(errors, [], 'no request failed');
  t.ok(statuses.length > 5 && statuses.every((s) => s === 201), `every request got 201 (${statuses.length})`);
  const log = server.stderr().slice(mark);
  t.match(log, /\tinfo\tReceived SIGHUP: reloading config /);
  t.match(log, /\tinfo\tHost two\.example added\n/);
  t.equal((await asTwo()).status, 403, "after: two.example answers itself, and example.com's key is not one of its keys");
  t.equal(server.process.exitCode, null, 'still running');
});

t.test('a config with errors keeps the running one and logs each error with its position', async (t) => {
  const server = await startCanto(t, { config: testConfig(MODULES) });
  const file = join(server.dir, 'prosody.cfg.lua');
  const good = readFileSync(file, 'utf8');
  const key = (await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com', 'k'])).stdout.trim();
  writeFileSync(file, good.replace('http_ports = { 0 }', 'http_ports = { 0 }\ntrusted_proxies = { "nonsense" }\nstorage = "nosuchdriver"'));
  const mark = server.stderr().length;
  const r = await runCtl(server.dir, ['reload']);
  t.equal(r.code, 1);
  t.equal(r.stdout, '');
  t.equal(
    r.stderr,
    `${file}:2:1: error: option 'trusted_proxies' has 'nonsense', which is not an address or CIDR range\n` +
      `${file}:3:1: error: Unknown storage driver 'nosuchdriver'\n` +
      'Error: the config has errors; the server keeps running with the config it had\n',
  );
  const log = await logLine(server, /[^]*The config has 2 errors; keeping the running config\n/, mark);
  t.match(log, new RegExp(`\\terror\\t${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}:2:1: option 'trusted_proxies' has 'nonsense'`));
  t.equal((await request(server.url(`/invites_api?key=${key}`))).status, 201, 'the running config still answers');
  const status = await runCtl(server.dir, ['status']);
  t.match(status.stdout, /^Canto is running with PID \d+\n/);
});

t.test('ports are restart-only; log files are reopened; ctl status and reload', async (t) => {
  // The log folder belongs to the server's user, as /var/log/prosody does.
  const dir = t.testdir({ logs: {} });
  giveToServiceUser(join(dir, 'logs'));
  const server = await startCanto(t, {
    dir,
    config: testConfig(MODULES, 'log = { { levels = { min = "info" }, to = "file", filename = "logs/canto.log" }, { levels = { min = "info" }, to = "console" } }\npidfile = "canto.pid"'),
  });
  t.equal(readFileSync(join(dir, 'data', 'canto.pid'), 'utf8'), `${server.process.pid}\n`, 'pidfile relative to data_path, as Prosody');
  renameSync(join(dir, 'logs', 'canto.log'), join(dir, 'logs', 'canto.log.1')); // logrotate
  const file = join(dir, 'prosody.cfg.lua');
  writeFileSync(file, readFileSync(file, 'utf8').replace('http_ports = { 0 }', 'http_ports = { 0, 0 }'));
  const r = await runCtl(dir, ['reload']);
  t.same(r, { code: 0, stdout: 'Canto log files re-opened and config file reloaded.\n', stderr: "warning: option 'http_ports' changed; it takes effect when Canto restarts\n" });
  await logLine(server, /Option 'http_ports' changed: restart Canto to apply it \(the running server keeps the old value\)/);
  t.match(readFileSync(join(dir, 'logs', 'canto.log'), 'utf8'), /Reload requested by ctl: reloading config/, 'a new log file after the reload');
  t.notMatch(readFileSync(join(dir, 'logs', 'canto.log.1'), 'utf8'), /Reload requested/, 'the rotated file is left alone');

  const status = await runCtl(dir, ['status']);
  t.equal(status.code, 0);
  const lines = status.stdout.split('\n');
  t.equal(lines[0], `Canto is running with PID ${server.process.pid}`);
  t.match(lines[1], /^Version: \d+\.\d+\.\d+$/);
  t.match(lines[2], /^Uptime: 0 days, 0 hours, \d+ minutes? and \d+ seconds? \(since \d{4}-\d\d-\d\dT/);
  t.equal(lines[3], `Config: ${file}`);
  t.equal(lines[4], `Listening: http on 127.0.0.1:${server.httpPort}`);
  t.match(status.stdout, /\nHost example\.com:\n  mod_invites: loaded\n  mod_invites_api: loaded\n(  mod_\w+: loaded\n)+Modules: \d+ loaded, 0 failed\n$/);

  // Another server on the same pidfile refuses, and leaves the pidfile alone.
  const second = spawnSync(process.execPath, [SERVER_BIN, '--config', file], { cwd: dir, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' }, timeout: 20_000 });
  t.equal(second.status, 1);
  t.match(second.stderr, new RegExp(`\\terror\\tFailed to start: Another Canto instance seems to be running with this pidfile \\(${join(dir, 'data', 'canto.pid').replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}, PID ${server.process.pid}\\), quitting\n`));
  t.equal(readFileSync(join(dir, 'data', 'canto.pid'), 'utf8'), `${server.process.pid}\n`);

  const stopped = await server.stop();
  t.equal(stopped.code, 0);
  t.notOk(existsSync(join(dir, 'data', 'canto.pid')), 'pidfile removed at stop');
  t.same(await runCtl(dir, ['status']), { code: 2, stdout: 'Canto is not running\n', stderr: '' });
  t.same(await runCtl(dir, ['reload']), { code: 1, stdout: 'Canto is not running\n', stderr: '' });
});

t.test('SIGUSR1 opens no inspector; a module that fails to load is counted in the ready line', async (t) => {
  const plugin = "export default { async load() { throw new Error('the disk is on fire'); } };\n";
  const server = await startCanto(t, {
    config: testConfig([...MODULES, 'broken'], 'plugin_paths = { "plugins" }'),
    files: { 'plugins/mod_broken/index.js': plugin },
  });
  t.match(await server.logged(/ example\.com:broken\s+\terror\tFailed to load module 'broken' on example\.com: the disk is on fire\n/), / example\.com:broken\s+\terror\tFailed to load module 'broken' on example\.com: the disk is on fire\n/);
  t.match(await server.logged(/\tinfo\tCanto ready, hosts: example\.com; \d+ modules loaded, 1 failed\n/), /\tinfo\tCanto ready, hosts: example\.com; \d+ modules loaded, 1 failed\n/);
  const check = await runCtl(server.dir, ['check']);
  t.equal(check.code, 1);
  t.match(check.stdout, /^error: Failed to load module 'broken' on example\.com: the disk is on fire$/m);
  const status = await runCtl(server.dir, ['status']);
  t.match(status.stdout, /  mod_broken: failed \(Failed to load module 'broken' on example\.com: the disk is on fire\)\n/);
  t.match(status.stdout, /Modules: \d+ loaded, 1 failed\n$/);

  server.process.kill('SIGUSR1');
  const reload = await runCtl(server.dir, ['status']); // the server answers after the signal
  t.equal(reload.code, 0);
  const inspector = connect(9229, '127.0.0.1');
  const outcome = await new Promise<string | undefined>((resolve) => {
    inspector.once('connect', () => resolve('connected'));
    inspector.once('error', (e: NodeJS.ErrnoException) => resolve(e.code));
  });
  inspector.destroy();
  t.equal(outcome, 'ECONNREFUSED', 'nothing listens on the inspector port');
  t.equal(server.process.exitCode, null);
});

t.test('a reload keeps who is throttled, and a changed limit takes effect', async (t) => {
  const limits = (max: number) => `invites_api_max_failures = ${max}\ninvites_api_failure_window = 3600\n`;
  const server = await startCanto(t, { config: testConfig(MODULES, limits(3)) });
  const key = (await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com', 'k'])).stdout.trim();
  const wrong = `${key.split('/')[0]}/${'A'.repeat(36)}`;
  const statuses = async (secret: string, n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push((await request(server.url(`/invites_api?key=${secret}`))).status);
    return out;
  };
  t.same(await statuses(wrong, 4), [403, 403, 403, 429], 'three failures, then throttled');

  const reload = async (config: string) => {
    writeFileSync(join(server.dir, 'prosody.cfg.lua'), config);
    const r = await runCtl(server.dir, ['reload']);
    t.equal(r.code, 0, r.stderr);
  };
  await reload(testConfig(MODULES, limits(3)));
  t.same(await statuses(key, 1), [429], 'still throttled after the reload, even with the right key');

  await reload(testConfig(MODULES, limits(10)));
  t.same(await statuses(key, 1), [201], 'the raised limit applies to what was counted before the reload');
  t.same(await statuses(wrong, 8), [403, 403, 403, 403, 403, 403, 403, 429], 'ten failures in the window, counting the three before the reloads');
});
