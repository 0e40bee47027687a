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
import { NICK_NODE, userRoutes } from './users-routes.js';

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
    /** As the Lua module's get_server_metrics, from the process's metric registry; a family nobody measures is left out. */
    const serverMetrics = () => {
      const first = (name: string) => module.readMetric(name)?.series[0];
      const summed = (name: string) => module.readMetric(name)?.series.reduce((sum, s) => sum + s.value, 0);
      const memory = first('process_resident_memory_bytes');
      const cpu = first('process_cpu_seconds');
      // Prosody's prosody_mod_c2s/connections and prosody_mod_http_file_share/total_storage_bytes,
      // as Canto names what modules of those names would measure; Canto ships neither.
      const c2s = summed('canto_mod_c2s/connections');
      const uploads = summed('canto_mod_http_file_share/total_storage_bytes');
      return {
        ...(memory === undefined ? {} : { memory: memory.value }),
        ...(cpu === undefined ? {} : { cpu: { since: cpu.created, value: cpu.value } }),
        ...(c2s === undefined ? {} : { c2s }),
        ...(uploads === undefined ? {} : { uploads }),
      };
    };

    const server: Record<string, RouteSpec<never, ApiKey>> = {
      'GET /server/info': {
        json: true,
        authenticate: scoped('admin:server'),
        handler: () => jsonReply(200, { site_name: module.options.site_name ?? module.host, version: `Canto ${cantoVersion()}` }),
      },
      'GET /server/metrics': {
        json: true,
        authenticate: scoped('admin:server'),
        handler: () => jsonReply(200, serverMetrics()),
      },
    };
    const accounts = module.accounts();
    const admins = new Set(module.getOptionArray('admins').map((jid) => jid.toLowerCase()));
    const routes: Record<string, RouteSpec<never, ApiKey> | ReturnType<typeof inviteRoutes>[string]> = {
      ...inviteRoutes({ invites, authenticate: scoped('admin:invites'), userExists: (name) => accounts.exists(name) }),
      ...userRoutes({
        accounts,
        invites,
        roles: module.openStore('roles'),
        // As mod_pep: node configs in `pep`, items in archives `pep_<node>` on the driver of `pep_data`.
        pep: module.openStore('pep'),
        nicks: module.openStore(`pep_${NICK_NODE}`, 'archive', { driverFor: 'pep_data' }),
        admins,
        host: module.host,
        authenticate: scoped('admin:users'),
      }),
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
