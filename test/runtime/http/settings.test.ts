import t from 'tap';
import { X509Certificate } from 'node:crypto';
import { mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSelfSigned } from '../../../runtime/http/self-signed.js';
import { httpSettingsFromOptions } from '../../../runtime/http/server.js';
import { keyPathFor } from '../../../runtime/http/certificates.js';
import { memoryLogger } from './helpers.js';

const from = (opts: Record<string, unknown>) => (name: string) => opts[name];

t.test('defaults are Prosody defaults', async (t) => {
  const dir = t.testdir();
  const s = await httpSettingsFromOptions(from({ https_ports: [] }), { configDir: dir, dataPath: dir, hosts: ['example.com'], log: memoryLogger() });
  t.same(s, {
    httpPorts: [5280],
    httpInterfaces: ['127.0.0.1', '::1'],
    httpsPorts: [],
    httpsInterfaces: ['*', '::'],
    maxContentSize: 10 * 1024 * 1024,
    maxConnections: 1000,
    maxConnectionsPerIp: 50,
    keepaliveTimeout: 20,
    headerTimeout: 10,
    trustedProxies: ['127.0.0.1', '::1'],
    tls: null,
  });
});

t.test('sloppy values are accepted: numeric strings, a single port, sets', async (t) => {
  const dir = t.testdir();
  const s = await httpSettingsFromOptions(
    from({
      http_ports: '8080',
      https_ports: ['8443'],
      http_interfaces: { '0.0.0.0': true },
      http_max_content_size: '1024',
      http_default_host: 'Example.COM',
      trusted_proxies: ['10.0.0.0/8'],
    }),
    { configDir: dir, dataPath: dir, hosts: ['example.com'], log: memoryLogger() },
  );
  t.same(s.httpPorts, [8080]);
  t.same(s.httpsPorts, [8443]);
  t.same(s.httpInterfaces, ['0.0.0.0']);
  t.equal(s.maxContentSize, 1024);
  t.equal(s.defaultHost, 'example.com');
});

t.test('bad values are config errors naming the option', async (t) => {
  const ctx = { configDir: '/', dataPath: '/', hosts: [], log: memoryLogger() };
  await t.rejects(httpSettingsFromOptions(from({ http_ports: ['http'], https_ports: [] }), ctx), { code: 'ERR_OPTION_INVALID', message: "option 'http_ports' has 'http', which is not a port number" });
  await t.rejects(httpSettingsFromOptions(from({ trusted_proxies: ['10.0.0.0/99'], https_ports: [] }), ctx), { code: 'ERR_OPTION_INVALID', message: "option 'trusted_proxies' has '10.0.0.0/99', which is not an address or CIDR range" });
});

t.test('a host without a certificate gets a self-signed one, kept 0640 in data/certs and reused', async (t) => {
  const dir = t.testdir({ data: {} });
  const log = memoryLogger();
  const ctx = { configDir: dir, dataPath: join(dir, 'data'), hosts: ['example.com'], log };
  const first = await httpSettingsFromOptions(from({}), ctx);
  const crt = join(dir, 'data', 'certs', 'example.com.crt');
  t.equal(statSync(crt).mode & 0o777, 0o640);
  t.equal(statSync(join(dir, 'data', 'certs', 'example.com.key')).mode & 0o777, 0o640);
  t.equal(statSync(join(dir, 'data', 'certs')).mode & 0o777, 0o750);
  t.equal(new X509Certificate(first.tls!.default.cert).subject, 'CN=example.com');
  t.match(log.lines.join('\n'), /warn\t.*example\.com.*-k/);
  const second = await httpSettingsFromOptions(from({}), ctx);
  t.equal(second.tls!.byHost.get('example.com')!.cert.toString(), readFileSync(crt, 'utf8'), 'the kept certificate is reused');
});

t.test('certificates come from the certificates folder, by <host>.crt or <host>/fullchain.pem', async (t) => {
  const a = generateSelfSigned('a.example');
  const b = generateSelfSigned('b.example');
  const dir = t.testdir({ mycerts: { 'a.example.crt': a.cert, 'a.example.key': a.key, 'b.example': { 'fullchain.pem': b.cert, 'privkey.pem': b.key } } });
  const s = await httpSettingsFromOptions(from({ certificates: 'mycerts' }), {
    configDir: dir,
    dataPath: join(dir, 'data'),
    hosts: ['a.example', 'b.example'],
    log: memoryLogger(),
  });
  t.equal(s.tls!.byHost.get('a.example')!.cert.toString(), a.cert);
  t.equal(s.tls!.byHost.get('b.example')!.cert.toString(), b.cert);
  t.equal(s.tls!.default.cert.toString(), a.cert);
});

t.test('https_certificate derives the key path, and a mismatched pair is a TLS error', async (t) => {
  t.equal(keyPathFor('/etc/ssl/x.crt'), '/etc/ssl/x.key');
  t.equal(keyPathFor('/etc/letsencrypt/live/x/fullchain.pem'), '/etc/letsencrypt/live/x/privkey.pem');
  const a = generateSelfSigned('example.com');
  const other = generateSelfSigned('example.com');
  const dir = t.testdir({ 'site.crt': a.cert, 'site.key': a.key, 'bad.crt': a.cert, 'bad.key': other.key });
  const ctx = { configDir: dir, dataPath: join(dir, 'data'), hosts: ['example.com'], log: memoryLogger() };
  const s = await httpSettingsFromOptions(from({ https_certificate: 'site.crt' }), ctx);
  t.equal(s.tls!.default.cert.toString(), a.cert);
  t.equal(s.tls!.byHost.size, 0, 'no self-signed certificates when one is configured');
  await t.rejects(httpSettingsFromOptions(from({ https_certificate: 'bad.crt' }), ctx), { code: 'ERR_TLS' });
  await t.rejects(httpSettingsFromOptions(from({ https_ssl: { certificate: 'site.crt', key: 'missing.key' } }), ctx), { code: 'ERR_TLS', message: /missing\.key/ });
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'c.pem'), a.cert);
  writeFileSync(join(dir, 'sub', 'k.pem'), a.key);
  const viaSsl = await httpSettingsFromOptions(from({ ssl: { certificate: 'sub/c.pem', key: 'sub/k.pem' } }), ctx);
  t.equal(viaSsl.tls!.default.key.toString(), a.key);
});
