/**
 * mod_http_admin_api: Prosody's administration API (prosody-modules' module of the same name,
 * the API Snikket's web portal speaks) at /admin_api: invites, users, server information.
 * Hosts whose `authentication` Canto cannot manage refuse to load it (module.accounts()).
 * Requests carry a Canto API key with an admin scope (`Authorization: Bearer ID/SECRET`).
 */
import { cantoVersion, defineModule, jsonReply } from 'canto/module-api';
import type { HttpRequest, RouteSpec } from 'canto/module-api';
import type { ApiKey, Scope } from '../mod_invites_api/types.js';
import { inviteRoutes } from './invites-routes.js';
import { describe } from './openapi.js';
import { userRoutes } from './users-routes.js';

interface Options {
  site_name?: string;
}

export default defineModule<void, Options>({
  dependencies: ['invites', 'invites_api'],
  options: { type: 'object', properties: { site_name: { type: 'string', minLength: 1 } } },

  async load(module) {
    if (module.processType !== 'server') return;
    const invites = await module.depends('invites');
    const keys = await module.depends('invites_api');
    // As the Lua module: realm "<host>/<module name>".
    const realm = `${module.host}/${module.name}`;
    const scoped = (scope: Scope) => (request: HttpRequest) => keys.authenticate(request, scope, realm);
    const started = { at: Math.floor(Date.now() / 1000) - Math.round(process.uptime()) };

    const server: Record<string, RouteSpec<never, ApiKey>> = {
      'GET /server/info': {
        json: true,
        authenticate: scoped('admin:server'),
        handler: () => jsonReply(200, { site_name: module.options.site_name ?? module.host, version: `Canto ${cantoVersion()}` }),
      },
      'GET /server/metrics': {
        json: true,
        authenticate: scoped('admin:server'),
        handler: () => {
          const cpu = process.cpuUsage();
          return jsonReply(200, { memory: process.memoryUsage.rss(), cpu: { since: started.at, value: (cpu.user + cpu.system) / 1e6 } });
        },
      },
    };
    const accounts = module.accounts();
    const admins = new Set(module.getOptionArray('admins').map((jid) => jid.toLowerCase()));
    const routes: Record<string, RouteSpec<never, ApiKey> | ReturnType<typeof inviteRoutes>[string]> = {
      ...inviteRoutes({ invites, authenticate: scoped('admin:invites'), userExists: (name) => accounts.exists(name) }),
      ...userRoutes({ accounts, invites, roles: module.openStore('roles'), admins, host: module.host, authenticate: scoped('admin:users') }),
      ...server,
    };
    const basePath = new URL(module.httpUrl()).pathname.replace(/\/+$/, '');
    const document = JSON.stringify(describe([...Object.keys(routes), 'GET /openapi.json'], basePath, cantoVersion()));
    const openapi: RouteSpec = {
      json: true,
      handler: () => ({ status: 200, headers: { 'Content-Type': 'application/json', 'Cache-Control': 'no-cache' }, body: document }),
    };

    // As Prosody's mod_http: the app is named without `http_`, so it sits at /admin_api and http_paths says `admin_api`.
    module.provides('http', { name: 'admin_api', route: { ...routes, 'GET /openapi.json': openapi } });
  },
});
