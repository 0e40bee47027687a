/**
 * The invites themselves: create, validate, consume, list and purge, over the `invite_token`
 * map store in Prosody 0.12's layout (modules/mod_invites.lua), so either server reads the
 * other's invites. Account invites live host-wide, keyed by token; a contact invite also puts
 * `token -> expires` under the inviter's username.
 */
import { isStoreTable, KEEP, randomId, REMOVE, sortedStream } from 'canto/module-api';
import type { MapStore, Removal, StoreTable, StoreValue } from 'canto/module-api';
import type { Invite, InviteExpiredEvent, InviteKind, InviteLookup, InviteRecord, InvitesApi, InviteUse, InviteUsedEvent, InviteRevokedEvent, ValidatedInvite } from './types.js';
import { jidNode, nodeprep } from './username.js';

export interface InvitesContext {
  host: string;
  store: MapStore<StoreValue>;
  /** `invite_expiry`, in seconds. */
  defaultTtl: number;
  /** Unix seconds. */
  now(): number;
  /** Fires `invite-created`; listeners may add fields (`landing_page`) before the invite is stored. */
  announce(invite: Invite): Promise<void>;
  /** Canto's `invite_archive`: revoked and used-up invites by token (host-level), which Prosody never reads. */
  archive: MapStore<StoreValue>;
  /** Canto's `invite_used`: per account, the invites it used, by token. */
  uses: MapStore<StoreValue>;
  /** Fires `invite-used`, `invite-revoked` and `invite-expired` once the change is stored. */
  notify(event: 'invite-used', data: InviteUsedEvent): void;
  notify(event: 'invite-revoked', data: InviteRevokedEvent): void;
  notify(event: 'invite-expired', data: InviteExpiredEvent): void;
  /** Told once an invite is stored, and once one is used (for the module's metrics). */
  counted?: { created(invite: Invite): void; used(invite: Invite): void };
}

/** Archived records stay this long past their expiry, so an old link still says what became of it. */
const ARCHIVE_KEPT = 30 * 86400;

export function kindOf(invite: Invite): InviteKind {
  const data = invite.additional_data ?? {};
  if (invite.type === 'roster') return 'contact';
  if (typeof data.allow_reset === 'string') return 'reset';
  // Only a group invite with a ttl is reusable without a use limit (Prosody's create_group); one
  // with max_uses is reusable because of the limit, and stays an account invite. Storage cannot
  // tell a single-use group invite from an account invite that adds to groups: both are 'group'.
  if (invite.reusable === true && invite.max_uses === undefined) return 'group';
  if (Array.isArray(data.groups) && data.groups.length > 0) return 'group';
  return 'account';
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

function withStatus(invite: Invite, now: number): InviteRecord {
  return { ...invite, kind: kindOf(invite), status: now > invite.expires ? 'expired' : 'pending' };
}

function fromArchive(token: string, value: StoreValue | undefined): InviteRecord | undefined {
  const invite = asInvite(token, value);
  if (!invite || !isStoreTable(value)) return undefined;
  const record: InviteRecord = { ...invite, kind: kindOf(invite), status: typeof value.revoked_at === 'number' ? 'revoked' : 'used' };
  if (Array.isArray(value.used_by)) record.used_by = value.used_by.filter((u): u is string => typeof u === 'string');
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
    uses: typeof invite.uses === 'number' ? invite.uses : 0,
  };
  if (typeof invite.max_uses === 'number') validated.max_uses = invite.max_uses;
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
    maxUses?: number,
  ): Promise<Invite> {
    if (ttl !== undefined && !(Number.isFinite(ttl) && ttl >= 0)) throw new RangeError(`Invalid invite ttl ${ttl}`);
    if (maxUses !== undefined && !(Number.isInteger(maxUses) && maxUses >= 1)) throw new RangeError(`Invalid max_uses ${maxUses}`);
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
    if (maxUses !== undefined) {
      invite.max_uses = maxUses;
      reusable = maxUses > 1;
    }
    if (reusable) invite.reusable = true;
    await ctx.announce(invite);
    if (allowRegistration) await store.set(null, token, toRecord(invite));
    const inviter = action === 'roster' ? jidNode(jid) : undefined;
    if (inviter !== undefined) await store.set(inviter, token, expires);
    ctx.counted?.created(invite);
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

  /**
   * Invites taken out of `invite_token` whose archive record is still being written: a use
   * that finds nothing waits for it, so it can say "used" rather than "invalid".
   */
  const archiving = new Map<string, Promise<void>>();

  /** Called inside the update that removes the invite; the record follows once that is stored. */
  function willArchive(token: string): (invite: Invite, extra: StoreTable) => Promise<void> {
    let done!: () => void;
    archiving.set(token, new Promise<void>((resolve) => (done = resolve)));
    return async (invite, extra) => {
      try {
        await ctx.archive.set(null, invite.token, { ...toRecord(invite), ...extra });
      } finally {
        archiving.delete(token);
        done();
      }
    };
  }

  async function remember(username: string, invite: Invite, now: number): Promise<void> {
    const use: StoreTable = { kind: kindOf(invite), used_at: now };
    if (typeof invite.additional_data?.source === 'string') use.source = invite.additional_data.source;
    await ctx.uses.set(username, invite.token, use);
  }

  /** Why a token that is not in `invite_token` fails: Canto may remember it. */
  async function archivedReason(token: string): Promise<InviteLookup> {
    await archiving.get(token);
    const record = fromArchive(token, await ctx.archive.get(null, token));
    if (!record) return { ok: false, reason: 'token-invalid' };
    return { ok: false, reason: record.status === 'revoked' ? 'token-revoked' : 'token-used' };
  }

  const api: InvitesApi = {
    createAccount: async (username, additionalData, ttl, maxUses) =>
      create('register', username === undefined ? host : `${preparedOrThrow(username)}@${host}`, true, additionalData, ttl, false, username === undefined ? maxUses : undefined),

    async createAccountReset(username, ttl = 86400) {
      const node = preparedOrThrow(username);
      return create('register', `${node}@${host}`, true, { allow_reset: node }, ttl);
    },

    createContact: async (username, allowRegistration, additionalData, ttl) =>
      create('roster', `${preparedOrThrow(username)}@${host}`, allowRegistration, additionalData, ttl),

    createGroup: (groupIds, additionalData, ttl, maxUses) =>
      create('register', host, true, { groups: [...groupIds], ...additionalData }, ttl, ttl !== undefined, maxUses),

    async get(token, username) {
      if (!token) return { ok: false, reason: 'no-token' };
      const invite = await lookup(token);
      if (!invite && TOKEN_SHAPE.test(token)) return archivedReason(token);
      return validate(invite, username, ctx.now());
    },

    async use(token, username) {
      if (!token) return { ok: false, reason: 'no-token' };
      if (!TOKEN_SHAPE.test(token)) return { ok: false, reason: 'token-invalid' };
      const now = ctx.now();
      const user = username === undefined ? undefined : nodeprep(username) ?? username;
      const seen: { result: InviteLookup; used?: Invite; archive?: ReturnType<typeof willArchive> } = { result: { ok: false, reason: 'token-invalid' } };
      // Check, count and (for the last use) delete in one atomic update: of two concurrent uses
      // of a single-use invite one sees nothing, and a reusable one never passes max_uses.
      await store.update(null, token, (current) => {
        const invite = asInvite(token, current);
        seen.result = validate(invite, username, now);
        if (!seen.result.ok || !invite) return KEEP;
        const used: Invite = { ...invite, uses: (invite.uses ?? 0) + 1 };
        if (user !== undefined) used.used_by = [...(invite.used_by ?? []), user];
        seen.used = used;
        const spent = invite.reusable !== true || (invite.max_uses !== undefined && used.uses! >= invite.max_uses);
        if (spent) seen.archive = willArchive(token);
        return spent ? undefined : toRecord(used);
      });
      if (!seen.result.ok) return seen.result.reason === 'token-invalid' ? archivedReason(token) : seen.result;
      const used = seen.used!;
      if (seen.archive) {
        await seen.archive(used, { used_at: now });
        await forgetContact(used);
      }
      if (user !== undefined) await remember(user, used, now);
      const event: InviteUsedEvent = { invite: toValidated(used), uses: used.uses! };
      if (user !== undefined) event.username = user;
      ctx.notify('invite-used', event);
      ctx.counted?.used(used);
      return seen.result;
    },

    info: lookup,

    async record(token) {
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const live = await lookup(token);
      if (live) return withStatus(live, ctx.now());
      return fromArchive(token, await ctx.archive.get(null, token));
    },

    async list(query = {}) {
      const chosen: InviteRecord[] = [];
      if (query.limit === 0) return chosen;
      for await (const record of api.records(query)) {
        chosen.push(record);
        if (chosen.length === query.limit) break;
      }
      return chosen;
    },

    records(query = {}) {
      const now = ctx.now();
      const after = query.after;
      const wanted = (r: InviteRecord) =>
        (query.valid === undefined || (r.status === 'pending') === query.valid) &&
        (query.kind === undefined || r.kind === query.kind) &&
        (!after || r.created_at > after.created_at || (r.created_at === after.created_at && r.token > after.token));
      async function* chosen(): AsyncGenerator<InviteRecord> {
        for await (const [token, value] of store.entries(null)) {
          const invite = asInvite(token, value);
          const record = invite && withStatus(invite, now);
          if (record && wanted(record)) yield record;
        }
        if (query.valid === true) return;
        for await (const [token, value] of ctx.archive.entries(null)) {
          const record = fromArchive(token, value);
          if (record && wanted(record)) yield record;
        }
      }
      return sortedStream(chosen(), (a, b) => a.created_at - b.created_at || (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
    },

    async revoke(token, by) {
      if (!TOKEN_SHAPE.test(token)) return undefined;
      const now = ctx.now();
      const seen: { invite?: Invite; archive?: ReturnType<typeof willArchive> } = {};
      await store.update(null, token, (current) => {
        const invite = asInvite(token, current);
        if (!invite) return KEEP;
        seen.invite = invite;
        seen.archive = willArchive(token);
        return undefined;
      });
      const invite = seen.invite;
      if (!invite) return undefined;
      await seen.archive!(invite, { revoked_at: now, revoked_by: by });
      await forgetContact(invite);
      const record: InviteRecord = { ...invite, kind: kindOf(invite), status: 'revoked', revoked_at: now, revoked_by: by };
      ctx.notify('invite-revoked', { invite: record, revoked_at: now, revoked_by: by });
      return record;
    },

    delete: async (token) => (await api.revoke(token, 'ctl')) !== undefined,

    async usedBy(username) {
      const node = nodeprep(username);
      if (node === undefined) return [];
      const uses: InviteUse[] = [];
      for await (const [token, value] of ctx.uses.entries(node)) {
        if (!isStoreTable(value) || typeof value.used_at !== 'number') continue;
        const use: InviteUse = { token, kind: (value.kind as InviteKind | undefined) ?? 'account', used_at: value.used_at };
        if (typeof value.source === 'string') use.source = value.source;
        uses.push(use);
      }
      return uses.sort((a, b) => a.used_at - b.used_at);
    },

    prepareUsername: nodeprep,

    pending() {
      const now = ctx.now();
      async function* live(): AsyncGenerator<Invite> {
        for await (const [token, value] of store.entries(null)) {
          const invite = asInvite(token, value);
          if (invite && invite.expires >= now) yield invite;
        }
      }
      return sortedStream(live(), (a, b) => a.created_at - b.created_at || (a.token < b.token ? -1 : a.token > b.token ? 1 : 0));
    },

    async purgeExpired() {
      const now = ctx.now();
      const removals = new Map<string | null, Record<string, Removal>>();
      const expired = new Map<string, InviteExpiredEvent>();
      const remove = (user: string | null, token: string) => {
        const changes = removals.get(user) ?? {};
        changes[token] = REMOVE;
        removals.set(user, changes);
      };
      for await (const [token, value] of store.entries(null)) {
        const invite = asInvite(token, value);
        if (!invite || now <= invite.expires) continue;
        remove(null, token);
        expired.set(token, { token, expires: invite.expires, invite });
        const inviter = invite.type === 'roster' ? jidNode(invite.jid) : undefined;
        if (inviter !== undefined) remove(inviter, token);
      }
      // Contact invites without registration exist only under the inviter.
      for (const user of await store.users()) {
        for await (const [token, expires] of store.entries(user)) {
          if (typeof expires !== 'number' || now <= expires) continue;
          remove(user, token);
          if (!expired.has(token)) expired.set(token, { token, expires });
        }
      }
      const tokens = new Set<string>();
      for (const [user, changes] of removals) {
        await store.setKeys(user, changes);
        for (const token of Object.keys(changes)) tokens.add(token);
      }
      for (const event of expired.values()) ctx.notify('invite-expired', event);
      const old: Record<string, Removal> = {};
      for await (const [token, value] of ctx.archive.entries(null)) {
        if (!isStoreTable(value) || !(typeof value.expires === 'number' && now <= value.expires + ARCHIVE_KEPT)) old[token] = REMOVE;
      }
      if (Object.keys(old).length) await ctx.archive.setKeys(null, old);
      return tokens.size;
    },
  };
  return api;
}
