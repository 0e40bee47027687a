/**
 * mod_register_apps: the catalogue of chat apps that invite pages recommend, as Prosody's
 * community module of the same name. The list is `site_apps` (or the built-in one), filtered
 * by `site_apps_show`/`site_apps_hide`; other modules add apps with
 * `module.provides('site-app', { name, platforms, ... })`. Logos are served at
 * `/register_apps/assets/*`.
 */
import { defineModule } from 'canto/module-api';
import type { JSONSchemaType, OptionSchema } from 'canto/module-api';
import { appsForPlatform, buildCatalogue, isAppSpec } from './apps.js';
import { BUILT_IN_APPS } from './catalogue.js';
import type { AppButton, AppSpec, RegisterAppsApi } from './types.js';

export type { AppButton, AppSpec, RegisterAppsApi, SiteApp } from './types.js';

interface Options {
  site_apps?: AppSpec[];
  site_apps_show?: string[];
  site_apps_hide?: string[];
}

const idList: OptionSchema<string[] | undefined> = { type: 'array', items: { type: 'string' } };
const text = { type: 'string', nullable: true } as const;

const button: JSONSchemaType<AppButton> = {
  type: 'object',
  required: ['url'],
  properties: { text, image: text, alttext: text, url: { type: 'string', minLength: 1 }, target: text },
};

/** One app of `site_apps`; a nested Lua `{}` reads as the empty object the schema asks for. */
const app: JSONSchemaType<AppSpec> = {
  type: 'object',
  required: ['name'],
  properties: {
    id: { type: 'string', minLength: 1, nullable: true },
    name: { type: 'string', minLength: 1 },
    text,
    image: text,
    link: text,
    platforms: { type: 'array', items: { type: 'string' }, nullable: true },
    supports_preauth_uri: { type: 'boolean', nullable: true },
    magic_link_format: text,
    // No control characters: the rendered link becomes a Location header.
    login_link_format: { type: 'string', nullable: true, minLength: 1, pattern: '^[^\\u0000-\\u001f\\u007f]*$' },
    download: {
      type: 'object',
      nullable: true,
      properties: { text, buttons: { type: 'array', items: button, nullable: true } },
    },
    setup: { type: 'object', nullable: true, properties: { text } },
  },
};

export default defineModule<RegisterAppsApi, Options>({
  options: {
    type: 'object',
    properties: {
      site_apps: { type: 'array', items: app },
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
