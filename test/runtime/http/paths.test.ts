import t from 'tap';
import { basePathFor, hostFromHeader, normalizeRequestPath } from '../../../runtime/http/paths.js';

t.test('basePathFor follows mod_http get_base_path', async (t) => {
  const paths = (table: unknown) => (name: string) => (name === 'http_paths' ? table : undefined);
  t.equal(basePathFor('invites_api', undefined, paths(undefined), 'example.com'), '/invites_api');
  t.equal(basePathFor('invites_register_web', 'register', paths(undefined), 'example.com'), '/register');
  t.equal(basePathFor('invites_page', undefined, paths({ invites_page: '/invite/' }), 'example.com'), '/invite');
  t.equal(basePathFor('x', undefined, paths({ x: 'sites/$host' }), 'example.com'), '/sites/example.com');
  t.equal(basePathFor('x', undefined, paths({ x: '/' }), 'example.com'), '/');
  t.equal(basePathFor('x', '/fallback', paths({ other: '/o' }), 'example.com'), '/fallback');
});

t.test('normalizeRequestPath decodes, collapses and resolves, refusing escapes', async (t) => {
  t.equal(normalizeRequestPath('/'), '/');
  t.equal(normalizeRequestPath('/a//b/'), '/a/b/');
  t.equal(normalizeRequestPath('/a/%2e%2e/b'), '/b');
  t.equal(normalizeRequestPath('/a/./b/.'), '/a/b/');
  t.equal(normalizeRequestPath('/a/..'), '/');
  t.equal(normalizeRequestPath('/%C3%A9t%C3%A9'), '/été');
  t.equal(normalizeRequestPath('/..'), null);
  t.equal(normalizeRequestPath('/a/../../b'), null);
  t.equal(normalizeRequestPath('/%2e%2e/etc'), null);
  t.equal(normalizeRequestPath('/%zz'), null);
  t.equal(normalizeRequestPath('/a%00b'), null);
});

t.test('hostFromHeader strips the port and lower-cases', async (t) => {
  t.equal(hostFromHeader('Example.COM:5280'), 'example.com');
  t.equal(hostFromHeader('[::1]:5280'), '[::1]');
  t.equal(hostFromHeader('example.com.:443'), 'example.com');
  t.equal(hostFromHeader(undefined), '');
  t.equal(hostFromHeader(''), '');
});
