/**
 * mod_register_apps on an in-process host (canto/testing): the catalogue options as Prosody names them, apps
 * provided by other modules, and the logos it serves. The catalogue is seen through the
 * invite page, which is what visitors see of it.
 */
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { startHost } from '../../runtime/testing/index.js';
import { FIXTURES, copyFixtures } from '../helpers/canto.js';

const ACCOUNT = 'jCQROWE46hmwMQXzg82unSbs';
const NOW = 1795500000;
const LINUX = 'Mozilla/5.0 (X11; Linux x86_64; rv:127.0) Gecko/20100101 Firefox/127.0';

/** A plugin module, plain JS, that provides one app the way any module can. */
const EXTRA_APP_MODULE = `export default {
  load(module) {
    module.provides('site-app', {
      name: 'Extra Chat',
      text: 'Provided by another module.',
      platforms: ['Linux'],
      supports_preauth_uri: true,
      link: 'https://extra.example/',
      download: { buttons: [{ text: 'Get Extra Chat', url: 'https://extra.example/download' }] },
    });
  },
};
`;

async function appIds(t: Test, extra: string, modules = '"invites", "invites_page", "register_apps"', files: Record<string, string> = {}): Promise<{ first: string[]; all: string[]; body: string }> {
  const dir = t.testdir();
  copyFixtures(join(FIXTURES, 'prosody-0.12.3', 'internal'), join(dir, 'data'));
  const config = [
    'http_ports = { 0 }',
    'https_ports = { }',
    'http_default_host = "example.com"',
    'data_path = "data"',
    `modules_enabled = { ${modules} }`,
    extra,
    'VirtualHost "example.com"',
    '',
  ].join('\n');
  const host = await startHost(t, { config, dir, files, now: NOW });
  const res = await host.inject({ url: `/invites_page?${ACCOUNT}`, headers: { 'user-agent': LINUX } });
  t.equal(res.status, 200);
  const ids = (html: string) => [...html.matchAll(/data-app="([^"]+)"/g)].map((m) => m[1]!);
  return { first: ids(res.body.split('<details')[0]!), all: ids(res.body), body: res.body };
}

t.test('without options the built-in catalogue is shown', async (t) => {
  const { first, all } = await appIds(t, '');
  t.same(first, ['dino', 'gajim']);
  t.same(all.sort(), ['beagle-im', 'conversations', 'dino', 'gajim', 'monal', 'siskin-im', 'yaxim']);
});

t.test('site_apps_show keeps only the apps it names', async (t) => {
  const { all } = await appIds(t, 'site_apps_show = { "gajim", "conversations" }');
  t.same(all.sort(), ['conversations', 'gajim']);
});

t.test('site_apps_hide removes the apps it names, also as a single string', async (t) => {
  const { all } = await appIds(t, 'site_apps_hide = "gajim"');
  t.notOk(all.includes('gajim'));
  t.ok(all.includes('dino'));
});

t.test('site_apps replaces the catalogue, with relative logos served by the module', async (t) => {
  const { all, body } = await appIds(
    t,
    `site_apps = {
      { name = "Our Client"; text = "The one we support."; image = "assets/logos/generic.svg"; platforms = { "Linux", "Windows" }; supports_preauth_uri = true; download = { buttons = { { text = "Get it"; url = "https://client.example/" } } } };
      { name = "Plain"; platforms = { "Android" }; download = { } };
    }`,
  );
  t.same(all, ['our-client', 'plain']);
  t.match(body, 'src="/register_apps/assets/logos/generic.svg"');
  t.match(body, `href="/invites_page/setup/our-client?${ACCOUNT}">Use Our Client</a>`);
});

t.test('a module adds an app with provides("site-app")', async (t) => {
  const { first, body } = await appIds(t, 'plugin_paths = { "plugins" }', '"invites", "invites_page", "register_apps", "extra_app"', {
    'plugins/mod_extra_app/index.js': EXTRA_APP_MODULE,
  });
  t.same(first, ['dino', 'gajim', 'extra-chat'], 'after the configured apps');
  t.match(body, 'Provided by another module.');
});

t.test('logos are served with their type and cache headers; nothing else is', async (t) => {
  const host = await startHost(t, {
    config: 'http_ports = { 0 }\nhttps_ports = { }\nhttp_default_host = "example.com"\ndata_path = "data"\nmodules_enabled = { "register_apps" }\nVirtualHost "example.com"\n',
  });
  const logo = await host.inject('/register_apps/assets/logos/monal.svg');
  t.equal(logo.status, 200);
  t.equal(logo.headers['content-type'], 'image/svg+xml');
  t.equal(logo.headers['cache-control'], 'public, max-age=86400');
  t.match(logo.headers['content-security-policy'], "default-src 'none'");
  const cached = await host.inject({ url: '/register_apps/assets/logos/monal.svg', headers: { 'if-none-match': String(logo.headers.etag) } });
  t.equal(cached.status, 304);
  t.equal((await host.inject('/register_apps/assets/logos/none.svg')).status, 404);
  t.equal((await host.inject('/register_apps/assets/../index.ts')).status, 404);
  t.equal((await host.inject('/register_apps/assets/%2e%2e/index.ts')).status, 404);
});
