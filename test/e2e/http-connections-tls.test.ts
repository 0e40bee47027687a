/**
 * Issue 13, point 3, over TLS: a TLS connection's requests are counted on the connection that
 * was admitted for it, so one answering a request is busy and never shed, while an idle one is.
 */
import { join } from 'node:path';
import { connect, type TLSSocket } from 'node:tls';
import t from 'tap';
import { FIXTURES, startCanto } from '../helpers/canto.js';

function config(): string {
  return [
    `plugin_paths = { ${JSON.stringify(join(FIXTURES, 'plugins'))} }`,
    'http_ports = { }',
    'https_ports = { 0 }',
    'data_path = "data"',
    'modules_enabled = { "hello" }',
    'http_max_connections_per_ip = 2',
    'trusted_proxies = { "192.0.2.1" }',
    'VirtualHost "example.com"',
    '',
  ].join('\n');
}

/** A TLS connection, once its handshake is done; `received` grows, `closed` settles. */
async function open(port: number): Promise<{ socket: TLSSocket; received: () => string; closed: Promise<void>; until: (test: () => boolean) => Promise<void> }> {
  const socket = connect({ port, host: '127.0.0.1', servername: 'example.com', rejectUnauthorized: false });
  let received = '';
  const waiters: (() => void)[] = [];
  const wake = () => waiters.splice(0).forEach((w) => w());
  socket.on('data', (d: Buffer) => ((received += d.toString('latin1')), wake()));
  socket.on('error', () => {});
  const closed = new Promise<void>((r) => socket.on('close', () => (r(), wake())));
  await new Promise<void>((resolve, reject) => socket.once('secureConnect', resolve).once('error', reject));
  const until = (test: () => boolean) =>
    new Promise<void>((resolve) => {
      const check = () => (test() || socket.destroyed ? resolve() : waiters.push(check));
      check();
    });
  return { socket, received: () => received, closed, until };
}

t.test('at the per-address cap a busy TLS connection is kept and the idle one is shed', async (t) => {
  const server = await startCanto(t, { config: config() });
  const port = server.httpsPort!;
  const busy = await open(port);
  // Two requests in one write: once the first is answered, the second (its body half sent) has begun.
  busy.socket.write('GET /hello HTTP/1.1\r\nHost: example.com\r\n\r\nPOST /hello/echo HTTP/1.1\r\nHost: example.com\r\nContent-Length: 10\r\n\r\nhalf');
  await busy.until(() => /\r\n\r\nhello$/.test(busy.received()));
  const idle = await open(port);
  const third = await open(port);
  await idle.closed;
  t.pass('the idle TLS connection was shed to admit the third');
  busy.socket.write('-rest!');
  await busy.until(() => /half-rest!$/.test(busy.received()));
  t.match(busy.received(), /\r\n\r\nhalf-rest!$/, 'the busy one got its whole answer');
  t.notOk(busy.socket.destroyed, 'and is still open');
  busy.socket.destroy();
  third.socket.destroy();
});
