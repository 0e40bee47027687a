/**
 * The README's nginx snippet, run by the real nginx in front of the real server: Canto
 * believes nginx's X-Forwarded-For because nginx is in trusted_proxies, so each client is
 * throttled by its own address, not by nginx's.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, startCanto, testConfig } from '../helpers/canto.js';

const NGINX = ['/usr/sbin/nginx', '/usr/bin/nginx'].find((p) => existsSync(p));

/** The nginx block of the README section "Running Canto beside Prosody". */
function readmeSnippet(): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Running Canto beside Prosody'));
  const m = /```nginx\n([^]*?)```/.exec(section);
  if (!m) throw new Error('no nginx snippet in the README section');
  return m[1]!;
}

/** A port nobody uses right now, on 127.0.0.2 (nginx needs a number before it starts). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.2', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A GET from a given loopback address, as a distinct client. */
function getFrom(localAddress: string, port: number, path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.2', port, path, localAddress, headers: { Host: 'example.com' }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

t.test('behind nginx with trusted_proxies, clients are told apart', { skip: NGINX ? false : 'nginx is not installed (.ci/run installs it)' }, async (t) => {
  const server = await startCanto(t, {
    config: testConfig(['invites', 'invites_api'], 'trusted_proxies = { "127.0.0.1" }\ninvites_api_max_failures = 1'),
  });
  const dir = server.dir;
  const port = await freePort();
  const snippet = readmeSnippet().replaceAll('127.0.0.1:5280', `127.0.0.1:${server.httpPort}`);
  const conf = join(dir, 'nginx.conf');
  writeFileSync(
    conf,
    [
      'daemon off;',
      'master_process off;',
      `pid ${join(dir, 'nginx.pid')};`,
      `error_log ${join(dir, 'nginx-error.log')} warn;`,
      'events { worker_connections 64; }',
      'http {',
      '  access_log off;',
      `  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fcgi; uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;`,
      `  server { listen 127.0.0.2:${port}; server_name example.com;`,
      snippet,
      '  }',
      '}',
      '',
    ].join('\n'),
  );
  const nginx = spawn(NGINX!, ['-c', conf, '-p', dir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  nginx.stderr.on('data', (d: Buffer) => (err += d.toString()));
  t.teardown(() => nginx.kill('SIGKILL'));
  // Ready when it answers (its error log says nothing on success).
  for (let i = 0; ; i++) {
    try {
      await getFrom('127.0.0.9', port, '/invites_api/none');
      break;
    } catch (e) {
      if (nginx.exitCode !== null || i > 200) throw new Error(`nginx did not start: ${err}${String(e)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  // One failure each is allowed; the second from the same client is throttled.
  t.equal(await getFrom('127.0.0.3', port, '/invites_api?key=AAAAAAAAAAAA/wrong'), 403, 'first client, first failure');
  t.equal(await getFrom('127.0.0.3', port, '/invites_api?key=AAAAAAAAAAAA/wrong'), 429, 'first client, throttled');
  t.equal(await getFrom('127.0.0.4', port, '/invites_api?key=AAAAAAAAAAAA/wrong'), 403, 'a second client is not throttled for the first one');
});
