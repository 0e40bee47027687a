/**
 * /admin_api/invites: list (with Canto's filters and paging), look up, revoke, and create
 * account, group and reset invites, as mod_http_admin_api's list_invites, get_invite_by_id,
 * delete_invite and create_invite_type.
 */
import { HttpError, jsonReply } from 'canto/module-api';
import type { HttpRequest, RouteSpec, StoreTable } from 'canto/module-api';

import type { InviteKind, InviteQuery, InvitesApi } from '../mod_invites/types.js';
import type { ApiKey } from '../mod_invites_api/types.js';
import { inviteJson } from './invite-json.js';
import { NewAccountInvite, NewGroupInvite, NewResetInvite } from './schemas.js';

interface NewAccount { username?: string | null; ttl?: number | null; groups?: string[] | null; roles?: string[] | null; note?: string | null; max_uses?: number | null }
interface NewGroup { ttl?: number; groups: string[] | null; group_options?: { name?: string; create_muc?: boolean }; roles?: string[] | null; note?: string | null; max_uses?: number | null }
interface NewReset { username: string; ttl?: number | null }

/** Tokens are base64url; anything else is not looked up at all. */
const ID = /^[A-Za-z0-9_-]{1,64}$/;
const KINDS: readonly InviteKind[] = ['account', 'group', 'reset', 'contact'];
const MAX_PAGE = 1000;
/** Invites carry their token: no cache (a browser's, a proxy's) may keep a copy. */
const NO_STORE = { 'Cache-Control': 'no-store' };
const inviteReply = (value: unknown) => jsonReply(200, value, NO_STORE);

export interface InviteRoutesContext {
  invites: InvitesApi;
  authenticate(request: HttpRequest): Promise<ApiKey>;
  /** Whether an account exists, when the host can tell (reset invites for no account are refused). */
  userExists?(username: string): Promise<boolean>;
}

const badQuery = (name: string, text: string) => new HttpError(400, 'bad-request', text, { extra: { field: name } });

/** `?type=&valid=&limit=&cursor=`, checked; `paged` when the client asked for pages. */
export function parseListQuery(query: URLSearchParams): { filter: InviteQuery; paged: boolean } {
  const filter: InviteQuery = { valid: true };
  const one = (name: string): string | undefined => {
    const values = query.getAll(name);
    if (values.length > 1) throw badQuery(name, `Parameter '${name}' given more than once`);
    return values[0];
  };
  const type = one('type');
  if (type !== undefined) {
    if (!(KINDS as readonly string[]).includes(type)) throw badQuery('type', `Parameter 'type' must be one of ${KINDS.join(', ')}`);
    filter.kind = type as InviteKind;
  }
  const valid = one('valid');
  if (valid !== undefined) {
    if (valid !== 'true' && valid !== 'false' && valid !== 'any') throw badQuery('valid', "Parameter 'valid' must be true, false or any");
    if (valid === 'any') delete filter.valid;
    else filter.valid = valid === 'true';
  }
  const limit = one('limit');
  const cursor = one('cursor');
  if (limit !== undefined) {
    if (!/^[1-9][0-9]{0,5}$/.test(limit) || Number(limit) > MAX_PAGE) throw badQuery('limit', `Parameter 'limit' must be an integer from 1 to ${MAX_PAGE}`);
    filter.limit = Number(limit);
  }
  if (cursor !== undefined) {
    const after = decodeCursor(cursor);
    if (!after) throw badQuery('cursor', "Parameter 'cursor' is not one this server gave out");
    filter.after = after;
  }
  return { filter, paged: limit !== undefined || cursor !== undefined };
}

/** Opaque to clients: the creation time and token of the last invite of a page. */
export function encodeCursor(created_at: number, token: string): string {
  return Buffer.from(`${created_at}.${token}`).toString('base64url');
}

function decodeCursor(cursor: string): { created_at: number; token: string } | undefined {
  if (!/^[A-Za-z0-9_-]{1,200}$/.test(cursor)) return undefined;
  const m = /^(\d{1,15})\.([A-Za-z0-9_-]{1,64})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  return m ? { created_at: Number(m[1]), token: m[2]! } : undefined;
}

/** 0.12 keeps an invite's roles as a set, which its mod_invites_register copies into the `roles` store as is. */
function roleSet(roles: string[] | null | undefined): StoreTable | undefined {
  return roles && roles.length ? Object.fromEntries(roles.map((r) => [r, true])) : undefined;
}

function extraData(key: ApiKey, options: { groups?: string[] | null; roles?: string[] | null; note?: string | null }): StoreTable {
  // COMPAT: Prosody's source is `user@host/admin_api`; a key has no user, so it is named as mod_invites_api names it.
  const data: StoreTable = { source: `api/token/${key.id}` };
  if (options.groups) data.groups = [...options.groups];
  const roles = roleSet(options.roles);
  if (roles) data.roles = roles;
  if (typeof options.note === 'string') data.note = options.note;
  return data;
}

type Route = RouteSpec<never, ApiKey> | RouteSpec<NewAccount, ApiKey> | RouteSpec<NewGroup, ApiKey> | RouteSpec<NewReset, ApiKey>;

export function inviteRoutes(ctx: InviteRoutesContext): Record<string, Route> {
  const { invites, authenticate } = ctx;
  const found = async (id: string) => {
    const record = ID.test(id) ? await invites.record(id) : undefined;
    if (!record) throw new HttpError(404, 'item-not-found', 'Invite not found');
    return record;
  };
  const username = (name: string): string => {
    const prepared = invites.prepareUsername(name);
    if (prepared === undefined) throw new HttpError(400, 'bad-request', `Invalid username '${name.slice(0, 64)}'`, { extra: { field: 'username' } });
    return prepared;
  };

  const list: RouteSpec<never, ApiKey> = {
    json: true,
    authenticate,
    async handler(request) {
      const { filter, paged } = parseListQuery(request.query);
      const page = await invites.list({ ...filter, ...(filter.limit === undefined ? {} : { limit: filter.limit + 1 }) });
      const more = filter.limit !== undefined && page.length > filter.limit;
      const shown = more ? page.slice(0, filter.limit) : page;
      const items = shown.map(inviteJson);
      if (!paged) return inviteReply(items);
      const last = shown.at(-1);
      return inviteReply({ invites: items, next: more && last ? encodeCursor(last.created_at, last.token) : null });
    },
  };

  const account: RouteSpec<NewAccount, ApiKey> = {
    json: true,
    authenticate,
    body: { schema: NewAccountInvite, maxSize: 64 * 1024 },
    async handler(request) {
      const options = request.json ?? {};
      const user = typeof options.username === 'string' ? username(options.username) : undefined;
      if (user !== undefined && typeof options.max_uses === 'number' && options.max_uses > 1) {
        throw new HttpError(400, 'bad-request', 'An invite for one username can be used only once', { extra: { field: 'max_uses' } });
      }
      const invite = await invites.createAccount(user, extraData(request.auth, options), options.ttl ?? undefined, options.max_uses ?? undefined);
      return inviteReply(inviteJson((await invites.record(invite.token)) ?? { ...invite, kind: 'account', status: 'pending' }));
    },
  };

  const group: RouteSpec<NewGroup, ApiKey> = {
    json: true,
    authenticate,
    body: { schema: NewGroupInvite, maxSize: 64 * 1024, required: true },
    async handler(request) {
      const options = request.json!;
      // As the Lua module: the groups are required (an empty list makes a plain reusable invite).
      if (!options.groups) throw new HttpError(400, 'bad-request', "Field 'groups' is required", { extra: { field: 'groups' } });
      const { groups, ...rest } = options;
      const invite = await invites.createGroup(groups, extraData(request.auth, rest), options.ttl, options.max_uses ?? undefined);
      return inviteReply(inviteJson((await invites.record(invite.token)) ?? { ...invite, kind: 'group', status: 'pending' }));
    },
  };

  const reset: RouteSpec<NewReset, ApiKey> = {
    json: true,
    authenticate,
    body: { schema: NewResetInvite, maxSize: 64 * 1024, required: true },
    async handler(request) {
      const options = request.json!;
      const user = username(options.username);
      if (ctx.userExists && !(await ctx.userExists(user))) throw new HttpError(404, 'item-not-found', 'User not found');
      const invite = await invites.createAccountReset(user, options.ttl ?? undefined);
      return inviteReply(inviteJson((await invites.record(invite.token)) ?? { ...invite, kind: 'reset', status: 'pending' }));
    },
  };

  const one: RouteSpec<never, ApiKey> = {
    json: true,
    authenticate,
    handler: async (request) => inviteReply(inviteJson(await found(request.params.id!))),
  };

  const revoke: RouteSpec<never, ApiKey> = {
    json: true,
    authenticate,
    async handler(request) {
      const id = request.params.id!;
      const revoked = ID.test(id) ? await invites.revoke(id, `api/token/${request.auth.id}`) : undefined;
      if (!revoked) throw new HttpError(404, 'item-not-found', 'Invite not found');
      return 200;
    },
  };

  return {
    'GET /invites': list,
    'GET /invites/{id}': one,
    'DELETE /invites/{id}': revoke,
    'POST /invites/account': account,
    'POST /invites/group': group,
    'POST /invites/reset': reset,
  };
}
