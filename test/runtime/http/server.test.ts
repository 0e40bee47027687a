import t from 'tap';
import { request as httpRequest } from 'node:http';
import { HttpServer } from '../../../runtime/http/server.js';
import type { HttpRequest } from '../../../runtime/http/types.js';
import { app, get, header, memoryLogger, names, raw, serve, settings } from './helpers.js';

const req = (path: string, host = 'example.com', extra = '') => `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;

t.test('routing by Host', async (t) => {
  const { port } = await serve(
    t,
    [
      app('api', { GET: () => 'example' }),
      app('api', { GET: () => 'other' }, { host: 'other.org' }),
    ],
    { defaultHost: 'other.org' },
  );
  t.test('a Host header with a port and upper case reaches the host', async (t) => {
    const res = await get(port, req('/api', 'EXAMPLE.com:5280'));
    t.equal(res.status, 200);
    t.equal(res.body, 'example');
  });
  t.test('an unknown host falls back to http_default_host when it has apps', async (t) => {
    t.equal((await get(port, req('/api', 'unknown.net'))).body, 'other');
  });
  t.test('a request without a Host header is a 400 with a page', async (t) => {
    const res = await get(port, 'GET /api HTTP/1.1\r\n\r\n');
    t.equal(res.status, 400);
    t.match(res.body, /<h1>400 Bad Request<\/h1>/);
    t.equal(header(res, 'Content-Type'), 'text/html; charset=utf-8');
  });
  t.test('absolute-form targets take their host from the URL', async (t) => {
    t.equal((await get(port, 'GET http://other.org/api HTTP/1.1\r\nHost: example.com\r\n\r\n')).body, 'other');
  });
});

t.test('an unknown host without a usable default host is 404 "Unknown host", escaped', async (t) => {
  const { port } = await serve(t, [app('api', { GET: 'x' })], { defaultHost: 'nothing-here.org' });
  const res = await get(port, req('/api', '<script>.evil'));
  t.equal(res.status, 404);
  t.match(res.body, 'Unknown host: &#60;script&#62;.evil');
  t.notMatch(res.body, '<script>');
});

t.test('route keys', async (t) => {
  const seen: HttpRequest[] = [];
  const keep = (r: HttpRequest) => (seen.push(r), `${r.method} ${r.path} rest=${r.rest}`);
  const { port } = await serve(t, [
    app('files', {
      GET: keep,
      'POST /sub': keep,
      'GET /static/*': keep,
      'GET /static/deep/*': keep,
      'GET /static/exact': () => 'exact',
      'GET /dir/': keep,
    }),
    app('root', { 'GET /*': keep }, { basePath: '/', host: 'root.org' }),
  ]);
  t.test('the bare method key answers the base path', async (t) => {
    t.equal((await get(port, req('/files'))).body, 'GET /files rest=');
  });
  t.test('"POST /sub" answers POST on base path + /sub', async (t) => {
    const res = await get(port, 'POST /files/sub HTTP/1.1\r\nHost: example.com\r\nContent-Length: 3\r\n\r\nabc');
    t.equal(res.body, 'POST /files/sub rest=');
    t.equal(seen.at(-1)!.body.toString(), 'abc');
  });
  t.test('a wildcard gets the rest of the path, the deepest prefix wins, exact beats wildcard', async (t) => {
    t.equal((await get(port, req('/files/static/a/b.css'))).body, 'GET /files/static/a/b.css rest=a/b.css');
    t.equal((await get(port, req('/files/static/deep/x'))).body, 'GET /files/static/deep/x rest=x');
    t.equal((await get(port, req('/files/static/exact'))).body, 'exact');
    t.equal((await get(port, req('/files/static/'))).body, 'GET /files/static/ rest=');
  });
  t.test('the bare wildcard prefix redirects 301 to prefix + "/" keeping the query', async (t) => {
    const res = await get(port, req('/files/static?v=1&x'));
    t.equal(res.status, 301);
    t.equal(header(res, 'Location'), '/files/static/?v=1&x');
    t.equal(header(res, 'Content-Length'), '0');
  });
  t.test('a key ending in "/" redirects its slashless path', async (t) => {
    t.equal(header(await get(port, req('/files/dir')), 'Location'), '/files/dir/');
  });
  t.test('a root app drops its base path', async (t) => {
    t.equal((await get(port, req('/anything/here', 'root.org'))).body, 'GET /anything/here rest=anything/here');
  });
  t.test('paths are decoded, // collapsed, and .. above the root refused', async (t) => {
    t.equal((await get(port, req('/files//static/%61%20b'))).body, 'GET /files/static/a b rest=a b');
    t.equal((await get(port, req('/files/static/x/../y'))).body, 'GET /files/static/y rest=y');
    t.equal((await get(port, req('/../files'))).status, 400);
    t.equal((await get(port, req('/files/%ZZ'))).status, 400);
  });
  t.test('the query reaches the handler raw and parsed', async (t) => {
    await get(port, req('/files?key=a%2Fb&redirect=true'));
    t.equal(seen.at(-1)!.rawQuery, 'key=a%2Fb&redirect=true');
    t.equal(seen.at(-1)!.query.get('key'), 'a/b');
    await get(port, req('/files?'));
    t.equal(seen.at(-1)!.rawQuery, null);
  });
  t.test('a path no route matches is 404', async (t) => {
    t.equal((await get(port, req('/nope'))).status, 404);
  });
  t.test('a path whose route has another method is 405 with Allow', async (t) => {
    const res = await get(port, 'DELETE /files HTTP/1.1\r\nHost: example.com\r\n\r\n');
    t.equal(res.status, 405);
    t.equal(header(res, 'Allow'), 'GET, HEAD, OPTIONS');
    t.equal(header(res, 'Access-Control-Allow-Methods'), 'OPTIONS, GET, POST');
  });
});

t.test('mount refuses route keys without a method, and unmount removes the routes', async (t) => {
  const server = new HttpServer(settings(), memoryLogger());
  t.throws(() => server.mount(app('bad', { '/x': 'y' })), { code: 'ERR_HTTP_ROUTE_INVALID' });
  t.throws(() => server.mount(app('bad', { 'GET x': 'y' })), { code: 'ERR_HTTP_ROUTE_INVALID' });
  const unmount = server.mount(app('ok', { GET: 'here' }));
  await server.start();
  t.teardown(() => server.stop());
  const port = server.addresses().http[0]!.port;
  t.equal((await get(port, req('/ok'))).body, 'here');
  unmount();
  t.equal((await get(port, req('/ok'))).status, 404);
});

t.test('handler results', async (t) => {
  const { port } = await serve(t, [
    app('r', {
      'GET /num': () => 403,
      'GET /ok': () => 204,
      'GET /none': () => undefined,
      'GET /reply': () => ({ status: 201, headers: { Location: 'https://example.com/x', 'X-B': ['1', '2'] } }),
      'GET /typed': () => ({ status: 200, headers: { 'Content-Type': 'application/json' }, body: '{"a":1}' }),
      'GET /static': { status: 202, body: 'static' },
      'GET /throw': () => {
        throw new Error('secret detail');
      },
      'GET /reject': async () => Promise.reject(new Error('secret detail')),
      'GET /badheader': () => ({ headers: { 'X-Bad': 'a\nb' }, body: 'x' }),
    }),
  ]);
  t.test('a number >= 400 gets the error page', async (t) => {
    const res = await get(port, req('/r/num'));
    t.equal(res.statusLine, 'HTTP/1.1 403 Forbidden');
    t.match(res.body, '<title>403 Forbidden</title>');
    t.match(res.body, '<h1>403 Forbidden</h1>');
  });
  t.test('204 has no Content-Length and no body', async (t) => {
    const res = await get(port, req('/r/ok'));
    t.equal(res.status, 204);
    t.equal(header(res, 'Content-Length'), undefined);
  });
  t.test('undefined is 404', async (t) => {
    t.equal((await get(port, req('/r/none'))).status, 404);
  });
  t.test('a reply keeps its headers in order, with no Content-Type added', async (t) => {
    const res = await get(port, req('/r/reply'));
    t.equal(res.statusLine, 'HTTP/1.1 201 Created');
    t.same(names(res), [
      'Access-Control-Allow-Methods',
      'Access-Control-Allow-Headers',
      'Access-Control-Max-Age',
      'Access-Control-Allow-Origin',
      'Location',
      'X-B',
      'X-B',
      'Content-Length',
      'Connection',
    ]);
    t.equal(header(res, 'Content-Length'), '0');
    t.equal(header(res, 'Content-Type'), undefined);
    t.equal((await get(port, req('/r/typed'))).body, '{"a":1}');
    const stat = await get(port, req('/r/static'));
    t.equal(stat.status, 202);
    t.equal(stat.body, 'static');
  });
  t.test('a thrown error is a generic 500 page with CORS, logged without the query secret', async (t) => {
    for (const path of ['/r/throw?key=abc/SECRET', '/r/reject?key=abc/SECRET']) {
      const { responses, closed } = await raw(port, req(path) + req('/r/typed'), { count: 2 });
      const [res, next] = responses;
      t.equal(res!.status, 500);
      t.match(res!.body, '<h1>500 Internal Server Error</h1>');
      t.notMatch(res!.body, 'secret detail');
      t.equal(header(res!, 'Access-Control-Allow-Origin'), '*');
      t.equal(next!.status, 200, 'the connection stays usable');
      t.notOk(closed);
    }
  });
  t.test('an invalid header from a handler is a 500, not a dropped socket', async (t) => {
    t.equal((await get(port, req('/r/badheader'))).status, 500);
  });
});

t.test('a handler error is logged with the URL redacted', async (t) => {
  const spec = app('r', {
    GET: () => {
      throw new Error('boom');
    },
  });
  const { port } = await serve(t, [spec]);
  await get(port, req('/r?key=id/SECRET'));
  const lines = (spec.log as ReturnType<typeof memoryLogger>).lines.join('\n');
  t.match(lines, /error\tError processing GET \/r\?key=REDACTED: boom/);
  t.notMatch(lines, 'SECRET');
});

t.test('HEAD reaches GET routes, keeps its method and sends no body', async (t) => {
  const methods: string[] = [];
  const { port } = await serve(t, [app('h', { GET: (r) => (methods.push(r.method), 'hello') })]);
  const { responses } = await raw(port, `HEAD /h HTTP/1.1\r\nHost: example.com\r\n\r\n` + req('/h'), { count: 2, heads: [true, false] });
  t.same(methods, ['HEAD', 'GET']);
  t.equal(responses[0]!.status, 200);
  t.equal(header(responses[0]!, 'Content-Length'), '5');
  t.equal(responses[1]!.body, 'hello', 'nothing extra was written after the HEAD response');
});

t.test('keep-alive serves many requests on one socket', async (t) => {
  let n = 0;
  const { port } = await serve(t, [app('k', { GET: () => String(++n) })]);
  const { responses, closed } = await raw(port, req('/k') + req('/k') + req('/k'), { count: 3 });
  t.same(responses.map((r) => r.body), ['1', '2', '3']);
  t.same(responses.map((r) => header(r, 'Connection')), ['Keep-Alive', 'Keep-Alive', 'Keep-Alive']);
  t.notOk(closed);
  const last = await raw(port, req('/k', 'example.com', 'Connection: close\r\n'));
  t.equal(header(last.responses[0]!, 'Connection'), 'close');
});

t.test('limits and malformed requests', async (t) => {
  let reached = false;
  const { port } = await serve(t, [app('u', { 'POST /up': () => ((reached = true), 'ok') })], { maxContentSize: 1000 });
  t.test('a Content-Length over the limit is 413 and the connection closes', async (t) => {
    const { responses, closed } = await raw(port, 'POST /u/up HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5000\r\n\r\n', { untilClose: true });
    t.equal(responses[0]!.status, 413);
    t.equal(header(responses[0]!, 'Connection'), 'close');
    t.ok(closed);
    t.notOk(reached);
  });
  t.test('a chunked body that grows past the limit is 413', async (t) => {
    const chunk = 'x'.repeat(600);
    const body = `258\r\n${chunk}\r\n258\r\n${chunk}\r\n0\r\n\r\n`;
    const { responses, closed } = await raw(port, [`POST /u/up HTTP/1.1\r\nHost: example.com\r\nTransfer-Encoding: chunked\r\n\r\n`, body], { untilClose: true });
    t.equal(responses[0]!.status, 413);
    t.ok(closed);
    t.notOk(reached);
  });
  t.test('an Expect: 100-continue client announcing too much gets 413 instead of 100 Continue', async (t) => {
    const { responses } = await raw(port, 'POST /u/up HTTP/1.1\r\nHost: example.com\r\nContent-Length: 5000\r\nExpect: 100-continue\r\n\r\n', { untilClose: true });
    t.same(responses.map((r) => r.status), [413]);
  });
  t.test('a body within the limit reaches the handler', async (t) => {
    const res = await get(port, `POST /u/up HTTP/1.1\r\nHost: example.com\r\nContent-Length: 1000\r\n\r\n${'y'.repeat(1000)}`);
    t.equal(res.body, 'ok');
  });
  t.test('a garbage request line gets a proper 400 and the socket closes', async (t) => {
    const { responses, closed } = await raw(port, 'HELLO THERE\r\n\r\n', { untilClose: true });
    t.equal(responses[0]!.statusLine, 'HTTP/1.1 400 Bad Request');
    t.equal(header(responses[0]!, 'Connection'), 'close');
    t.equal(Number(header(responses[0]!, 'Content-Length')), Buffer.byteLength(responses[0]!.body));
    t.ok(closed);
  });
  t.test('oversized headers are 431', async (t) => {
    const { responses } = await raw(port, `GET /u HTTP/1.1\r\nHost: example.com\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    t.equal(responses[0]!.status, 431);
  });
});

t.test('forwarded client address and scheme', async (t) => {
  let seen: HttpRequest | undefined;
  const routes = { GET: (r: HttpRequest) => ((seen = r), 'ok') };
  t.test('from a trusted proxy: the last untrusted X-Forwarded-For entry, and X-Forwarded-Proto', async (t) => {
    const { port } = await serve(t, [app('p', routes)], { trustedProxies: ['127.0.0.0/8', '10.0.0.0/8'] });
    await get(port, req('/p', 'example.com', 'X-Forwarded-For: 203.0.113.9, 198.51.100.7, 10.1.2.3\r\nX-Forwarded-Proto: https\r\n'));
    t.equal(seen!.ip, '198.51.100.7');
    t.equal(seen!.secure, true);
  });
  t.test('from any other peer the headers are ignored', async (t) => {
    const { port } = await serve(t, [app('p', routes)], { trustedProxies: ['10.0.0.0/8'] });
    await get(port, req('/p', 'example.com', 'X-Forwarded-For: 203.0.113.9\r\nX-Forwarded-Proto: https\r\n'));
    t.equal(seen!.ip, '127.0.0.1');
    t.equal(seen!.secure, false);
  });
});

t.test('graceful stop waits for a slow handler, which answers with Connection: close', async (t) => {
  let release!: () => void;
  let started!: () => void;
  const running = new Promise<void>((r) => (started = r));
  const spec = app('slow', { GET: () => new Promise<string>((r) => ((release = () => r('done')), started())) });
  const server = new HttpServer(settings(), memoryLogger());
  server.mount(spec);
  await server.start();
  const port = server.addresses().http[0]!.port;
  const response = raw(port, req('/slow'));
  await running;
  let stopped = false;
  const stopping = server.stop().then(() => (stopped = true));
  await new Promise((r) => setImmediate(r));
  t.notOk(stopped, 'stop waits while the handler runs');
  release();
  const { responses } = await response;
  await stopping;
  t.equal(responses[0]!.body, 'done');
  t.equal(header(responses[0]!, 'Connection'), 'close');
  await t.rejects(
    new Promise((resolve, reject) => httpRequest({ port, host: '127.0.0.1', path: '/slow', headers: { host: 'example.com' } }, resolve).on('error', reject).end()),
    { code: 'ECONNREFUSED' },
    'nothing listens any more',
  );
});

t.test('start names the port when it is taken', async (t) => {
  const { port } = await serve(t, []);
  const second = new HttpServer(settings({ httpPorts: [port] }), memoryLogger());
  await t.rejects(second.start(), { code: 'ERR_HTTP_LISTEN', message: new RegExp(`port ${port}: .*EADDRINUSE`) });
  t.same(second.addresses(), { http: [], https: [] });
});

t.test('port 0 on two interfaces gives one port, and a missing ::1 is skipped quietly', async (t) => {
  const server = new HttpServer(settings({ httpInterfaces: ['127.0.0.1', '::1'] }), memoryLogger());
  await server.start();
  t.teardown(() => server.stop());
  const http = server.addresses().http;
  t.ok(http.length >= 1);
  t.equal(new Set(http.map((a) => a.port)).size, 1);
});
