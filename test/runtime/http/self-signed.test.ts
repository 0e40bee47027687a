import t from 'tap';
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { request } from 'node:https';
import type { TLSSocket } from 'node:tls';
import { generateSelfSigned } from '../../../runtime/http/self-signed.js';
import { HttpServer } from '../../../runtime/http/server.js';
import { app, memoryLogger, settings } from './helpers.js';

t.test('the certificate names the host as subject, issuer and SAN, and matches its key', async (t) => {
  const { key, cert } = generateSelfSigned('example.com');
  const x = new X509Certificate(cert);
  t.equal(x.subject, 'CN=example.com');
  t.equal(x.issuer, 'CN=example.com');
  t.equal(x.subjectAltName, 'DNS:example.com, DNS:localhost');
  t.equal(x.checkHost('example.com'), 'example.com');
  t.ok(x.checkPrivateKey(createPrivateKey(key)));
  t.ok(x.verify(x.publicKey), 'self-signed: verifies with its own key');
  t.equal(x.ca, false);
  const days = (Date.parse(x.validTo) - Date.now()) / 86_400_000;
  t.ok(days > 360 && days < 370, 'valid for about a year');
});

t.test('an IP address becomes an iPAddress SAN', async (t) => {
  const x = new X509Certificate(generateSelfSigned('127.0.0.1').cert);
  t.equal(x.subjectAltName, 'IP Address:127.0.0.1, DNS:localhost');
  t.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
});

t.test('HTTPS serves with it, and SNI picks the host certificate', async (t) => {
  const main = generateSelfSigned('example.com');
  const other = generateSelfSigned('other.org');
  const server = new HttpServer(
    settings({ httpPorts: [], httpsPorts: [0], tls: { default: main, byHost: new Map([['other.org', other]]) } }),
    memoryLogger(),
  );
  server.mount(app('s', { GET: (r) => `secure=${r.secure} host=${r.host}` }));
  server.mount(app('s', { GET: 'other' }, { host: 'other.org' }));
  await server.start();
  t.teardown(() => server.stop());
  const port = server.addresses().https[0]!.port;
  const fetch = (servername: string) =>
    new Promise<{ body: string; subject: string }>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path: '/s', servername, headers: { host: servername }, rejectUnauthorized: false }, (res) => {
        const subject = (res.socket as TLSSocket).getPeerX509Certificate()!.subject;
        let body = '';
        res.setEncoding('utf8').on('data', (d: string) => (body += d)).on('end', () => resolve({ body, subject }));
      });
      req.on('error', reject).end();
    });
  t.same(await fetch('example.com'), { body: 'secure=true host=example.com', subject: 'CN=example.com' });
  t.same(await fetch('other.org'), { body: 'other', subject: 'CN=other.org' });
});

t.test('every certificate is strict DER that OpenSSL loads (many serials tried)', async (t) => {
  const { createSecureContext } = await import('node:tls');
  for (let i = 0; i < 40; i++) {
    const pair = generateSelfSigned(`h${i}.example`);
    t.doesNotThrow(() => createSecureContext(pair), `certificate ${i}`);
  }
});
