/**
 * Issue 13, point 3, the other side of the header timeout: requests queued in a pipeline behind
 * slow ones are not timed out for waiting their turn, even when the request after them is still
 * arriving (a client writes as it goes, and a TCP segment may end mid-head); a client that never
 * finishes a request head is still closed with 408 once nothing is queued before it.
 */
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import t from 'tap';
import { createKey, FIXTURES, startCanto, testConfig } from '../helpers/canto.js';

const INVITES = 200;

/** One raw connection: what it received, and a way to wait for a number of answers. */
function open(port: number): Promise<{ socket: Socket; statuses: () => string[]; closed: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
    const closed = new Promise<void>((r) => socket.on('close', () => r()));
    // A JSON body does not end in CRLF: the next status line follows it directly.
    const statuses = () => [...received.matchAll(/HTTP\/1\.1 (\d{3}) [A-Z]/g)].map((m) => m[1]!);
    socket.once('connect', () => resolve({ socket, statuses, closed })).once('error', reject);
  });
}

function tally(statuses: string[]): Record<string, number> {
  return statuses.reduce<Record<string, number>>((n, s) => ({ ...n, [s]: (n[s] ?? 0) + 1 }), {});
}

const until = (socket: Socket, test: () => boolean) =>
  new Promise<void>((resolve) => {
    const check = () => (test() ? (socket.off('data', check).off('close', check), resolve()) : undefined);
    socket.on('data', check).on('close', check);
    check();
  });

t.test('a pipeline that waits for slow requests and commits is answered whole, with http_header_timeout = 1', async (t) => {
  const server = await startCanto(t, {
    config: testConfig(['invites', 'invites_api', 'hello'], `plugin_paths = { ${JSON.stringify(join(FIXTURES, 'plugins'))} }\nhttp_header_timeout = 1\nhttp_keepalive_timeout = 600\ninvites_api_max_failures = 1000`),
  });
  const key = await createKey(server.dir, 'scripts');
  const invite = `POST /invites_api?key=${key} HTTP/1.1\r\nHost: example.com\r\nAccept: application/json\r\nContent-Length: 0\r\n\r\n`;
  // Two 800 ms requests, then 200 that each commit an invite: the queue takes longer than the header timeout.
  const slow = 'GET /hello/slow HTTP/1.1\r\nHost: example.com\r\n\r\n';
  const conn = await open(server.httpPort);
  conn.socket.write(slow + slow + invite.repeat(INVITES) + 'GET /hello HTTP/1.1\r\nHost: exa');
  await until(conn.socket, () => conn.statuses().length >= INVITES + 2 || conn.socket.destroyed);
  t.same(tally(conn.statuses()), { 200: 2, 201: INVITES }, 'every queued request was answered');
  // The head that was still arriving is finished now, and answered.
  conn.socket.write('mple.com\r\nConnection: close\r\n\r\n');
  await conn.closed;
  t.same(tally(conn.statuses()), { 200: 3, 201: INVITES }, 'and so is the one after them');
});

t.test('a head never finished still gets 408, also after a request that was answered', async (t) => {
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api'], 'http_header_timeout = 1\nhttp_keepalive_timeout = 600') });
  for (const before of ['', 'GET /invites_api HTTP/1.1\r\nHost: example.com\r\n\r\n']) {
    const conn = await open(server.httpPort);
    conn.socket.write(before + 'GET /invites_api HTTP/1.1\r\nHost: example.com\r\n');
    await conn.closed;
    t.same(conn.statuses(), before ? ['403', '408'] : ['408'], before ? 'after an answered request' : 'on its own');
  }
});
