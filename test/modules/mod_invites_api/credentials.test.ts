import t from 'tap';
import type { HttpRequest } from '../../../runtime/http/types.js';
import { credentials, wantsJson, wantsRedirect } from '../../../modules/mod_invites_api/credentials.js';

function req(query: string | null, headers: Record<string, string> = {}): HttpRequest {
  return {
    method: 'GET', path: '/invites_api', rawQuery: query, query: new URLSearchParams(query ?? ''), headers,
    host: 'example.com', ip: '127.0.0.1', secure: false, body: Buffer.alloc(0), rest: '',
    params: {},
  };
}

t.test('the key comes from ?key= when there is no Authorization header', async (t) => {
  t.same(credentials(req('key=ID/SECRET')), { key: 'ID/SECRET' });
  t.same(credentials(req(null)), { error: 'no key' });
  t.same(credentials(req('redirect=true')), { error: 'no key' });
});

t.test('a Bearer header wins, with the scheme in any case', async (t) => {
  t.same(credentials(req('key=OTHER/X', { authorization: 'Bearer ID/SECRET' })), { key: 'ID/SECRET' });
  t.same(credentials(req(null, { authorization: 'bearer ID/SECRET' })), { key: 'ID/SECRET' });
  t.same(credentials(req(null, { authorization: 'BEARER   ID/SECRET ' })), { key: 'ID/SECRET' });
});

t.test('any other Authorization header is refused, even with a good ?key=', async (t) => {
  for (const header of ['Basic ID/SECRET', 'Bearer', 'ID/SECRET', 'Bearer a b', '']) {
    t.same(credentials(req('key=ID/SECRET', { authorization: header })), { error: 'bad Authorization header' }, header);
  }
});

t.test('redirect is asked for by a true-ish value or none', async (t) => {
  for (const q of ['redirect=true', 'redirect=1', 'redirect=yes', 'redirect', 'redirect=', 'redirect=TRUE']) t.ok(wantsRedirect(new URLSearchParams(q)), q);
  for (const q of ['', 'redirect=false', 'redirect=0', 'redirect=no']) t.notOk(wantsRedirect(new URLSearchParams(q)), q);
});

t.test('JSON is sent when the client accepts it', async (t) => {
  t.ok(wantsJson('application/json'));
  t.ok(wantsJson('text/html, Application/JSON;q=0.9'));
  t.notOk(wantsJson(undefined));
  t.notOk(wantsJson('*/*'));
});
