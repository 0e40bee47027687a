import t from 'tap';
import { appId, appsForPlatform, buildCatalogue, isAppSpec, normaliseApp, resolveImage } from '../../modules/mod_register_apps/apps.js';
import { BUILT_IN_APPS } from '../../modules/mod_register_apps/catalogue.js';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const moduleDir = fileURLToPath(new URL('../../modules/mod_register_apps/', import.meta.url));
const none = { show: new Set<string>(), hide: new Set<string>() };

t.test('app ids are derived from names as Prosody does', async (t) => {
  t.equal(appId({ name: 'Siskin IM' }), 'siskin-im');
  t.equal(appId({ name: 'Beagle  IM!' }), 'beagle-im-');
  t.equal(appId({ name: 'Whatever', id: 'custom' }), 'custom');
});

t.test('relative logo paths hang off the module path, absolute ones stay', async (t) => {
  t.equal(resolveImage('assets/logos/dino.svg', '/register_apps'), '/register_apps/assets/logos/dino.svg');
  t.equal(resolveImage('assets/x.svg', '/'), '/assets/x.svg');
  t.equal(resolveImage('https://cdn.example.net/x.png', '/register_apps'), 'https://cdn.example.net/x.png');
  t.equal(resolveImage('/own/path.svg', '/register_apps'), '/own/path.svg');
});

t.test('the built-in list covers Android, iOS, Linux, Windows and macOS with ids as Prosody', async (t) => {
  const apps = buildCatalogue([{ source: 'register_apps', specs: BUILT_IN_APPS }], none, '/register_apps');
  t.same(apps.map((a) => a.id), ['conversations', 'yaxim', 'siskin-im', 'beagle-im', 'dino', 'gajim', 'monal']);
  for (const platform of ['Android', 'iOS', 'Linux', 'Windows', 'macOS']) {
    t.ok(appsForPlatform(apps, platform).length > 0, `an app for ${platform}`);
  }
  t.same(appsForPlatform(apps, 'android').map((a) => a.id), ['conversations', 'yaxim'], 'platform match ignores case');
});

t.test('every built-in logo exists in the module and is served from this server', async (t) => {
  for (const spec of BUILT_IN_APPS) {
    const app = normaliseApp(spec, 'register_apps', '/register_apps');
    t.match(app.image, /^\/register_apps\/assets\/logos\/[a-z-]+\.svg$/);
    t.ok(existsSync(join(moduleDir, spec.image!)), `${spec.image} exists`);
    for (const button of app.download.buttons) t.match(button.url, /^https:\/\//, 'download links are https');
  }
});

t.test('site_apps_show keeps only the named apps and site_apps_hide drops apps', async (t) => {
  const show = buildCatalogue([{ source: 'x', specs: BUILT_IN_APPS }], { show: new Set(['dino', 'monal']), hide: new Set() }, '/r');
  t.same(show.map((a) => a.id), ['dino', 'monal']);
  const hide = buildCatalogue([{ source: 'x', specs: BUILT_IN_APPS }], { show: new Set(), hide: new Set(['yaxim', 'gajim']) }, '/r');
  t.notOk(hide.some((a) => a.id === 'yaxim' || a.id === 'gajim'));
  t.equal(hide.length, BUILT_IN_APPS.length - 2);
});

t.test('the first app with an id wins across sources', async (t) => {
  const apps = buildCatalogue(
    [
      { source: 'register_apps', specs: [{ name: 'Dino', text: 'configured' }] },
      { source: 'provided', specs: [{ name: 'Dino', text: 'provided' }, { name: 'Extra App', platforms: ['Linux'] }] },
    ],
    none,
    '/r',
  );
  t.same(apps.map((a) => [a.id, a.source]), [['dino', 'register_apps'], ['extra-app', 'provided']]);
  t.equal(apps[0]!.text, 'configured');
});

t.test('apps from a Lua config with empty tables are normalised', async (t) => {
  const app = normaliseApp({ name: 'Lua App', download: [] as never, setup: [] as never, platforms: [] }, 'x', '/r');
  t.same(app.download, { buttons: [] });
  t.same(app.setup, {});
  t.equal(app.image, '/r/assets/logos/generic.svg', 'an app without a logo gets the generic one');
  t.equal(app.supports_preauth_uri, false);
});

t.test('only app-shaped items count as apps', async (t) => {
  t.ok(isAppSpec({ name: 'A' }));
  t.ok(isAppSpec({ name: 'A', platforms: ['Linux'] }));
  t.notOk(isAppSpec({ name: '' }));
  t.notOk(isAppSpec({ platforms: ['Linux'] }));
  t.notOk(isAppSpec({ name: 'A', platforms: 'Linux' }));
  t.notOk(isAppSpec(null));
});
