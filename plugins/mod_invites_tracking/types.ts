/**
 * What mod_invites_tracking stores and reads. The store and record are prosody-modules'
 * mod_invites_tracking: keyval store `invites_tracking`, one record per account, so the
 * real Prosody and Canto read each other's records.
 */

/** `invites_tracking[username]`: the invite an account was made with. */
export interface TrackingRecord {
  /** The invite's token. */
  invite_id: string;
  /** Who asked for the invite (`additional_data.source`, e.g. `api/token/<key id>`), when known. */
  invite_source?: string;
}

/** The part of Prosody's `user-registered` event this module reads. */
export interface UserRegistered {
  username: string;
  validated_invite?: { token: string; additional_data?: { [key: string]: unknown } };
}

/** One account and the invite it used. */
export interface TrackedAccount {
  username: string;
  invite_id: string;
  invite_source?: string;
}

export interface InvitesTrackingApi {
  /** The invite `username` registered with, if it is recorded. */
  forUser(username: string): Promise<TrackedAccount | undefined>;
  /** The accounts made with `token` (more than one for a reusable group invite), by name. */
  forToken(token: string): Promise<TrackedAccount[]>;
}

declare module 'canto/module-api' {
  interface ModuleApis {
    invites_tracking: InvitesTrackingApi;
  }
}
