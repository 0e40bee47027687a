/**
 * The test kit (canto/testing): an in-process host answers as the real server does (compared
 * request by request with the server started as a process), ctl runs in-process with exit
 * codes and output as `npx ctl`, and the clock moves only when the test moves it.
 */
import { join } from 'node:path';
import t from 'tap';
import { FIXTURES, request, startCanto } from '../../helpers/canto.js';
import { startHost } from '../../../runtime/testing/index.js';

const PLUGINS = join(FIXTURES, 'plugins');
const CONFIG = [
  'http_ports = { 0 }',
  'https_ports = { }',
  'http_default_host = "example.com"',
  'modules_enabled = { "hello" }',
  'VirtualHost "example.com"',
  '  hello_greeting = "hi there"',
  '',
].join('\n');

/** Everything a client sees of a response, but the Date header's value. */
const seen = (r: { status: number; rawHeaders: string[]; body: string }) => ({
  status: r.status,
  headers: r.rawHeaders.map((v, i) => (i % 2 === 1 && r.rawHeaders[i - 1]!.toLowerCase() === 'date' ? '<date>' : v)),
  body: r.body,
});

t.test('inject answers exactly what the listening server answers', async (t) => {
  // Its own data folder: without data_path the server would use the installed Prosody's (/var/lib/prosody).
  const server = await startCanto(t, { config: `plugin_paths = { ${JSON.stringify(PLUGINS)} }\ndata_path = "data"\n${CONFIG}` });
  const host = await startHost(t, { config: CONFIG, plugins: [PLUGINS], dir: join(server.dir, 'in-process') });
  const cases: { method?: string; path: string; headers?: Record<string, string>; body?: string }[] = [
    { path: '/hello' },
    { path: '/hello/' },
    { path: '/hello/files/a/b.txt' },
    { path: '/nothing' },
    { path: '/hello/boom' },
    { path: '/hello/forbidden' },
    { method: 'DELETE', path: '/hello' },
    { method: 'HEAD', path: '/hello' },
    { method: 'OPTIONS', path: '/hello', headers: { origin: 'https://app.example', 'access-control-request-method': 'POST' } },
    { method: 'POST', path: '/hello/echo', headers: { 'content-type': 'text/plain', origin: 'https://app.example' }, body: 'ping' },
    { path: '/hello', headers: { host: 'unknown.example' } },
    { path: '/%zz' },
  ];
  for (const c of cases) {
    const headers = { host: 'example.com', connection: 'keep-alive', ...c.headers };
    const real = await request(server.url(c.path), { method: c.method ?? 'GET', headers, ...(c.body ? { body: c.body } : {}) });
    const injected = await host.inject({ method: c.method ?? 'GET', url: c.path, headers, ...(c.body ? { body: c.body } : {}) });
    t.same(seen(injected), seen(real), `${c.method ?? 'GET'} ${c.path}`);
  }
  t.match(host.logs().join('\n'), /Error processing GET \/hello\/boom: secret detail/, 'the handler error is in the host log');
});

t.test('inject: relative URLs go to the first host, absolute https URLs count as TLS, JSON bodies', async (t) => {
  const host = await startHost(t, {
    config: 'modules_enabled = { "probe" }\nVirtualHost "example.com"\nVirtualHost "other.example"\n',
    files: {
      'plugins/mod_probe/index.js': `export default { load(module) {
        module.provides('http', { route: { 'POST': (req) => ({ status: 200, headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ host: module.host, secure: req.secure, ip: req.ip, type: req.headers['content-type'], body: req.body.toString() }) }) } });
      } };`,
    },
    plugins: ['plugins'],
  });
  const first = await host.inject({ method: 'POST', url: '/probe', body: { a: 1 } });
  t.same(first.json(), { host: 'example.com', secure: false, ip: '127.0.0.1', type: 'application/json', body: '{"a":1}' });
  const other = await host.inject({ method: 'POST', url: 'https://other.example/probe', body: 'x', remoteAddress: '192.0.2.7' });
  t.same(other.json(), { host: 'other.example', secure: true, ip: '192.0.2.7', body: 'x' });
});

t.test('ctl runs in-process: output, exit codes, usage on stderr, the same data as the host', async (t) => {
  const host = await startHost(t, { config: CONFIG, plugins: [PLUGINS] });
  t.same(await host.ctl('mod_hello', 'set', 'example.com', 'colour', 'blue'), { code: 0, stdout: 'set colour\n', stderr: '' });
  t.equal((await host.inject('/hello/store/colour')).body, 'blue', 'the running host reads what ctl wrote');
  t.same(await host.ctl('mod_hello', 'get', 'example.com', 'colour', '--upper'), { code: 0, stdout: 'BLUE\n', stderr: '' });
  t.same(await host.ctl('mod_hello', 'get', 'example.com', 'size'), { code: 1, stdout: '', stderr: 'Error: no such key\n' });
  const misuse = await host.ctl('mod_hello', 'set', 'example.com', '_k', 'v');
  t.equal(misuse.code, 2);
  t.match(misuse.stderr, /^ctl: keys may not start with _\nUsage: ctl mod_hello set HOST KEY VALUE\n/);
  t.equal((await host.ctl('mod_nothing', 'x', 'example.com')).stderr, "Error: module 'nothing' not found\n");
  t.notMatch(host.logs().join('\n'), /set colour/, "ctl's output stays out of the host's log");
});

t.test('the clock moves only when the test moves it; due timers run in order, to the end', async (t) => {
  const host = await startHost(t, {
    now: 1_800_000_000,
    config: 'modules_enabled = { "ticker" }\nVirtualHost "example.com"\n',
    plugins: ['plugins'],
    files: {
      'plugins/mod_ticker/index.js': `export default { load(module) {
        const runs = [];
        module.addTimer(60, async (now) => { await new Promise((r) => setImmediate(r)); runs.push(now); return 3600; });
        module.provides('http', { route: { GET: () => JSON.stringify({ now: module.time(), runs }) } });
      } };`,
    },
  });
  const state = async () => JSON.parse((await host.inject('/ticker')).body) as { now: number; runs: number[] };
  t.same(await state(), { now: 1_800_000_000, runs: [] });
  await host.clock.advance(59);
  t.same((await state()).runs, [], 'not yet due');
  await host.clock.advance(1);
  t.same(await state(), { now: 1_800_000_060, runs: [1_800_000_060] });
  await host.clock.advance(2 * 3600);
  t.same(await state(), { now: 1_800_007_260, runs: [1_800_000_060, 1_800_003_660, 1_800_007_260] });
  await host.clock.set(1_700_000_000);
  t.equal((await state()).now, 1_700_000_000, 'the clock can be stepped back');
  t.equal(host.clock.pending, 1);
});

t.test('a module that fails to load fails startHost with the logged error, unless allowed', async (t) => {
  const config = 'modules_enabled = { "broken", "hello" }\nVirtualHost "example.com"\n';
  await t.rejects(startHost(t, { config, plugins: [PLUGINS] }), /did not start cleanly:\n.*Failed to load module 'broken' on example\.com: Module 'no_such_module' not found/);
  const host = await startHost(t, { config, plugins: [PLUGINS], allowLoadErrors: true });
  t.equal((await host.inject('/hello')).status, 200, 'the other modules run, as on the server');
  t.equal(host.api<{ greet(): string }>('example.com', 'hello').greet(), 'hello');
});

t.test('ctl reads its stdin from the test: empty by default, or the given input', async (t) => {
  const host = await startHost(t, { config: 'VirtualHost "example.com"\n' });
  const typed = await host.ctl(['adduser', 'alice@example.com'], { input: 'correct horse\ncorrect horse\n' });
  t.same(typed, { code: 0, stdout: 'Enter new password: \nRetype new password: \n', stderr: '' }, 'the prompts as prosodyctl prints them');
  const again = await host.ctl(['adduser', 'alice@example.com'], { input: 'x\nx\n' });
  t.equal(again.code, 1, 'the account exists now');
  const none = await host.ctl('adduser', 'bob@example.com');
  t.equal(none.code, 1, 'no password on an empty stdin: the command fails, it does not wait');
});
