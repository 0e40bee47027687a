/**
 * Issue 13, point 10, on a real server: error pages carry the pages' Content-Security-Policy
 * and nosniff; API replies that carry a token say `Cache-Control: no-store`; a pipelined
 * `Expect: 100-continue` request gets its 100 only after the previous response is complete.
 */
import net from 'node:net';
import t from 'tap';
import { ERROR_PAGE_CSP } from '../../runtime/http/error-page.js';
import { request, runCtl, startCanto, testConfig, createKey } from '../helpers/canto.js';

/** Send `bytes` (then `later`, after the first response has begun) and read until the server closes. */
function exchange(port: number, bytes: string, later?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      data += d;
      if (later !== undefined && data.length > 0) {
        socket.write(later);
        later = undefined;
      }
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(data));
    socket.write(bytes);
  });
}

/** Splits a byte stream into messages by their Content-Length; throws on anything malformed. */
function messages(stream: string): { status: string; headers: Record<string, string>; body: string }[] {
  const out = [];
  let rest = stream;
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    if (end < 0) throw new Error(`incomplete head: ${JSON.stringify(rest.slice(0, 80))}`);
    const [status, ...lines] = rest.slice(0, end).split('\r\n');
    if (!/^HTTP\/1\.1 \d{3} /.test(status!)) throw new Error(`not a status line: ${JSON.stringify(status)}`);
    const headers = Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
    const length = Number(headers['content-length'] ?? 0);
    const body = rest.slice(end + 4, end + 4 + length);
    if (body.length !== length) throw new Error(`body cut short: ${body.length} of ${length}`);
    out.push({ status: status!, headers, body });
    rest = rest.slice(end + 4 + length);
  }
  return out;
}

t.test('hardened replies', async (t) => {
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api', 'http_admin_api'], 'invites_api_max_failures = 1000') });
  const key = (...args: string[]) => createKey(server.dir, ...args);
  const invites = await key('scripts');
  const admin = await key('portal', '--scope', 'admin');
  const bearer = { Authorization: `Bearer ${admin}` };

  await t.test('every HTML error page has the CSP and nosniff, from the router, a module and the parser', async (t) => {
    for (const [path, status] of [['/nowhere', 404], ['/invites_api', 403], ['/invites_api?key=AAAAAAAAAAAA/BBBB', 403]] as const) {
      const reply = await request(server.url(path));
      t.equal(reply.status, status, path);
      t.equal(reply.headers['content-type'], 'text/html; charset=utf-8', path);
      t.equal(reply.headers['content-security-policy'], ERROR_PAGE_CSP, path);
      t.equal(reply.headers['x-content-type-options'], 'nosniff', path);
    }
    // A request node's parser refuses never reaches a route; its page gets the same headers.
    const [bad] = messages(await exchange(server.httpPort, 'GET / HTTP/1.1\r\nHost: example.com\r\nBad Header\r\n\r\n'));
    t.equal(bad!.status, 'HTTP/1.1 400 Bad Request');
    t.equal(bad!.headers['content-security-policy'], ERROR_PAGE_CSP);
    t.equal(bad!.headers['x-content-type-options'], 'nosniff');
    t.match(bad!.body, '<h1>400 Bad Request</h1>');
    // An expectation the server does not meet: the same page, framed by Content-Length.
    const [expect] = messages(await exchange(server.httpPort, 'GET /invites_api HTTP/1.1\r\nHost: example.com\r\nExpect: nonsense\r\n\r\n'));
    t.equal(expect!.status, 'HTTP/1.1 417 Expectation Failed');
    t.equal(expect!.headers['content-security-policy'], ERROR_PAGE_CSP);
    t.equal(expect!.headers['connection'], 'close');
    t.equal(expect!.headers['transfer-encoding'], undefined);
    t.match(expect!.body, '<h1>417 Expectation Failed</h1>');
  });

  await t.test('the policy allows the error page its own style and nothing from elsewhere', async (t) => {
    t.equal(
      ERROR_PAGE_CSP,
      "default-src 'none'; style-src 'self' 'sha256-Pd7FTCzsfcn5q+C1O4iiDvUTSLTrw+xK2ohZrv9iKUA='; img-src 'self' data:; script-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    );
  });

  await t.test('replies that carry a new token or invites are no-store', async (t) => {
    const plain = await request(server.url(`/invites_api?key=${invites}`));
    t.equal(plain.status, 201);
    t.equal(plain.headers['cache-control'], 'no-store');
    const json = await request(server.url(`/invites_api?key=${invites}`), { headers: { Accept: 'application/json' } });
    t.equal(json.status, 201);
    t.equal(json.headers['cache-control'], 'no-store');
    const redirect = await request(server.url(`/invites_api?key=${invites}&redirect=true`));
    t.equal(redirect.status, 303);
    t.equal(redirect.headers['cache-control'], 'no-store');
    const created = await request(server.url('/admin_api/invites/account'), { method: 'POST', headers: { ...bearer, 'Content-Type': 'application/json' }, body: '{}' });
    t.equal(created.status, 200);
    t.equal(created.headers['cache-control'], 'no-store');
    const id = (JSON.parse(created.body) as { id: string }).id;
    for (const path of ['/admin_api/invites', `/admin_api/invites/${id}`, '/admin_api/invites?limit=1']) {
      const reply = await request(server.url(path), { headers: bearer });
      t.equal(reply.status, 200, path);
      t.equal(reply.headers['cache-control'], 'no-store', path);
    }
  });

  await t.test('a pipelined Expect: 100-continue gets its 100 after the previous response, whole', async (t) => {
    const body = '{"note":"second"}';
    const second =
      `POST /admin_api/invites/account HTTP/1.1\r\nHost: example.com\r\nAuthorization: Bearer ${admin}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`;
    const firsts = {
      'an invite created (fsync before the answer)': `GET /invites_api?key=${invites} HTTP/1.1\r\nHost: example.com\r\n\r\n`,
      'a route that reads a body': `POST /invites_api HTTP/1.1\r\nHost: example.com\r\nAuthorization: Bearer ${invites}\r\nContent-Length: 5\r\n\r\nhello`,
      'a long list': `GET /admin_api/invites HTTP/1.1\r\nHost: example.com\r\nAuthorization: Bearer ${admin}\r\n\r\n`,
    };
    for (const [name, first] of Object.entries(firsts)) {
      // The second body is sent only once the server has answered something (the 100, if all is well).
      const stream = await exchange(server.httpPort, first + second, body);
      const parts = messages(stream);
      t.same(parts.map((p) => p.status), ['HTTP/1.1 201 Created', 'HTTP/1.1 100 Continue', 'HTTP/1.1 200 OK'].map((s, i) => (i === 0 && name === 'a long list' ? 'HTTP/1.1 200 OK' : s)), name);
      t.match(parts[2]!.body, '"note":"second"', name);
    }
  });
});
