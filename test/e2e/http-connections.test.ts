/**
 * Issue 13, point 3: what one client can hold. The real server, with the limits set low:
 * idle connections are shed oldest first to admit new ones (per address and in total), a busy
 * address is refused with 503 while its requests in flight still complete, and a connection
 * that never finishes its request head is closed after http_header_timeout. Loopback
 * addresses 127.0.0.2-5 stand for separate clients.
 */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { FIXTURES, startCanto } from '../helpers/canto.js';

function config(): string {
  return [
    `plugin_paths = { ${JSON.stringify(join(FIXTURES, 'plugins'))} }`,
    'http_ports = { 0 }',
    'https_ports = { }',
    'data_path = "data"',
    'modules_enabled = { "hello" }',
    'http_max_connections = 6',
    'http_max_connections_per_ip = 3',
    'http_header_timeout = 1',
    'http_keepalive_timeout = 600',
    // Loopback is no proxy here, so the per-address cap applies to it.
    'trusted_proxies = { "192.0.2.1" }',
    'VirtualHost "example.com"',
    '',
  ].join('\n');
}

/** One raw connection: everything received, and whether the server closed it. */
class Client {
  readonly socket: Socket;
  received = '';
  closed = false;
  readonly #waiters: (() => void)[] = [];

  constructor(port: number, from: string) {
    this.socket = connect({ port, host: '127.0.0.1', localAddress: from });
    this.socket.on('data', (d: Buffer) => ((this.received += d.toString('latin1')), this.#wake()));
    this.socket.on('close', () => ((this.closed = true), this.#wake()));
    this.socket.on('error', () => {});
  }

  static async open(port: number, from = '127.0.0.1'): Promise<Client> {
    const c = new Client(port, from);
    await new Promise<void>((resolve, reject) => c.socket.once('connect', resolve).once('error', reject));
    return c;
  }

  #wake(): void {
    for (const w of this.#waiters.splice(0)) w();
  }

  /** Resolves once `test` holds (checked on every event). */
  until(test: () => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => (test() ? resolve() : this.#waiters.push(check));
      check();
    });
  }

  /** A GET of the hello route, answered and kept alive. */
  async get(): Promise<string> {
    const before = this.received.length;
    this.socket.write('GET /hello HTTP/1.1\r\nHost: example.com\r\n\r\n');
    await this.until(() => this.closed || /\r\n\r\nhello$/.test(this.received.slice(before)));
    return this.received.slice(before);
  }
}


/** Lets the server see every close (our end has seen it) and write its log lines. */
const settle = () => new Promise((r) => setTimeout(r, 300));

// One server for all: each test closes its connections before the next begins.
const server = await startCanto(t, { config: config() });
const done = async (clients: Client[]) => {
  for (const c of clients) c.socket.destroy();
  await settle();
};

t.test('at the per-address cap the oldest idle connection of that address makes room', async (t) => {
  const clients: Client[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await Client.open(server.httpPort);
    t.match(await c.get(), /^HTTP\/1\.1 200 OK\r\n/);
    clients.push(c);
  }
  const other = await Client.open(server.httpPort, '127.0.0.2');
  t.match(await other.get(), /^HTTP\/1\.1 200 OK\r\n/, 'another address is not counted with this one');

  const fourth = await Client.open(server.httpPort);
  t.match(await fourth.get(), /^HTTP\/1\.1 200 OK\r\n/, 'a new connection still gets its answer');
  await clients[0]!.until(() => clients[0]!.closed);
  t.ok(clients[0]!.closed, 'the oldest idle one was closed');
  t.same(clients.slice(1).map((c) => c.closed), [false, false], 'the younger ones stay');
  t.notOk(other.closed, "the other address's connection stays");
  t.match(await clients[1]!.get(), /^HTTP\/1\.1 200 OK\r\n/, 'and keeps working');

  await settle();
  t.match(await server.logged(/\tinfo\tClosed the oldest idle connection from 127\.0\.0\.1 to admit a new one \(http_max_connections_per_ip = 3\)\n/), /\tinfo\tClosed the oldest idle connection from 127\.0\.0\.1 to admit a new one \(http_max_connections_per_ip = 3\)\n/);
  await done([...clients, other, fourth]);
});

t.test('at the total cap the oldest idle connection of any address makes room', async (t) => {
  const clients: Client[] = [];
  for (const from of ['127.0.0.2', '127.0.0.2', '127.0.0.3', '127.0.0.3', '127.0.0.4', '127.0.0.4']) {
    const c = await Client.open(server.httpPort, from);
    t.match(await c.get(), /^HTTP\/1\.1 200 OK\r\n/);
    clients.push(c);
  }
  await clients[2]!.get(); // 127.0.0.3's first is now the most recently busy, not the oldest idle
  const late = await Client.open(server.httpPort, '127.0.0.5');
  t.match(await late.get(), /^HTTP\/1\.1 200 OK\r\n/);
  await clients[0]!.until(() => clients[0]!.closed);
  t.same(clients.map((c) => c.closed), [true, false, false, false, false, false], 'the one idle longest went, no other');

  await settle();
  t.match(await server.logged(/\tinfo\tClosed the oldest idle connection \(from 127\.0\.0\.2\) to admit one from 127\.0\.0\.5 \(http_max_connections = 6\)\n/), /\tinfo\tClosed the oldest idle connection \(from 127\.0\.0\.2\) to admit one from 127\.0\.0\.5 \(http_max_connections = 6\)\n/);
  await done([...clients, late]);
});

t.test('with no idle connection to shed, a new one gets 503 and requests in flight complete', async (t) => {
  const busy: Client[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await Client.open(server.httpPort);
    // A request whose body is still coming: being answered, so never shed.
    c.socket.write('POST /hello/echo HTTP/1.1\r\nHost: example.com\r\nContent-Length: 10\r\n\r\nhalf');
    busy.push(c);
  }
  await settle(); // the server has seen the three requests begin
  const refused = await Client.open(server.httpPort);
  refused.socket.write('GET /hello HTTP/1.1\r\nHost: example.com\r\n\r\n');
  await refused.until(() => refused.closed);
  t.match(refused.received, /^HTTP\/1\.1 503 Service Unavailable\r\n/);
  t.match(refused.received, /\r\nRetry-After: 5\r\n/);
  t.match(refused.received, /\r\nConnection: close\r\n/);
  t.notMatch(refused.received, /hello$/, 'its request was not answered');

  for (const c of busy) c.socket.write('-rest!');
  for (const c of busy) await c.until(() => /\r\n\r\nhalf-rest!$/.test(c.received));
  t.same(busy.map((c) => /^HTTP\/1\.1 200 OK\r\n[^]*\r\n\r\nhalf-rest!$/.test(c.received)), [true, true, true], 'each request in flight got its whole answer');

  const after = await Client.open(server.httpPort);
  t.match(await after.get(), /^HTTP\/1\.1 200 OK\r\n/, 'now idle, the busy ones make room again');
  await settle();
  t.match(await server.logged(/\tinfo\tRefused a connection from 127\.0\.0\.1: it already has 3 connections \(http_max_connections_per_ip\)\n/), /\tinfo\tRefused a connection from 127\.0\.0\.1: it already has 3 connections \(http_max_connections_per_ip\)\n/);
  t.equal(server.process.exitCode, null, 'the server is still running');
  await done([...busy, refused, after]);
});

t.test('a connection that never finishes its request head is closed after http_header_timeout', async (t) => {
  const slow = await Client.open(server.httpPort);
  slow.socket.write('GET /hello HTTP/1.1\r\nHost: exa');
  const silent = await Client.open(server.httpPort, '127.0.0.2');
  await slow.until(() => slow.closed);
  await silent.until(() => silent.closed);
  t.match(slow.received, /^HTTP\/1\.1 408 Request Timeout\r\n/);
  t.match(silent.received, /^(HTTP\/1\.1 408 Request Timeout\r\n|$)/, 'a silent one is closed too');
  await settle();
  t.match(await server.logged(/\tinfo\tClosed a connection from 127\.0\.0\.(1|2): no complete request within 1 s \(http_header_timeout\)\n/), /\tinfo\tClosed a connection from 127\.0\.0\.(1|2): no complete request within 1 s \(http_header_timeout\)\n/);
  const fresh = await Client.open(server.httpPort);
  t.match(await fresh.get(), /^HTTP\/1\.1 200 OK\r\n/);
  await done([fresh]);
});
