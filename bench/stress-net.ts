/**
 * `npm run bench:stress-net`: what one client can hold (issue 13, points 3, 4, 5, 9), against the
 * built server on loopback, bounded in count and time (about a minute at the defaults). Prints a
 * markdown table and exits 1 when a check fails.
 *
 * - Idle flood: NET_IDLE keep-alive connections from 20 loopback addresses, each idle after one answer, with
 *   http_max_connections = 500 and http_max_connections_per_ip = 100; then 200 fresh requests
 *   from other addresses must all be answered (the oldest idle connections are shed for them).
 * - Slow heads: 200 connections that send half a request head; http_header_timeout = 2 must close
 *   every one.
 * - Bodies: NET_BODIES connections each sending 1 MiB to a GET route: all 413, and the server's
 *   peak RSS (VmHWM) must grow by less than half of what was sent.
 * - Auth: 500 wrong secrets pipelined in one write (at most 10 checked), 10,001 other addresses
 *   failing once each (the first client stays throttled), and 1,000 failures from one address
 *   (the log lines must account for every one, in a bounded number of lines).
 *
 * Env: NET_IDLE (2000), NET_BODIES (300).
 */
import { connect, type Socket } from 'node:net';
import { API_ONLY, makeInstance, startServer, type Server } from './lib/canto.js';
import { memoryOf } from './lib/processes.js';

const IDLE = Number(process.env.NET_IDLE ?? 2000);
const BODIES = Number(process.env.NET_BODIES ?? 300);
const MiB = 1024 * 1024;

const rows: [string, string, boolean][] = [];
const check = (what: string, figure: string, ok: boolean) => {
  rows.push([what, figure, ok]);
  process.stderr.write(`stress-net: ${what}: ${figure}${ok ? '' : ' (FAILED)'}\n`);
};

/** A raw connection: what came back, whether it closed. */
function open(port: number, from: string): Promise<{ socket: Socket; closed: () => boolean; received: () => string }> {
  return new Promise((resolve) => {
    let closed = false;
    let received = '';
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    socket.on('error', () => {});
    socket.on('close', () => (closed = true));
    const done = () => resolve({ socket, closed: () => closed, received: () => received });
    socket.once('connect', done);
    socket.once('error', done);
  });
}

/** Sends everything in one write; resolves with the statuses once `expect` answers came (or it closed). */
function exchange(port: number, from: string, data: string | Buffer, expect: number): Promise<number[]> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1', localAddress: from });
    let received = '';
    const statuses = () => [...received.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((m) => Number(m[1]));
    socket.on('connect', () => socket.write(data));
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (statuses().length >= expect) socket.end();
    });
    socket.on('error', () => {});
    socket.on('close', () => resolve(statuses()));
  });
}

const until = async (test: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!test() && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
};

async function idleFlood(server: Server, key: string): Promise<void> {
  const pid = server.running.child.pid!;
  const began = Date.now();
  const held: Awaited<ReturnType<typeof open>>[] = [];
  // Each asks once (403, no key) and is then kept alive, idle: the issue's flood of idle connections.
  for (let i = 0; i < IDLE; i += 100) {
    const batch = await Promise.all(Array.from({ length: Math.min(100, IDLE - i) }, (_, j) => open(server.port, `127.0.0.${2 + ((i + j) % 20)}`)));
    for (const c of batch) c.socket.write('GET /invites_api HTTP/1.1\r\nHost: example.com\r\n\r\n');
    held.push(...batch);
  }
  const get = `GET /invites_api?key=${encodeURIComponent(key)} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n`;
  const fresh = await Promise.all(Array.from({ length: 200 }, (_, i) => exchange(server.port, `127.0.1.${1 + (i % 200)}`, get, 1)));
  await new Promise((r) => setTimeout(r, 300));
  const open_ = held.filter((c) => !c.closed()).length;
  const answered = fresh.filter((s) => s[0] === 201).length;
  check(`idle flood: ${IDLE} connections opened in ${((Date.now() - began) / 1000).toFixed(1)} s`, `${open_} still held (cap 500), RSS ${memoryOf(pid).rss.toFixed(0)} MB`, open_ <= 500);
  check('idle flood: fresh requests answered while held', `${answered} of 200 got 201`, answered === 200);
  for (const c of held) c.socket.destroy();
}

async function slowHeads(server: Server): Promise<void> {
  const slow: Awaited<ReturnType<typeof open>>[] = [];
  for (let i = 0; i < 200; i++) {
    const c = await open(server.port, `127.0.2.${1 + (i % 50)}`);
    c.socket.write('GET /invites_api HTTP/1.1\r\nHost: exam');
    slow.push(c);
  }
  const began = Date.now();
  await until(() => slow.every((c) => c.closed()), 15_000);
  const closed = slow.filter((c) => c.closed()).length;
  check('slow heads (http_header_timeout = 2)', `${closed} of 200 closed, the last after ${((Date.now() - began) / 1000).toFixed(1)} s`, closed === 200);
}

async function bodies(server: Server): Promise<void> {
  const pid = server.running.child.pid!;
  const before = memoryOf(pid).rss;
  const piece = Buffer.alloc(64 * 1024, 'x');
  const one = (i: number) =>
    new Promise<string>((resolve) => {
      const socket = connect({ port: server.port, host: '127.0.0.1', localAddress: `127.0.3.${1 + (i % 100)}` });
      let received = '';
      let sent = 0;
      const pump = () => {
        while (!received && sent < MiB) {
          sent += piece.length;
          if (!socket.write(piece)) return void socket.once('drain', pump);
        }
      };
      socket.on('connect', () => (socket.write(`GET /invites_api HTTP/1.1\r\nHost: example.com\r\nContent-Length: ${MiB}\r\n\r\n`), pump()));
      socket.on('data', (d: Buffer) => ((received += d.toString('latin1')), socket.end()));
      socket.on('error', () => {});
      socket.on('close', () => resolve(received));
    });
  const answers = await Promise.all(Array.from({ length: BODIES }, (_, i) => one(i)));
  const refused = answers.filter((a) => a.startsWith('HTTP/1.1 413 ')).length;
  const grown = memoryOf(pid).peak - before;
  check(`bodies: ${BODIES} x 1 MiB to a GET route`, `${refused} got 413`, refused === BODIES);
  check('bodies: server peak RSS growth', `${grown.toFixed(1)} MB over ${before.toFixed(0)} MB (offered ${BODIES} MB)`, grown < BODIES / 2);
}

const wrong = (i: number, from?: string) =>
  `GET /invites_api?key=AAAAAAAAAAAA/wrong${i} HTTP/1.1\r\nHost: example.com\r\n${from ? `X-Forwarded-For: ${from}\r\n` : ''}\r\n`;

async function auth(server: Server): Promise<void> {
  const burst = await exchange(server.port, '127.0.0.1', Array.from({ length: 500 }, (_, i) => wrong(i)).join(''), 500);
  const checked = burst.filter((s) => s === 403).length;
  check('auth: 500 wrong secrets pipelined in one write', `${checked} checked, ${burst.filter((s) => s === 429).length} answered 429 unchecked`, checked <= 10 && burst.length === 500);

  const attacker = '198.51.100.1';
  await exchange(server.port, '127.0.0.1', Array.from({ length: 11 }, (_, i) => wrong(i, attacker)).join(''), 11);
  const others = Array.from({ length: 10_001 }, (_, i) => wrong(i, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`));
  const began = Date.now();
  // 101 pipelined on each of 100 connections (a long pipeline waits its turn past http_header_timeout).
  const flood = await Promise.all(Array.from({ length: 100 }, (_, k) => exchange(server.port, '127.0.0.1', others.slice(k * 101, (k + 1) * 101).join(''), 101)));
  const [after] = await exchange(server.port, '127.0.0.1', wrong(0, attacker), 1);
  check(
    'auth: 10,001 other addresses fail once each',
    `${flood.flat().length} answered in ${((Date.now() - began) / 1000).toFixed(1)} s; the throttled client then gets ${after}`,
    after === 429,
  );
}

async function authLog(): Promise<void> {
  const instance = await makeInstance(API_ONLY, 0, ['invites_api_max_failures = 100000', 'invites_api_failure_window = 2']);
  const server = await startServer(instance);
  const statuses = await exchange(server.port, '127.0.0.1', Array.from({ length: 1000 }, (_, i) => wrong(i, '192.0.2.50')).join(''), 1000);
  await server.running.stop();
  const lines = server.running.stderr().split('\n').filter((l) => l.includes('Refused invite request from 192.0.2.50'));
  const counted = lines.reduce((sum, l) => sum + Number(/\((\d+) more like it/.exec(l)?.[1] ?? 1), 0);
  check('auth log: 1,000 failures from one address', `${statuses.length} answered, ${lines.length} log lines counting ${counted}`, counted === 1000 && lines.length <= 20);
}

async function main(): Promise<void> {
  const instance = await makeInstance(API_ONLY, 0, [
    'http_max_connections = 500',
    'http_max_connections_per_ip = 100',
    'http_header_timeout = 2',
    'trusted_proxies = { "127.0.0.1" }',
  ]);
  const server = await startServer(instance);
  try {
    await idleFlood(server, instance.key);
    await slowHeads(server);
    await bodies(server);
    await auth(server);
    check('server still up', server.running.child.exitCode === null ? 'yes' : `exited ${server.running.child.exitCode}`, server.running.child.exitCode === null);
  } finally {
    await server.running.stop();
  }
  await authLog();
  console.log('| check | figure | |\n|---|---|---|');
  for (const [what, figure, ok] of rows) console.log(`| ${what} | ${figure} | ${ok ? 'ok' : 'FAILED'} |`);
  process.exitCode = rows.every((r) => r[2]) ? 0 : 1;
}

await main();
