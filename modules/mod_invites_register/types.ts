/**
 * mod_invites_register's public API and the registration events, with their payloads, for
 * module authors:
 *
 * ```ts
 * import type { UserRegisteringEvent } from '../mod_invites_register/types.js';
 * module.hook<UserRegisteringEvent>('user-registering', (event) => {
 *   if (event.username.startsWith('admin')) { event.allowed = false; event.reason = 'That name is reserved.'; }
 * });
 * ```
 */
import type { ValidatedInvite } from '../mod_invites/types.js';
import type { PasswordPolicyApi } from '../mod_password_policy/types.js';

/**
 * Fired (with `fireEventAsync`: a handler may be async) before an account is created or a
 * password reset: set `allowed = false` (and a `reason`, shown to the user on the form or as the
 * JSON API's 403) to refuse; then nothing is created and the invite is not used.
 */
export interface UserRegisteringEvent {
  username: string;
  host: string;
  ip: string;
  validated_invite: ValidatedInvite;
  /** For a password-reset invite: the account whose password is being reset (Prosody's `allow_reset`). */
  allow_reset?: string;
  allowed: boolean;
  reason?: string;
}

/** Fired once the account exists and the invite is consumed. */
export interface UserRegisteredEvent {
  username: string;
  host: string;
  ip: string;
  /** `mod_invites_register_web` or `mod_invites_register_api`. */
  source: string;
  validated_invite: ValidatedInvite;
}

/** Fired once a reset invite has set a new password (Prosody's `user-password-reset`). */
export type UserPasswordResetEvent = UserRegisteredEvent;

export type RegistrationError =
  | 'invalid-token'
  | 'missing-fields'
  | 'invalid-username'
  | 'username-taken'
  | 'wrong-username'
  | 'password-policy'
  | 'invalid-password'
  | 'refused';

export type RegistrationResult =
  | { ok: true; username: string; jid: string; reset: boolean; invite: ValidatedInvite; contactAdded: boolean }
  /** The token names no usable invite (unknown, expired, used up, revoked), or the account to reset is gone. */
  | { ok: false; error: 'invalid-token'; message: string }
  /** Anything else is about the fields: the invite is still valid, and a form can be shown again. */
  | { ok: false; error: Exclude<RegistrationError, 'invalid-token'>; message: string; invite: ValidatedInvite };

export interface RegistrationRequest {
  token: string;
  username: string;
  password: string;
  ip: string;
  /** The module doing it, for `user-registered`'s `source`. */
  source: string;
  /** mod_password_policy, to check the password with (none: only SASLprep applies). */
  policy?: PasswordPolicyApi;
}

/** Something done with a new account's invite before registration answers (roles, groups, contacts). */
export interface InviteApplier {
  name: string;
  /** Returns true when it added a contact to the new account's roster. */
  apply(invite: ValidatedInvite, username: string): Promise<boolean | void>;
}

export interface InvitesRegisterApi {
  /**
   * Turn an invite into an account (or a reset invite into a new password): look the token up
   * first (an unusable one is `invalid-token`, before any field is checked, as Prosody's
   * modules answer 404 before anything else), validate, fire
   * `user-registering`, then create the account and consume the invite so that of two uses of
   * a single-use invite exactly one gets an account; then roles, groups and contacts.
   */
  register(request: RegistrationRequest): Promise<RegistrationResult>;
}

declare module 'canto/module-api' {
  interface ModuleApis {
    invites_register: InvitesRegisterApi;
  }
}
