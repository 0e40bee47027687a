/**
 * Issue 13, point 4, for routes that take a body: each takes only as much as it declares (the
 * register form 16 KiB, register_api 16 KiB, invites_api's POST 1 KiB), far below
 * http_max_content_size. Over it: 413 before a byte is read when Content-Length says so, and
 * as soon as the limit is passed when the body is chunked; the connection closes. Bodies
 * within the limit still register an account and create an invite.
 */
import { connect } from 'node:net';
import t, { type Test } from 'tap';
import type { CantoServer } from '../helpers/canto.js';
import { createKey, request, runCtl, startCanto, testConfig } from '../helpers/canto.js';
import { generateInvite } from '../helpers/register.js';

const MODULES = ['invites', 'invites_page', 'register_apps', 'invites_register_web', 'invites_register_api', 'invites_api'];
const KiB = 1024;

interface Sent {
  /** Status line and headers (lower-cased names) of the answer. */
  status: string;
  headers: Record<string, string>;
  /** Body bytes written before the answer came. */
  sent: number;
}

/**
 * Writes `head`, then (chunked) 4 KiB chunks until the server answers or `size` bytes went;
 * with `chunked` false, no body at all (the server must answer on Content-Length alone).
 * Resolves once the server has answered and closed.
 */
function send(port: number, head: string, chunked: boolean, size = 4 * 1024 * KiB): Promise<Sent> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let sent = 0;
    let answered = -1;
    const piece = Buffer.alloc(4 * KiB, 'a');
    const chunk = Buffer.concat([Buffer.from(`${piece.length.toString(16)}\r\n`), piece, Buffer.from('\r\n')]);
    const pump = () => {
      while (answered < 0 && sent < size) {
        sent += piece.length;
        if (!socket.write(chunk)) return void socket.once('drain', pump);
      }
    };
    socket.on('connect', () => {
      socket.write(head);
      if (chunked) pump();
    });
    socket.on('data', (d: Buffer) => {
      if (answered < 0) answered = sent;
      received += d.toString('latin1');
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code !== 'EPIPE' && err.code !== 'ECONNRESET') reject(err);
    });
    socket.on('close', () => {
      const end = received.indexOf('\r\n\r\n');
      const [status, ...lines] = received.slice(0, end < 0 ? undefined : end).split('\r\n');
      const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
      resolve({ status: status ?? '', headers, sent: answered });
    });
  });
}

function expect413(t: Test, got: Sent, what: string): void {
  t.equal(got.status, 'HTTP/1.1 413 Payload Too Large', what);
  t.equal(got.headers['connection'], 'close', `${what}: the connection closes`);
  t.equal(got.headers['content-type'], 'text/html; charset=utf-8', `${what}: the error page`);
  t.equal(got.headers['x-content-type-options'], 'nosniff', `${what}: the error page's headers`);
}

async function setup(t: Test): Promise<{ server: CantoServer; generate: () => Promise<string> }> {
  const server = await startCanto(t, { config: testConfig(MODULES) });
  const generate = () => generateInvite(server.dir, 'example.com');
  return { server, generate };
}

t.test('the register form takes 16 KiB, not http_max_content_size', async (t) => {
  const { server, generate } = await setup(t);
  const token = await generate();
  const head = (framing: string) => `POST /register?t=${token} HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/x-www-form-urlencoded\r\n${framing}\r\n\r\n`;

  const declared = await send(server.httpPort, head(`Content-Length: ${16 * KiB + 1}`), false);
  expect413(t, declared, 'a Content-Length one byte over');
  t.equal(declared.sent, 0, 'answered before any of the body was sent');

  const chunked = await send(server.httpPort, head('Transfer-Encoding: chunked'), true);
  expect413(t, chunked, 'a chunked body that grows past it');
  t.ok(chunked.sent > 0 && chunked.sent < 4 * 1024 * KiB, `answered after ${chunked.sent} of 4 MiB were sent`);

  // A normal registration: the page's cookie and CSRF field, then the form.
  const page = await request(server.url(`/register?t=${token}`));
  const cookie = String(page.headers['set-cookie'] ?? '').split(';')[0]!;
  const csrf = /name="csrf" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
  const body = new URLSearchParams({ token, csrf, user: 'alice', password: 'a-good-password' }).toString();
  const done = await request(server.url(`/register?t=${token}`), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', Cookie: cookie }, body });
  t.equal(done.status, 200, 'the form still registers');
  t.match(done.body, 'alice@example.com');
});

t.test('register_api takes 16 KiB', async (t) => {
  const { server, generate } = await setup(t);
  const head = (framing: string) => `POST /register_api/register HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/json\r\n${framing}\r\n\r\n`;
  const declared = await send(server.httpPort, head(`Content-Length: ${16 * KiB + 1}`), false);
  expect413(t, declared, 'a Content-Length over');
  t.equal(declared.sent, 0);
  const chunked = await send(server.httpPort, head('Transfer-Encoding: chunked'), true);
  expect413(t, chunked, 'a chunked body over');
  t.ok(chunked.sent < 4 * 1024 * KiB, `answered after ${chunked.sent} of 4 MiB were sent`);

  const token = await generate();
  const ok = await request(server.url('/register_api/register'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token, username: 'bob', password: 'a-good-password' }) });
  t.equal(ok.status, 200, 'a registration within the limit');
  t.same(JSON.parse(ok.body), { jid: 'bob@example.com' });
});

t.test("invites_api's POST takes 1 KiB, which it does not read", async (t) => {
  const { server } = await setup(t);
  const key = await createKey(server.dir, 'scripts');
  const head = (framing: string) => `POST /invites_api?key=${key} HTTP/1.1\r\nHost: example.com\r\nContent-Type: application/x-www-form-urlencoded\r\n${framing}\r\n\r\n`;
  const declared = await send(server.httpPort, head(`Content-Length: ${KiB + 1}`), false);
  expect413(t, declared, 'a Content-Length over');
  t.equal(declared.sent, 0);
  const chunked = await send(server.httpPort, head('Transfer-Encoding: chunked'), true);
  expect413(t, chunked, 'a chunked body over');
  t.ok(chunked.sent < 4 * 1024 * KiB, `answered after ${chunked.sent} of 4 MiB were sent`);

  const empty = await request(server.url(`/invites_api?key=${key}`), { method: 'POST' });
  t.equal(empty.status, 201, 'a POST without a body creates an invite');
  t.equal(empty.headers['cache-control'], 'no-store');
  const small = await request(server.url(`/invites_api?key=${key}`), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'x=1' });
  t.equal(small.status, 201, 'and so does one with a small body');
});

t.test('a client that leaves in the middle of its body is no server error', async (t) => {
  const { server, generate } = await setup(t);
  const token = await generate();
  const key = await createKey(server.dir, 'scripts');
  const cutOff = (head: string) =>
    new Promise<void>((resolve) => {
      const socket = connect(server.httpPort, '127.0.0.1', () => {
        socket.write(head + 'x'.repeat(10), () => setTimeout(() => socket.destroy(), 50));
      });
      socket.on('close', () => resolve());
      socket.on('error', () => undefined);
    });
  const json = 'Content-Type: application/json\r\nContent-Length: 500\r\n\r\n';
  await cutOff(`POST /register_api/register HTTP/1.1\r\nHost: example.com\r\n${json}`); // a declared JSON body
  await cutOff(`POST /invites_api?key=${key} HTTP/1.1\r\nHost: example.com\r\nContent-Length: 500\r\n\r\n`); // a plain handler's body
  const after = await request(server.url('/register_api/register'), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token, username: 'carol', password: 'a-good-password' }) });
  t.equal(after.status, 200, 'the server goes on answering');
  await server.logged(/Created account|registered|carol/);
  t.notMatch(server.stderr(), /\terror\t/, 'nothing is logged as an error');
});
