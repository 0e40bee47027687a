/**
 * mod_invites' public API, as other modules get it from `await module.depends('invites')`.
 * Records keep Prosody 0.12's field names, so the real Prosody reads what Canto writes.
 */
import type { StoreTable } from 'canto/module-api';

/** An invite as stored in the `invite_token` map (host-level, keyed by token). */
export interface Invite {
  type: 'register' | 'roster';
  /** `host` for an account invite, `user@host` for a username-bound or contact invite. */
  jid: string;
  token: string;
  allow_registration: boolean;
  additional_data?: StoreTable;
  /** `xmpp:` URI with `preauth=TOKEN` (and `;ibr=y` for contact invites that allow registration). */
  uri: string;
  /** Unix seconds. */
  created_at: number;
  /** Unix seconds; the invite is valid up to and including this second. */
  expires: number;
  /** Group invites with an explicit ttl, and invites with `max_uses` above 1. */
  reusable?: boolean;
  /** Set by a landing-page module in its `invite-created` handler. */
  landing_page?: string;
  /**
   * Canto: how many accounts a reusable invite may create. Prosody ignores the field (and its
   * own registrations do not count), so only uses through Canto are limited.
   */
  max_uses?: number;
  /** Canto: how often it was used so far. */
  uses?: number;
  /** Canto: the usernames that used it, oldest first. */
  used_by?: string[];
}

/** What an invite is for: `account` (open or username-bound), `group`, `reset` or `contact`. */
export type InviteKind = 'account' | 'group' | 'reset' | 'contact';

/** `pending` can be used; the others say why not. */
export type InviteStatus = 'pending' | 'expired' | 'revoked' | 'used';

/**
 * An invite with what became of it: pending ones from `invite_token`, revoked and used-up ones
 * from Canto's `invite_archive` (which Prosody does not read, so it cannot accept them).
 */
export interface InviteRecord extends Invite {
  kind: InviteKind;
  status: InviteStatus;
  /** Unix seconds of the last use. */
  used_at?: number;
  revoked_at?: number;
  /** Who revoked it: `ctl`, `api/token/KEY_ID`. */
  revoked_by?: string;
}

/** Which invite an account used (`invite_used` store, per user, by token). */
export interface InviteUse {
  token: string;
  kind: InviteKind;
  used_at: number;
  source?: string;
}

/** `invite-used`: fired after a use succeeded (the invite consumed, or its count raised). */
export interface InviteUsedEvent {
  invite: ValidatedInvite;
  /** The account that used it, when the caller said. */
  username?: string;
  /** Uses so far, this one included. */
  uses: number;
}

/** `invite-revoked`: fired after an invite was revoked and its record archived. */
export interface InviteRevokedEvent {
  invite: InviteRecord;
  revoked_at: number;
  revoked_by: string;
}

/** `invite-expired`: fired after the purge removed an invite that expired unused. */
export interface InviteExpiredEvent {
  token: string;
  /** Unix seconds. */
  expires: number;
  /** The stored record; absent for a contact invite that lived only under its inviter. */
  invite?: Invite;
}

/** Prosody's `user-registered`, as a registration module fires it once the account exists. */
export interface UserRegisteredEvent {
  username: string;
  host: string;
  /** The invite the account was made with (Prosody's `validated_invite`), when there was one. */
  validated_invite?: ValidatedInvite;
  /** Where the registration came from, e.g. `"invite"`. */
  source?: string;
}

/**
 * The invite events on a host's bus (`module.hook(name, handler)`) and their payloads:
 * `invite-created` fires before the invite is stored (a handler may add `landing_page`); the
 * others once the store has the change. They fire in the process that made the change: a
 * `npx ctl` command is a process of its own.
 */
export interface InviteEvents {
  'invite-created': Invite;
  'invite-used': InviteUsedEvent;
  'invite-revoked': InviteRevokedEvent;
  'invite-expired': InviteExpiredEvent;
  'user-registered': UserRegisteredEvent;
}

/** Filters and paging for `list`. */
export interface InviteQuery {
  kind?: InviteKind;
  /** true: pending only; false: expired, revoked and used only; absent: both. */
  valid?: boolean;
  /** Start after this invite (the last of the previous page). */
  after?: { created_at: number; token: string };
  limit?: number;
}

/**
 * Why `get`/`use` refused a token: Prosody's reasons, plus `wrong-username`, and
 * `token-revoked` / `token-used` for invites Canto keeps a record of (Prosody says `token-invalid`).
 */
export type InviteInvalidReason = 'no-token' | 'token-invalid' | 'token-expired' | 'token-revoked' | 'token-used' | 'wrong-username';

/** A valid invite as `get` returns it. */
export interface ValidatedInvite {
  token: string;
  type: 'register' | 'roster';
  /** For contact invites: the inviter's username. */
  inviter?: string;
  /** For username-bound account invites: the only username it may register. */
  username?: string;
  /** For password-reset invites: the account whose password may be reset. */
  reset?: string;
  uri: string;
  landing_page?: string;
  additional_data?: StoreTable;
  reusable: boolean;
  created_at: number;
  expires: number;
  max_uses?: number;
  uses: number;
}

export type InviteLookup =
  | { ok: true; invite: ValidatedInvite }
  | { ok: false; reason: InviteInvalidReason };

export interface InvitesApi {
  /**
   * An account invite; bound to `username` when given. `ttl` in seconds, default `invite_expiry`.
   * `maxUses` above 1 makes an open invite reusable that many times.
   */
  createAccount(username?: string, additionalData?: StoreTable, ttl?: number, maxUses?: number): Promise<Invite>;
  /** A password-reset invite for `username` (default ttl one day). */
  createAccountReset(username: string, ttl?: number): Promise<Invite>;
  /** A contact invite from `username`; with `allowRegistration` the invitee may also create an account. */
  createContact(username: string, allowRegistration: boolean, additionalData?: StoreTable, ttl?: number): Promise<Invite>;
  /** A group invite; reusable until it expires when a `ttl` is given (as Prosody), or `maxUses` times. */
  createGroup(groupIds: string[], additionalData?: StoreTable, ttl?: number, maxUses?: number): Promise<Invite>;
  /**
   * Validate a token. `username`, when given, is the account about to be registered: a
   * username-bound invite refuses any other name with `wrong-username`.
   */
  get(token: string | null | undefined, username?: string): Promise<InviteLookup>;
  /**
   * Validate and consume a token in one atomic step: two concurrent uses cannot both succeed,
   * and a reusable invite is never used more than `max_uses` times. With `username`, the use is
   * recorded on the invite and on the account; `invite-used` fires.
   */
  use(token: string | null | undefined, username?: string): Promise<InviteLookup>;
  /** The stored record, valid or expired (for `ctl mod_invites show`); `undefined` when there is none. */
  info(token: string): Promise<Invite | undefined>;
  /** Any invite Canto knows of, pending, expired, revoked or used up, with its status. */
  record(token: string): Promise<InviteRecord | undefined>;
  /** Invites by creation (oldest first), filtered and paged. */
  list(query?: InviteQuery): Promise<InviteRecord[]>;
  /** The same records as `list`, streamed in bounded memory (sorted in runs on disk), for a listing of any size. */
  records(query?: InviteQuery): AsyncIterable<InviteRecord>;
  /**
   * Revoke a pending invite: it stops working at once (for Prosody too) and its record is kept
   * with `revoked_at` and `revoked_by`; `invite-revoked` fires. `undefined` when none was pending.
   */
  revoke(token: string, by: string): Promise<InviteRecord | undefined>;
  /** Revoke (as `ctl`); false when there was no pending invite. */
  delete(token: string): Promise<boolean>;
  /** The invites an account used, oldest first. */
  usedBy(username: string): Promise<InviteUse[]>;
  /** The prepared form of a username (nodeprep), or `undefined` when it is not a valid one. */
  prepareUsername(username: string): string | undefined;
  /**
   * Invites that have not expired, oldest first (by `created_at`, then token), streamed: a store
   * of any size is read a page at a time and sorted in runs on disk, never held whole.
   */
  pending(): AsyncIterable<Invite>;
  /** Remove expired invites (and their per-user contact entries), and archived records a month past their expiry; returns how many invites. */
  purgeExpired(): Promise<number>;
}

declare module 'canto/module-api' {
  interface ModuleApis {
    invites: InvitesApi;
  }
}

/** mod_invites' own options (`invite_expiry` is read as a period with `getOptionPeriod`). */
export interface InvitesOptions {
  /** The landing-page module whose URL `ctl mod_invites generate` prints when it is enabled. */
  invites_page_module: string;
  /** Lifetime of new invites in seconds; the config may say `604800` or `"1 week"`. */
  invite_expiry: number;
}
