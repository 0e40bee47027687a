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
  /** Only group invites with an explicit ttl. */
  reusable?: boolean;
  /** Set by a landing-page module in its `invite-created` handler. */
  landing_page?: string;
}

/** Why `get`/`use` refused a token (Prosody's reasons, plus `wrong-username`). */
export type InviteInvalidReason = 'no-token' | 'token-invalid' | 'token-expired' | 'wrong-username';

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
}

export type InviteLookup =
  | { ok: true; invite: ValidatedInvite }
  | { ok: false; reason: InviteInvalidReason };

export interface InvitesApi {
  /** An account invite; bound to `username` when given. `ttl` in seconds, default `invite_expiry`. */
  createAccount(username?: string, additionalData?: StoreTable, ttl?: number): Promise<Invite>;
  /** A password-reset invite for `username` (default ttl one day). */
  createAccountReset(username: string, ttl?: number): Promise<Invite>;
  /** A contact invite from `username`; with `allowRegistration` the invitee may also create an account. */
  createContact(username: string, allowRegistration: boolean, additionalData?: StoreTable, ttl?: number): Promise<Invite>;
  /** A group invite; reusable until it expires when a `ttl` is given (as Prosody). */
  createGroup(groupIds: string[], additionalData?: StoreTable, ttl?: number): Promise<Invite>;
  /**
   * Validate a token. `username`, when given, is the account about to be registered: a
   * username-bound invite refuses any other name with `wrong-username`.
   */
  get(token: string | null | undefined, username?: string): Promise<InviteLookup>;
  /** Validate and consume a token in one atomic step: two concurrent uses cannot both succeed. */
  use(token: string | null | undefined, username?: string): Promise<InviteLookup>;
  /** The stored record, valid or expired (for `ctl mod_invites show`); `undefined` when there is none. */
  info(token: string): Promise<Invite | undefined>;
  /** Delete an invite; false when there was none. */
  delete(token: string): Promise<boolean>;
  /** Invites that have not expired, oldest first. */
  pending(): Promise<Invite[]>;
  /** Remove expired invites (and their per-user contact entries); returns how many. */
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
