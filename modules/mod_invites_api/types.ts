/**
 * mod_invites_api's public API, as other modules get it from `await module.depends('invites_api')`:
 * the scoped API keys it manages, for modules that offer an API of their own (mod_http_admin_api).
 */
import type { HttpRequest } from 'canto/module-api';

/**
 * What a key may do. `invite`: mint account invites at /invites_api (what every key made
 * before scopes, and every key Prosody made, may do). `admin`: all of mod_http_admin_api;
 * `admin:invites`, `admin:users`, `admin:server`: one part of it.
 */
export const SCOPES = ['invite', 'admin', 'admin:invites', 'admin:users', 'admin:server'] as const;
export type Scope = (typeof SCOPES)[number];

/** The scopes of a key made without `--scope`, and of keys without a `scopes` field. */
export const DEFAULT_SCOPES: readonly Scope[] = ['invite'];

/** An authenticated key. */
export interface ApiKey {
  id: string;
  name?: string;
  scopes: Scope[];
}

export interface InvitesApiKeys {
  /**
   * The key a request carries as `Authorization: Bearer ID/SECRET`, if it is valid and has
   * `scope` (or `admin` for an `admin:*` scope). Throws an HttpError: 401 with
   * `WWW-Authenticate: Bearer realm="<realm>"` for a missing, unknown, wrong, expired or deleted
   * key; 403 for a key without the scope; 429 after repeated failures from one address.
   * @example const key = await keys.authenticate(request, 'admin:invites', 'example.com/http_admin_api');
   */
  authenticate(request: HttpRequest, scope: Scope, realm: string): Promise<ApiKey>;
}

declare module 'canto/module-api' {
  interface ModuleApis {
    invites_api: InvitesApiKeys;
  }
}
