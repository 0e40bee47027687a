import t from 'tap';
import { allowMethodsLine, resolveCors } from '../../../runtime/http/cors.js';
import { app, get, header, names, serve } from './helpers.js';

const req = (method: string, path: string, extra = '') => `${method} ${path} HTTP/1.1\r\nHost: example.com\r\n${extra}\r\n`;
const none = () => undefined;

t.test('resolveCors', async (t) => {
  t.test('has Prosody mod_http defaults', async (t) => {
    t.same(resolveCors('x', undefined, none), {
      enabled: true,
      credentials: false,
      headers: ['Content-Type'],
      origins: '*',
      maxAge: 7200,
      methods: ['GET', 'OPTIONS'],
    });
  });
  t.test('reads the global access_control_* options, numbers as strings included', async (t) => {
    const opts: Record<string, unknown> = {
      access_control_max_age: '600',
      access_control_allow_credentials: 'true',
      access_control_allow_headers: ['Content-Type', 'Authorization'],
      access_control_allow_origins: ['https://A.example'],
    };
    const c = resolveCors('x', undefined, (n) => opts[n]);
    t.equal(c.maxAge, 600);
    t.equal(c.credentials, true);
    t.same(c.headers, ['Content-Type', 'Authorization']);
    t.same([...(c.origins as Set<string>)], ['https://a.example']);
  });
  t.test('applies the app cors, then http_cors_override for that app only', async (t) => {
    const opts: Record<string, unknown> = {
      http_cors_override: { x: { credentials: true, headers: { 'X-Foo': true, 'Content-Type': false }, origins: '*' }, y: { enabled: false } },
    };
    const c = resolveCors('x', { origins: ['https://b.example'], headers: ['X-Bar'] }, (n) => opts[n]);
    t.same(c.headers, ['X-Bar', 'X-Foo']);
    t.equal(c.credentials, true);
    t.equal(c.origins, '*');
    t.equal(resolveCors('y', undefined, (n) => opts[n]).enabled, false);
    t.equal(resolveCors('z', undefined, (n) => ({ http_default_cors_enabled: false })[n]).enabled, false);
  });
  t.test('Allow-Methods lists OPTIONS, then GET, then the app methods in route order', async (t) => {
    const c = resolveCors('x', undefined, none);
    t.equal(allowMethodsLine(c, ['GET']), 'OPTIONS, GET');
    t.equal(allowMethodsLine(c, ['PUT', 'POST', 'GET', 'PUT']), 'OPTIONS, GET, PUT, POST');
  });
});

t.test('on the wire', async (t) => {
  const routes = { GET: () => ({ status: 201, headers: { Location: 'https://example.com/invite?abc' } }), 'GET /deny': () => 403 };
  const { port } = await serve(t, [
    app('invites_api', routes),
    app('listed', routes, { options: { access_control_allow_origins: ['https://ok.example'] } }),
    app('off', routes, { options: { http_cors_override: { off: { enabled: false } } } }),
    app('creds', { 'POST /x': 'ok' }, { options: { http_cors_override: { creds: { credentials: true, headers: ['Authorization'] } } } }),
  ]);

  t.test('a request without Origin gets exactly the seed README 201 header set, in a fixed order', async (t) => {
    const res = await get(port, req('GET', '/invites_api?key=x'));
    t.equal(res.statusLine, 'HTTP/1.1 201 Created');
    t.same(res.headers.map(([k]) => k), [
      'Date',
      'Access-Control-Allow-Methods',
      'Access-Control-Allow-Headers',
      'Access-Control-Max-Age',
      'Access-Control-Allow-Origin',
      'Location',
      'Content-Length',
      'Connection',
    ]);
    t.same(res.headers.slice(1), [
      ['Access-Control-Allow-Methods', 'OPTIONS, GET'],
      ['Access-Control-Allow-Headers', 'Content-Type'],
      ['Access-Control-Max-Age', '7200'],
      ['Access-Control-Allow-Origin', '*'],
      ['Location', 'https://example.com/invite?abc'],
      ['Content-Length', '0'],
      ['Connection', 'Keep-Alive'],
    ]);
  });
  t.test('an Origin is reflected, with Vary: Origin', async (t) => {
    const res = await get(port, req('GET', '/invites_api', 'Origin: https://web.example\r\n'));
    t.equal(header(res, 'Access-Control-Allow-Origin'), 'https://web.example');
    t.same(names(res).slice(0, 5), [
      'Access-Control-Allow-Methods',
      'Access-Control-Allow-Headers',
      'Access-Control-Max-Age',
      'Access-Control-Allow-Origin',
      'Vary',
    ]);
    t.equal(header(res, 'Vary'), 'Origin');
  });
  t.test('error pages of the app carry the CORS headers too', async (t) => {
    const res = await get(port, req('GET', '/invites_api/deny'));
    t.equal(res.status, 403);
    t.equal(header(res, 'Access-Control-Allow-Origin'), '*');
  });
  t.test('OPTIONS on a route path is a 200 preflight with Content-Length: 0', async (t) => {
    const res = await get(port, req('OPTIONS', '/invites_api/deny', 'Origin: https://web.example\r\nAccess-Control-Request-Method: GET\r\n'));
    t.equal(res.status, 200);
    t.equal(header(res, 'Content-Length'), '0');
    t.equal(res.body, '');
    t.equal(header(res, 'Access-Control-Allow-Methods'), 'OPTIONS, GET');
    t.equal(header(res, 'Access-Control-Allow-Origin'), 'https://web.example');
  });
  t.test('with an origin list, only listed origins get CORS headers', async (t) => {
    const ok = await get(port, req('GET', '/listed', 'Origin: https://OK.example\r\n'));
    t.equal(header(ok, 'Access-Control-Allow-Origin'), 'https://OK.example');
    const other = await get(port, req('GET', '/listed', 'Origin: https://evil.example\r\n'));
    t.equal(other.status, 201);
    t.same(names(other).filter((n) => n.startsWith('Access-Control')), []);
    const noOrigin = await get(port, req('GET', '/listed'));
    t.same(names(noOrigin).filter((n) => n.startsWith('Access-Control')), []);
  });
  t.test('http_cors_override can switch CORS off for one app', async (t) => {
    const res = await get(port, req('GET', '/off', 'Origin: https://web.example\r\n'));
    t.same(names(res), ['Location', 'Content-Length', 'Connection']);
    const pre = await get(port, req('OPTIONS', '/off'));
    t.equal(pre.status, 405);
    t.equal(header(pre, 'Allow'), 'GET, HEAD');
  });
  t.test('credentials and extra headers from http_cors_override, app methods in Allow-Methods', async (t) => {
    const res = await get(port, req('POST', '/creds/x', 'Origin: https://web.example\r\nContent-Length: 0\r\n'));
    t.same(res.headers.slice(1, 7), [
      ['Access-Control-Allow-Methods', 'OPTIONS, GET, POST'],
      ['Access-Control-Allow-Headers', 'Content-Type, Authorization'],
      ['Access-Control-Max-Age', '7200'],
      ['Access-Control-Allow-Origin', 'https://web.example'],
      ['Access-Control-Allow-Credentials', 'true'],
      ['Vary', 'Origin'],
    ]);
  });
  t.test('a 405 of a CORS app carries its CORS headers', async (t) => {
    const res = await get(port, req('PUT', '/invites_api', 'Content-Length: 0\r\n'));
    t.equal(res.status, 405);
    t.equal(header(res, 'Allow'), 'GET, HEAD, OPTIONS');
    t.equal(header(res, 'Access-Control-Allow-Origin'), '*');
  });
});
