/**
 * mod_register_apps: the catalogue of chat apps that invite pages recommend, as Prosody's
 * community module of the same name. The list is `site_apps` (or the built-in one), filtered
 * by `site_apps_show`/`site_apps_hide`; other modules add apps with
 * `module.provides('site-app', { name, platforms, ... })`. Logos are served at
 * `/register_apps/assets/*`.
 */
import { defineModule } from 'canto/module-api';
import { appsForPlatform, buildCatalogue, isAppSpec } from './apps.js';
import { BUILT_IN_APPS } from './catalogue.js';
import type { AppSpec, RegisterAppsApi } from './types.js';

export type { AppButton, AppSpec, RegisterAppsApi, SiteApp } from './types.js';

interface Options {
  site_apps?: AppSpec[];
  site_apps_show?: string[];
  site_apps_hide?: string[];
}

const idList = { type: 'array', items: { type: 'string' } };
// Lua's empty table `{}` reads as an empty array, so nested tables accept either shape.
const table = { type: ['object', 'array'] };

export default defineModule<RegisterAppsApi, Options>({
  options: {
    type: 'object',
    properties: {
      site_apps: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name'],
          properties: {
            id: { type: 'string', minLength: 1 },
            name: { type: 'string', minLength: 1 },
            text: { type: 'string' },
            image: { type: 'string' },
            link: { type: 'string' },
            platforms: { type: 'array', items: { type: 'string' } },
            supports_preauth_uri: { type: 'boolean' },
            magic_link_format: { type: 'string' },
            download: table,
            setup: table,
          },
        },
      },
      site_apps_show: idList,
      site_apps_hide: idList,
    },
  },

  load(module) {
    const { site_apps, site_apps_show = [], site_apps_hide = [] } = module.options;
    const filter = { show: new Set(site_apps_show), hide: new Set(site_apps_hide) };
    // Paths, not absolute URLs: see resolveImage.
    const basePath = new URL(module.httpUrl()).pathname;
    const configured = { source: module.name, specs: (site_apps as readonly AppSpec[] | undefined) ?? BUILT_IN_APPS };

    // Read on every call, so that apps provided by modules loaded after this one are included.
    const apps = () => {
      const provided = [...module.getItems<unknown>('site-app'), ...module.getItems<unknown>('site-app-provider')].filter(isAppSpec);
      return buildCatalogue([configured, { source: 'provided', specs: provided }], filter, basePath);
    };

    if (module.processType === 'server') {
      module.provides('http', { route: { 'GET /assets/*': module.serveStatic('assets') } });
    }

    return {
      apps,
      appsFor: (platform) => appsForPlatform(apps(), platform),
      app: (id) => apps().find((app) => app.id === id),
    };
  },
});
