/**
 * The invites themselves: create, validate, consume, list and purge, over the `invite_token`
 * map store in Prosody 0.12's layout (modules/mod_invites.lua), so either server reads the
 * other's invites. Account invites live host-wide, keyed by token; a contact invite also puts
 * `token -> expires` under the inviter's username.
 */
import { isStoreTable, KEEP, randomId, REMOVE } from 'canto/module-api';
import type { MapStore, Removal, StoreTable, StoreValue } from 'canto/module-api';
import type { Invite, InviteLookup, InvitesApi, ValidatedInvite } from './types.js';
import { jidNode, nodeprep } from './username.js';

export interface InvitesContext {
  host: string;
  store: MapStore<StoreValue>;
  /** `invite_expiry`, in seconds. */
  defaultTtl: number;
  /** Unix seconds. */
  now(): number;
  /** Fires `invite-created`; listeners may add fields (`landing_page`) before the invite is stored. */
  announce(invite: Invite): void;
}

/** Tokens are base64url; anything else cannot be one, and never reaches the store. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{1,64}$/;

/** A stored record as an Invite, or `undefined` when it is not one (missing, or malformed). */
function asInvite(token: string, value: StoreValue | undefined): Invite | undefined {
  if (!isStoreTable(value) || typeof value.expires !== 'number' || typeof value.jid !== 'string') return undefined;
  return { ...(value as unknown as Invite), token, type: value.type === 'register' ? 'register' : 'roster' };
}

/** Drops undefined fields: the store takes only Lua-representable values. */
function toRecord(invite: Invite): StoreTable {
  const record: StoreTable = {};
  for (const [key, value] of Object.entries(invite)) {
    if (value !== undefined && value !== null && typeof value !== 'function') record[key] = value as StoreValue;
  }
  return record;
}

function toValidated(invite: Invite): ValidatedInvite {
  const node = jidNode(invite.jid);
  const reset = invite.additional_data?.allow_reset;
  const validated: ValidatedInvite = {
    token: invite.token,
    type: invite.type,
    uri: invite.uri,
    reusable: invite.reusable === true,
    created_at: invite.created_at,
    expires: invite.expires,
  };
  if (invite.type === 'roster' && node !== undefined) validated.inviter = node;
  if (invite.type === 'register' && typeof reset === 'string') validated.reset = reset;
  else if (invite.type === 'register' && node !== undefined) validated.username = node;
  if (typeof invite.landing_page === 'string') validated.landing_page = invite.landing_page;
  if (invite.additional_data) validated.additional_data = invite.additional_data;
  return validated;
}

/**
 * Prosody's rules, plus the username binding Prosody stores but never checks.
 * COMPAT: valid up to and including the `expires` second everywhere (Prosody's pending list
 * uses `expires > now` but its get uses `now > expires`).
 */
function validate(invite: Invite | undefined, username: string | undefined, now: number): InviteLookup {
  if (!invite) return { ok: false, reason: 'token-invalid' };
  if (now > invite.expires) return { ok: false, reason: 'token-expired' };
  const bound = invite.type === 'register' ? jidNode(invite.jid) : undefined;
  // COMPAT: Prosody stores `user@host` for a username-bound invite but lets any name register with it.
  if (username !== undefined && bound !== undefined && nodeprep(username) !== nodeprep(bound)) {
    return { ok: false, reason: 'wrong-username' };
  }
  return { ok: true, invite: toValidated(invite) };
}

function preparedOrThrow(username: string): string {
  const node = nodeprep(username);
  if (node === undefined) throw new TypeError(`Invalid username '${username}'`);
  return node;
}

export function createInvites(ctx: InvitesContext): InvitesApi {
  const { host, store } = ctx;

  async function create(
    action: 'register' | 'roster',
    jid: string,
    allowRegistration: boolean,
    additionalData: StoreTable | undefined,
    ttl: number | undefined,
    reusable = false,
  ): Promise<Invite> {
    if (ttl !== undefined && !(Number.isFinite(ttl) && ttl >= 0)) throw new RangeError(`Invalid invite ttl ${ttl}`);
    const token = randomId(18);
    const created_at = ctx.now();
    const expires = created_at + Math.round(ttl ?? ctx.defaultTtl);
    const ibr = action === 'roster' && allowRegistration ? ';ibr=y' : '';
    const invite: Invite = {
      type: action,
      jid,
      token,
      allow_registration: allowRegistration,
      uri: `xmpp:${jid}?${action};preauth=${token}${ibr}`,
      created_at,
      expires,
    };
    if (additionalData) invite.additional_data = additionalData;
    if (reusable) invite.reusable = true;
    ctx.announce(invite);
    if (allowRegistration) await store.set(null, token, toRecord(invite));
    const inviter = action === 'roster' ? jidNode(jid) : undefined;
    if (inviter !== undefined) await store.set(inviter, token, expires);
    return invite;
  }

  async function lookup(token: string): Promise<Invite | undefined> {
    return TOKEN_SHAPE.test(token) ? asInvite(token, await store.get(null, token)) : undefined;
  }

  /** Removes the inviter's entry of a contact invite, once the host entry is gone. */
  async function forgetContact(invite: Invite | undefined): Promise<void> {
    const inviter = invite?.type === 'roster' ? jidNode(invite.jid) : undefined;
    if (inviter !== undefined) await store.set(inviter, invite!.token, undefined);
  }

  return {
    createAccount: async (username, additionalData, ttl) =>
      create('register', username === undefined ? host : `${preparedOrThrow(username)}@${host}`, true, additionalData, ttl),

    async createAccountReset(username, ttl = 86400) {
      const node = preparedOrThrow(username);
      return create('register', `${node}@${host}`, true, { allow_reset: node }, ttl);
    },

    createContact: async (username, allowRegistration, additionalData, ttl) =>
      create('roster', `${preparedOrThrow(username)}@${host}`, allowRegistration, additionalData, ttl),

    createGroup: (groupIds, additionalData, ttl) =>
      create('register', host, true, { groups: [...groupIds], ...additionalData }, ttl, ttl !== undefined),

    async get(token, username) {
      if (!token) return { ok: false, reason: 'no-token' };
      return validate(await lookup(token), username, ctx.now());
    },

    async use(token, username) {
      if (!token) return { ok: false, reason: 'no-token' };
      if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: 'token-invalid' };
      const seen: { result: InviteLookup; invite?: Invite } = { result: { ok: false, reason: 'token-invalid' } };
      // The check and the delete are one atomic update: of two concurrent uses, one sees nothing.
      await store.update(null, token, (current) => {
        const invite = asInvite(token, current);
        seen.result = validate(invite, username, ctx.now());
        if (invite) seen.invite = invite;
        return !seen.result.ok || invite?.reusable === true ? KEEP : undefined;
      });
      if (seen.result.ok && !seen.result.invite.reusable) await forgetContact(seen.invite);
      return seen.result;
    },

    info: lookup,

    async delete(token) {
      if (!TOKEN_SHAPE.test(token)) return false;
      const seen: { found: boolean; invite?: Invite } = { found: false };
      await store.update(null, token, (current) => {
        seen.found = current !== undefined;
        const invite = asInvite(token, current);
        if (invite) seen.invite = invite;
        return current === undefined ? KEEP : undefined;
      });
      await forgetContact(seen.invite);
      return seen.found;
    },

    async pending() {
      const now = ctx.now();
      const invites: Invite[] = [];
      for (const [token, value] of await store.getAll(null)) {
        const invite = asInvite(token, value);
        if (invite && invite.expires >= now) invites.push(invite);
      }
      return invites.sort((a, b) => a.created_at - b.created_at || (a.token < b.token ? -1 : 1));
    },

    async purgeExpired() {
      const now = ctx.now();
      const removals = new Map<string | null, Record<string, Removal>>();
      const remove = (user: string | null, token: string) => {
        const changes = removals.get(user) ?? {};
        changes[token] = REMOVE;
        removals.set(user, changes);
      };
      for (const [token, value] of await store.getAll(null)) {
        const invite = asInvite(token, value);
        if (!invite || now <= invite.expires) continue;
        remove(null, token);
        const inviter = invite.type === 'roster' ? jidNode(invite.jid) : undefined;
        if (inviter !== undefined) remove(inviter, token);
      }
      // Contact invites without registration exist only under the inviter.
      for (const user of await store.users()) {
        for (const [token, expires] of await store.getAll(user)) {
          if (typeof expires === 'number' && now > expires) remove(user, token);
        }
      }
      const tokens = new Set<string>();
      for (const [user, changes] of removals) {
        await store.setKeys(user, changes);
        for (const token of Object.keys(changes)) tokens.add(token);
      }
      return tokens.size;
    },
  };
}
