/**
 * /admin_api/users: list, look up and delete accounts, as mod_http_admin_api's list_users,
 * get_user_by_name and delete_user on Prosody 0.12 (`roles` is 0.12's list). display_name is the
 * user's XEP-0172 nick as mod_pep keeps it, read from the same stores. Deleting removes what
 * prosodyctl deluser removes: the account and every store's data of that user (PEP nodes and
 * items too). Canto adds the invite the account was created with.
 */
import { childText, HttpError, isStoreTable, jsonReply, nodeprep } from 'canto/module-api';
import type { Accounts, ArchiveStore, HttpRequest, KeyvalStore, RouteSpec } from 'canto/module-api';
import type { InvitesApi } from '../mod_invites/types.js';
import type { ApiKey } from '../mod_invites_api/types.js';
import { roleList } from './invite-json.js';

export interface UserRoutesContext {
  accounts: Accounts;
  invites: InvitesApi;
  /** Prosody 0.12's `roles` store (per user, a set of role names). */
  roles: KeyvalStore;
  /** mod_pep's `pep` store: per user, node name -> node (its config among it). */
  pep: KeyvalStore;
  /** mod_pep's item archive of the nick node, `pep_http://jabber.org/protocol/nick`. */
  nicks: ArchiveStore;
  /** JIDs in the `admins` option: they have prosody:admin, as in 0.12. */
  admins: Set<string>;
  host: string;
  authenticate(request: HttpRequest): Promise<ApiKey>;
}

export const NICK_NODE = 'http://jabber.org/protocol/nick';

interface UserJson {
  username: string;
  display_name?: string;
  roles: string[];
  invite?: { id: string; used_at: number; source?: string; kind: string };
}

export function userRoutes(ctx: UserRoutesContext): Record<string, RouteSpec<never, ApiKey>> {
  const { accounts, invites, authenticate } = ctx;

  /**
   * As the Lua module: the nick node's last item (pep_service:get_last_item as superuser), and
   * in it the text of <nick xmlns='http://jabber.org/protocol/nick'>. util.pubsub answers only
   * for a node that exists, and has items only when it persists them (the default in mod_pep).
   */
  async function displayName(username: string): Promise<string | undefined> {
    const node = (await ctx.pep.get(username))?.[NICK_NODE];
    if (node === undefined) return undefined;
    if (isStoreTable(node) && isStoreTable(node.config) && node.config.persist_items === false) return undefined;
    const item = await ctx.nicks.latest(username);
    return item && childText({ name: 'item', attr: {}, children: [item.value] }, 'nick', NICK_NODE);
  }

  async function info(username: string): Promise<UserJson> {
    const stored = roleList(await ctx.roles.get(username)) ?? [];
    const roles = ctx.admins.has(`${username}@${ctx.host}`) && !stored.includes('prosody:admin') ? ['prosody:admin', ...stored] : stored;
    const nick = await displayName(username);
    const user: UserJson = { username, ...(nick === undefined ? {} : { display_name: nick }), roles };
    // The invite that made the account: its first use that was not a password reset.
    const created = (await invites.usedBy(username)).find((use) => use.kind !== 'reset');
    if (created) {
      user.invite = { id: created.token, used_at: created.used_at, kind: created.kind };
      if (created.source !== undefined) user.invite.source = created.source;
    }
    return user;
  }

  /** The account named by the path, prepared; 400 for a name that cannot be one, 404 for none. */
  async function existing(name: string): Promise<string> {
    const username = nodeprep(name);
    if (username === undefined) throw new HttpError(400, 'bad-request', 'Invalid username', { extra: { field: 'username' } });
    if (!(await accounts.exists(username))) throw new HttpError(404, 'item-not-found', 'User not found');
    return username;
  }

  return {
    'GET /users': {
      json: true,
      authenticate,
      async handler() {
        const names = (await accounts.users()).sort();
        return jsonReply(200, await Promise.all(names.map(info)));
      },
    },
    'GET /users/{username}': {
      json: true,
      authenticate,
      handler: async (request) => jsonReply(200, await info(await existing(request.params.username!))),
    },
    'DELETE /users/{username}': {
      json: true,
      authenticate,
      async handler(request) {
        const username = await existing(request.params.username!);
        if (!(await accounts.delete(username))) throw new HttpError(404, 'item-not-found', 'User not found');
        return 200;
      },
    },
  };
}
