/**
 * The host end to end: the real server and ctl as processes, a tiny TypeScript module from
 * plugin_paths (test/fixtures/plugins/mod_hello), real sockets on OS-picked ports.
 */
import net from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { FIXTURES, request, runCtl, startCanto } from '../helpers/canto.js';

const PLUGINS = join(FIXTURES, 'plugins');

function config(extra = '', hostExtra = ''): string {
  return [
    `plugin_paths = { ${JSON.stringify(PLUGINS)} }`,
    'http_ports = { 0 }',
    'https_ports = { }',
    'data_path = "data"',
    'modules_enabled = { "hello", "roster", "saslauth" }',
    extra,
    'VirtualHost "example.com"',
    hostExtra,
    'VirtualHost "other.example"',
    '  modules_disabled = { "hello" }',
    '',
  ].join('\n');
}

/** Send raw bytes, collect everything until the server closes or `until` matches. */
function raw(port: number, text: string, until?: RegExp): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.on('data', (d) => {
      data += d.toString('latin1');
      if (until?.test(data)) socket.end();
    });
    socket.on('end', () => resolve(data));
    socket.on('close', () => resolve(data));
    socket.on('error', reject);
    socket.write(text);
  });
}

const headerNames = (response: string) =>
  response
    .split('\r\n\r\n')[0]!
    .split('\r\n')
    .slice(1)
    .map((l) => l.slice(0, l.indexOf(':')));

t.test('a host with a module from plugin_paths', async (t) => {
  const server = await startCanto(t, { config: config('', 'hello_greeting = "hi there"') });
  const host = { Host: 'example.com' };

  t.test('answers on the OS-picked port with the host option value', async (t) => {
    const r = await request(server.url('/hello'), { headers: host });
    t.equal(r.status, 200);
    t.equal(r.body, 'hi there');
    t.equal(r.headers['content-type'], 'text/plain');
  });

  t.test('matches the Host header without its port and case-insensitively', async (t) => {
    const r = await request(server.url('/hello'), { headers: { Host: 'EXAMPLE.com:5280' } });
    t.equal(r.status, 200);
  });

  t.test('answers 404 for an unknown Host when there is no http_default_host', async (t) => {
    const r = await request(server.url('/hello'), { headers: { Host: 'nowhere.example' } });
    t.equal(r.status, 404);
  });

  t.test('does not mount a module disabled on a host', async (t) => {
    const r = await request(server.url('/hello'), { headers: { Host: 'other.example' } });
    t.equal(r.status, 404);
  });

  t.test('answers 400 to a request without a Host header', async (t) => {
    const r = await raw(server.httpPort, 'GET /hello HTTP/1.0\r\n\r\n');
    t.match(r, /^HTTP\/1\.[01] 400 /);
  });

  t.test('answers 400 to a malformed request and closes', async (t) => {
    const r = await raw(server.httpPort, 'THIS IS NOT HTTP\r\n\r\n');
    t.match(r, /^HTTP\/1\.1 400 Bad Request\r\n/);
  });

  t.test('answers 404 for a path no module serves', async (t) => {
    const r = await request(server.url('/nothing/here'), { headers: host });
    t.equal(r.status, 404);
    t.match(r.headers['content-type'], /text\/html/);
  });

  t.test('gives wildcard routes the rest of the path', async (t) => {
    const r = await request(server.url('/hello/files/a/b.txt'), { headers: host });
    t.equal(r.body, 'file:a/b.txt');
  });

  t.test('reads request bodies and refuses oversize ones with 413', async (t) => {
    const ok = await request(server.url('/hello/echo'), { method: 'POST', headers: host, body: 'ping' });
    t.equal(ok.body, 'ping');
    const big = await raw(
      server.httpPort,
      `POST /hello/echo HTTP/1.1\r\nHost: example.com\r\nContent-Length: ${20 * 1024 * 1024}\r\n\r\n`,
      /\r\n\r\n/,
    );
    t.match(big, /^HTTP\/1\.1 413 /);
  });

  t.test('answers 500 without detail when a handler throws, and keeps serving', async (t) => {
    const r = await request(server.url('/hello/boom'), { headers: host });
    t.equal(r.status, 500);
    t.notMatch(r.body, /secret detail/);
    t.notMatch(r.body, /at .*\.ts/);
    const after = await request(server.url('/hello'), { headers: host });
    t.equal(after.status, 200);
  });

  t.test('adds CORS headers in a fixed order and answers OPTIONS with 200', async (t) => {
    const r = await raw(server.httpPort, 'GET /hello/forbidden HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n');
    t.match(r, /^HTTP\/1\.1 403 Forbidden\r\n/);
    const names = headerNames(r);
    const cors = names.filter((n) => n.startsWith('Access-Control-'));
    t.same(cors, ['Access-Control-Allow-Methods', 'Access-Control-Allow-Headers', 'Access-Control-Max-Age', 'Access-Control-Allow-Origin']);
    t.match(r, /\r\nAccess-Control-Allow-Methods: OPTIONS, GET, POST\r\n/);
    t.match(r, /\r\nAccess-Control-Allow-Origin: \*\r\n/);
    const pre = await request(server.url('/hello'), { method: 'OPTIONS', headers: { ...host, Origin: 'https://app.example' } });
    t.equal(pre.status, 200);
    t.equal(pre.headers['content-length'], '0');
    t.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
  });

  t.test('keeps the connection alive across requests', async (t) => {
    const r = await raw(
      server.httpPort,
      'GET /hello HTTP/1.1\r\nHost: example.com\r\n\r\nGET /hello/event HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n',
    );
    t.equal(r.match(/HTTP\/1\.1 200 OK/g)?.length, 2);
    t.match(r, /hi!$/);
  });

  t.test('computes its public URL from the listening port', async (t) => {
    const r = await request(server.url('/hello/url'), { headers: host });
    t.equal(r.body, `http://example.com:${server.httpPort}/hello/x`);
  });

  t.test('warns about XMPP-only modules by name and keeps running', async (t) => {
    t.match(await server.logged(/Module 'roster' is not available in Canto/), /Module 'roster' is not available in Canto/);
    t.match(await server.logged(/Module 'saslauth' is not available in Canto/), /Module 'saslauth' is not available in Canto/);
  });

  t.test('sees a value written by ctl while it runs', async (t) => {
    const before = await request(server.url('/hello/store/colour'), { headers: host });
    t.equal(before.status, 404);
    const set = await runCtl(server.dir, ['mod_hello', 'set', 'example.com', 'colour', 'blue']);
    t.same(set, { code: 0, stdout: 'set colour\n', stderr: '' });
    const after = await request(server.url('/hello/store/colour'), { headers: host });
    t.equal(after.status, 200);
    t.equal(after.body, 'blue');
    const get = await runCtl(server.dir, ['mod_hello', 'get', 'example.com', 'colour', '--upper']);
    t.same(get, { code: 0, stdout: 'BLUE\n', stderr: '' });
  });

  t.test('finishes an in-flight request on SIGTERM and exits 0', async (t) => {
    const slow = request(server.url('/hello/slow'), { headers: host });
    await new Promise((r) => setTimeout(r, 200));
    const stopped = server.stop('SIGTERM');
    const r = await slow;
    t.equal(r.status, 200);
    t.equal(r.body, 'slow done');
    t.equal((await stopped).code, 0);
  });
});

t.test('http_paths and http_default_host', async (t) => {
  const server = await startCanto(t, { config: config('http_default_host = "example.com"\nhttp_paths = { hello = "/hi" }') });
  const moved = await request(server.url('/hi'), { headers: { Host: 'localhost' } });
  t.equal(moved.status, 200, 'an unknown Host reaches the default host, at the http_paths path');
  t.equal(moved.body, 'hello', 'the option default applies');
  const old = await request(server.url('/hello'), { headers: { Host: 'example.com' } });
  t.equal(old.status, 404, 'the default path is not mounted');
});

t.test('a module whose dependency is missing fails alone', async (t) => {
  const server = await startCanto(t, {
    config: config().replace('"hello", "roster"', '"hello", "broken", "roster"'),
  });
  t.match(await server.logged(/Failed to load module 'broken' on example\.com: .*no_such_module/), /Failed to load module 'broken' on example\.com: .*no_such_module/);
  const r = await request(server.url('/hello'), { headers: { Host: 'example.com' } });
  t.equal(r.status, 200);
});

t.test('an invalid module option stops nothing but that module, with its position', async (t) => {
  const server = await startCanto(t, { config: config('', 'hello_delay = "soon"') });
  t.match(await server.logged(/prosody\.cfg\.lua:\d+:\d+|hello_delay/), /prosody\.cfg\.lua:\d+:\d+|hello_delay/);
  const r = await request(server.url('/hello'), { headers: { Host: 'example.com' } });
  t.equal(r.status, 404);
});

t.test('ctl', async (t) => {
  const dir = t.testdir({ 'prosody.cfg.lua': config() });

  t.test('prints usage on stderr and exits 2 for missing arguments', async (t) => {
    const r = await runCtl(dir, ['mod_hello', 'set', 'example.com', 'only-key']);
    t.equal(r.code, 2);
    t.equal(r.stdout, '');
    t.match(r.stderr, /ctl: missing VALUE\nUsage: ctl mod_hello set HOST KEY VALUE/);
  });

  t.test('exits 2 for an unknown flag and for a command-level usage error', async (t) => {
    t.equal((await runCtl(dir, ['mod_hello', 'get', 'example.com', 'k', '--loud'])).code, 2);
    const r = await runCtl(dir, ['mod_hello', 'set', 'example.com', '_k', 'v']);
    t.equal(r.code, 2);
    t.match(r.stderr, /keys may not start with _/);
  });

  t.test('rejects an unknown host with exit 1', async (t) => {
    const r = await runCtl(dir, ['mod_hello', 'set', 'nowhere.example', 'k', 'v']);
    t.same(r, { code: 1, stdout: '', stderr: 'Error: please supply a valid host\n' });
  });

  t.test('shows help at every level on stdout', async (t) => {
    const top = await runCtl(dir, ['--help']);
    t.equal(top.code, 0);
    t.match(top.stdout, /Usage: ctl \[--config PATH\] <command>/);
    const mod = await runCtl(dir, ['mod_hello', '--help']);
    t.equal(mod.code, 0);
    t.match(mod.stdout, /set +Store a value in the hello store/);
    const cmd = await runCtl(dir, ['mod_hello', 'get', '--help']);
    t.equal(cmd.code, 0);
    t.match(cmd.stdout, /--upper +print it in upper case/);
  });

  t.test('exits 1 when a command fails', async (t) => {
    const r = await runCtl(dir, ['mod_hello', 'get', 'example.com', 'missing']);
    t.same(r, { code: 1, stdout: '', stderr: 'Error: no such key\n' });
  });

  t.test('exits 2 for an unknown command', async (t) => {
    const r = await runCtl(dir, ['frobnicate']);
    t.equal(r.code, 2);
    t.match(r.stderr, /unknown command 'frobnicate'/);
  });

  t.test('check reports XMPP-only modules as warnings and exits 0', async (t) => {
    const r = await runCtl(dir, ['check']);
    t.equal(r.code, 0, r.stdout + r.stderr);
    t.match(r.stdout, /prosody\.cfg\.lua:5:\d+: warning: Module 'roster' is not available/);
    t.match(r.stdout, /Done: 0 errors, 2 warnings\./);
  });

  t.test("check passes Debian's stock prosody.cfg.lua (with its conf.d Include) with warnings only", async (t) => {
    const debian = join(FIXTURES, 'config', 'debian', 'prosody.cfg.lua');
    const r = await runCtl(dir, ['--config', debian, 'check']);
    t.equal(r.code, 0, r.stdout + r.stderr);
    t.match(r.stdout, /warning: Module 'roster' is not available in Canto/);
    t.match(r.stdout, /^Done: 0 errors, \d+ warnings\.$/m);
    t.notMatch(r.stdout, /: error: /);
  });

  t.test('check config reports a bad option value with its position and exits 1', async (t) => {
    const bad = t.testdir({ 'prosody.cfg.lua': config('', 'hello_greeting = ""') });
    const r = await runCtl(bad, ['check', 'config']);
    t.equal(r.code, 1);
    t.match(r.stdout, /prosody\.cfg\.lua:8:\d+: error: example\.com: mod_hello: option 'hello_greeting'/);
  });

  t.test('check explains a period option it cannot read, at its position', async (t) => {
    const cfg = (expiry: string) => ({ 'prosody.cfg.lua': `data_path = "data"\ninvite_expiry = ${expiry}\nmodules_enabled = { "invites" }\nVirtualHost "example.com"\n` });
    const soon = await runCtl(t.testdir(cfg('"soon"')), ['check']);
    t.equal(soon.code, 1);
    t.match(soon.stdout, /prosody\.cfg\.lua:2:1: error: example\.com: mod_invites: option 'invite_expiry' not understood, expecting a period \(e\.g\. "2 days"\)\n/);
    const ambiguous = await runCtl(t.testdir(cfg('"1m"')), ['check']);
    t.equal(ambiguous.code, 1);
    t.match(ambiguous.stdout, /prosody\.cfg\.lua:2:1: error: example\.com: mod_invites: option 'invite_expiry' is set to ambiguous period '1m' - use full syntax e\.g\. '1 months' or '1 minutes'\n/);
    const words = await runCtl(t.testdir(cfg('"30 days"')), ['check']);
    t.equal(words.code, 0, words.stdout);
    t.match(words.stdout, /^Done: 0 errors, 0 warnings\.$/m);
  });

  t.test('check reports a syntax error with file:line:column and exits 1', async (t) => {
    const bad = t.testdir({ 'prosody.cfg.lua': 'http_ports = { 5280\nVirtualHost "x"\n' });
    const r = await runCtl(bad, ['check']);
    t.equal(r.code, 1);
    t.match(r.stderr, /prosody\.cfg\.lua:\d+:\d+: /);
  });
});
