/**
 * Declared routes on the real server: route parameters, HttpError answered as util.error JSON
 * or as the page, per-route authentication, and JSON bodies checked for type, size, syntax and
 * schema before the handler runs.
 */
import t from 'tap';
import { HttpError } from '../../../runtime/http/http-error.js';
import { HttpServer } from '../../../runtime/http/server.js';
import type { RouteRequest, RouteSpec } from '../../../runtime/http/types.js';
import { app, get, header, memoryLogger, raw, serve, settings } from './helpers.js';

const req = (line: string, headers: Record<string, string> = {}, body = '') =>
  `${line} HTTP/1.1\r\nHost: example.com\r\n${Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join('')}` +
  (body ? `Content-Length: ${Buffer.byteLength(body)}\r\n` : '') + `\r\n${body}`;

interface Body { ttl?: number; groups?: string[]; note?: string | null }

t.test('declared routes', async (t) => {
  const handled: RouteRequest[] = [];
  const authenticate = (request: { headers: Record<string, string | string[] | undefined> }) => {
    if (request.headers.authorization === undefined) throw new HttpError(401, undefined, undefined, { headers: { 'WWW-Authenticate': 'Bearer' } });
    if (request.headers.authorization !== 'Bearer good') throw new HttpError(403, 'forbidden', 'Not allowed');
    return { user: 'admin' };
  };
  const create: RouteSpec<Body, { user: string }> = {
    json: true,
    authenticate,
    body: {
      maxSize: 64,
      schema: {
        type: 'object',
        properties: { ttl: { type: 'number', minimum: 1 }, groups: { type: 'array', items: { type: 'string' } }, note: { type: 'string', nullable: true } },
        additionalProperties: false,
      },
    },
    handler(request) {
      handled.push(request);
      return { status: 200, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ got: request.json ?? null, by: request.auth.user }) };
    },
  };
  const { port } = await serve(t, [
    app('api', {
      'GET /items/{id}': { json: true, handler: (r) => ({ status: 200, body: `item ${r.params.id}` }) },
      'GET /items/{id}/parts/{part}': { json: true, handler: (r) => ({ status: 200, body: `${r.params.id}:${r.params.part}` }) },
      'GET /items/special': 'special',
      'GET /gone/{id}': { json: true, handler: () => { throw new HttpError(404, 'item-not-found', 'No such invite'); } },
      'GET /bare': { handler: () => 404 },
      'GET /broken': { json: true, handler: () => { throw new Error('secret detail'); } },
      'DELETE /items/{id}': { json: true, handler: () => 200 },
      'POST /items': create,
    }),
  ]);

  await t.test('a {name} segment matches one segment and reaches the handler as params', async (t) => {
    t.equal((await get(port, req('GET /api/items/abc-1'))).body, 'item abc-1');
    t.equal((await get(port, req('GET /api/items/a%20b'))).body, 'item a b');
    t.equal((await get(port, req('GET /api/items/7/parts/x'))).body, '7:x');
    t.equal((await get(port, req('GET /api/items/special'))).body, 'special', 'an exact route beats a pattern');
    t.equal((await get(port, req('GET /api/items/a/b'))).status, 404);
    t.equal((await get(port, req('GET /api/items/'))).status, 404);
  });

  await t.test('an HttpError is util.error JSON for JSON clients and the page for browsers', async (t) => {
    const asJson = await get(port, req('GET /api/gone/x', { Accept: 'application/json' }));
    t.equal(asJson.status, 404);
    t.equal(header(asJson, 'Content-Type'), 'application/json');
    t.same(JSON.parse(asJson.body), { type: 'cancel', condition: 'item-not-found', text: 'No such invite' });
    const noAccept = await get(port, req('GET /api/gone/x'));
    t.equal(header(noAccept, 'Content-Type'), 'application/json', 'a JSON route answers JSON when nothing else is asked for');
    const browser = await get(port, req('GET /api/gone/x', { Accept: 'text/html,application/xhtml+xml,*/*;q=0.8' }));
    t.equal(browser.status, 404);
    t.equal(header(browser, 'Content-Type'), 'text/html; charset=utf-8');
    t.match(browser.body, '<h1>404 Not Found</h1>\n<p>No such invite</p>');
  });

  await t.test('a bare status from a route that is not JSON stays a page unless JSON is asked for', async (t) => {
    t.equal(header(await get(port, req('GET /api/bare')), 'Content-Type'), 'text/html; charset=utf-8');
    const asked = await get(port, req('GET /api/bare', { Accept: 'application/json' }));
    t.same(JSON.parse(asked.body), { type: 'cancel', condition: 'item-not-found' });
  });

  await t.test('the router\'s own 404 and 405 speak JSON on a JSON app', async (t) => {
    const missing = await get(port, req('GET /api/nothing'));
    t.same(JSON.parse(missing.body), { type: 'cancel', condition: 'item-not-found' });
    const wrong = await get(port, req('PUT /api/items/x'));
    t.equal(wrong.status, 405);
    t.equal(header(wrong, 'Allow'), 'GET, HEAD, OPTIONS, DELETE');
    t.same(JSON.parse(wrong.body), { type: 'cancel', condition: 'not-allowed' });
  });

  await t.test('an unexpected error is a 500 that says nothing about it', async (t) => {
    const res = await get(port, req('GET /api/broken'));
    t.equal(res.status, 500);
    t.same(JSON.parse(res.body), { type: 'wait', condition: 'internal-server-error' });
    t.notMatch(res.body, 'secret');
  });

  await t.test('authentication runs first: 401 with its header, 403, and no body is read for either', async (t) => {
    const before = handled.length;
    const none = await get(port, req('POST /api/items', { 'Content-Type': 'application/json' }, '{"ttl":5}'));
    t.equal(none.status, 401);
    t.equal(header(none, 'WWW-Authenticate'), 'Bearer');
    t.equal(header(none, 'Connection'), 'close', 'the unread body ends the connection');
    const wrong = await get(port, req('POST /api/items', { Authorization: 'Bearer bad', 'Content-Type': 'application/json' }, '{}'));
    t.equal(wrong.status, 403);
    t.same(JSON.parse(wrong.body), { type: 'auth', condition: 'forbidden', text: 'Not allowed' });
    t.equal(handled.length, before);
  });

  const post = (body: string, headers: Record<string, string> = { 'Content-Type': 'application/json' }) =>
    get(port, req('POST /api/items', { Authorization: 'Bearer good', ...headers }, body));

  await t.test('a valid body reaches the handler parsed, with who authenticated', async (t) => {
    const res = await post('{"ttl":60,"groups":["a"],"note":null}');
    t.equal(res.status, 200);
    t.same(JSON.parse(res.body), { got: { ttl: 60, groups: ['a'], note: null }, by: 'admin' });
    t.same(JSON.parse((await post('', {})).body), { got: null, by: 'admin' }, 'an optional body may be empty');
    t.equal((await post('{}', { 'Content-Type': 'application/json; charset=utf-8' })).status, 200);
  });

  await t.test('bad bodies are 400 naming the field, 415 for another type, 413 over the route limit', async (t) => {
    const before = handled.length;
    const cases: [string, string, number, Record<string, unknown>][] = [
      ['wrong type', '{"ttl":"soon"}', 400, { type: 'modify', condition: 'bad-request', text: "Field 'ttl' must be number", extra: { field: 'ttl' } }],
      ['out of range', '{"ttl":0}', 400, { type: 'modify', condition: 'bad-request', text: "Field 'ttl' must be >= 1", extra: { field: 'ttl' } }],
      ['nested', '{"groups":[1]}', 400, { type: 'modify', condition: 'bad-request', text: "Field 'groups.0' must be string", extra: { field: 'groups.0' } }],
      ['unknown field', '{"tll":5}', 400, { type: 'modify', condition: 'bad-request', text: "Unknown field 'tll'", extra: { field: 'tll' } }],
      ['not an object', '[1]', 400, { type: 'modify', condition: 'bad-request', text: 'Request body must be object' }],
      ['broken JSON', '{"ttl":', 400, { type: 'modify', condition: 'bad-request', text: 'Invalid JSON submitted' }],
      ['oversize', `{"note":"${'x'.repeat(80)}"}`, 413, { type: 'modify', condition: 'policy-violation' }],
    ];
    for (const [name, body, status, error] of cases) {
      const res = await post(body);
      t.equal(res.status, status, name);
      t.same(JSON.parse(res.body), error, name);
    }
    const typed = await post('ttl=5', { 'Content-Type': 'application/x-www-form-urlencoded' });
    t.equal(typed.status, 415);
    t.same(JSON.parse(typed.body), { type: 'modify', condition: 'bad-request', text: 'Content-Type must be application/json' });
    t.equal((await post('{}', {})).status, 415, 'a body without a Content-Type');
    t.equal(handled.length, before, 'the handler never ran');
  });

  await t.test('a chunked body over the limit is cut off with 413', async (t) => {
    const chunk = 'x'.repeat(40);
    const head = 'POST /api/items HTTP/1.1\r\nHost: example.com\r\nAuthorization: Bearer good\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n';
    const { responses } = await raw(port, [head, `28\r\n${chunk}\r\n`, `28\r\n${chunk}\r\n`, '0\r\n\r\n']);
    t.equal(responses[0]?.status, 413);
  });

  await t.test('a route that declares no body does not read one', async (t) => {
    const res = await get(port, req('DELETE /api/items/x', {}, 'ignored'));
    t.equal(res.status, 200);
    t.equal(header(res, 'Connection'), 'close');
  });
});

t.test('malformed parameter keys and bad body schemas are refused at mount', async (t) => {
  const server = new HttpServer(settings(), memoryLogger());
  for (const key of ['GET /a/{id', 'GET /a/x{id}', 'GET /a/{id}/{id}', 'GET /a/{id}/*']) {
    t.throws(() => server.mount(app('bad', { [key]: 'y' })), { code: 'ERR_HTTP_ROUTE_INVALID' }, key);
  }
  t.throws(() => server.mount(app('bad', { POST: { body: { schema: { type: 'nonsense' } }, handler: () => 200 } })));
});
