/**
 * mod_invites_tracking: records which account used which invite, as prosody-modules'
 * mod_invites_tracking does (keyval store `invites_tracking`, record `{ invite_id,
 * invite_source }` per username, and `{ version = "1" }` under the user " "), and shows it:
 * `npx ctl mod_invites_tracking show HOST USER|TOKEN`.
 */
import { defineModule, type KeyvalStore } from 'canto/module-api';
import type { InvitesTrackingApi, TrackedAccount, TrackingRecord, UserRegistered } from './types.js';

export type { InvitesTrackingApi, TrackedAccount, TrackingRecord } from './types.js';

/** " " is not a valid username, so Prosody's module keeps its format version there. */
const META_USER = ' ';

function tracked(username: string, value: unknown): TrackedAccount | undefined {
  if (!value || typeof value !== 'object') return undefined;
  const record = value as Partial<TrackingRecord>;
  if (typeof record.invite_id !== 'string') return undefined;
  return { username, invite_id: record.invite_id, ...(typeof record.invite_source === 'string' ? { invite_source: record.invite_source } : {}) };
}

/** `pending`: writes started by the event handler; reads wait for them, so a read sees every registration fired before it. */
function trackingApi(store: KeyvalStore, pending: Set<Promise<void>>): InvitesTrackingApi {
  return {
    async forUser(username) {
      await Promise.all(pending);
      if (username === META_USER) return undefined;
      return tracked(username, await store.get(username));
    },
    async forToken(token) {
      await Promise.all(pending);
      const found: TrackedAccount[] = [];
      for (const username of (await store.users()).sort()) {
        if (username === META_USER) continue;
        const account = tracked(username, await store.get(username));
        if (account?.invite_id === token) found.push(account);
      }
      return found;
    },
  };
}

export default defineModule<InvitesTrackingApi>({
  async load(module) {
    const store = module.openStore('invites_tracking', 'keyval');

    const pending = new Set<Promise<void>>();
    // Not async: a handler's return value would stop the event for the modules after this one.
    module.hook<UserRegistered>('user-registered', (event) => {
      const invite = event.validated_invite;
      if (!invite) {
        module.log('debug', 'No invitation found for registration of %s', event.username);
        return;
      }
      const source = invite.additional_data?.source;
      const record: TrackingRecord & Record<string, string> = { invite_id: invite.token };
      if (typeof source === 'string') record.invite_source = source; // nil in Prosody: no field
      const write = store.set(event.username, record).then(
        () => module.log('debug', 'recorded that invite from %s was used to create %s', source ?? '(unknown)', event.username),
        (err: Error) => module.log('error', 'Could not record the invite used by %s: %s', event.username, err.message),
      );
      pending.add(write);
      void write.then(() => pending.delete(write));
    });

    if (module.processType === 'server' && !(await store.get(META_USER))) await store.set(META_USER, { version: '1' });
    return trackingApi(store, pending);
  },

  commands: {
    show: {
      description: 'Show the invite an account was made with, or the accounts made with an invite',
      args: [{ name: 'USER|TOKEN', description: 'a username of the host, or an invite token' }],
      async run({ api, args, out, err }) {
        const query = args[0]!;
        const byUser = await api.forUser(query.toLowerCase());
        const accounts = byUser ? [byUser] : await api.forToken(query);
        if (!accounts.length) {
          err(`Error: no account of this host is recorded for '${query}'`);
          return 1;
        }
        out('USER\tINVITE\tSOURCE');
        for (const a of accounts) out(`${a.username}\t${a.invite_id}\t${a.invite_source ?? '-'}`);
        return 0;
      },
    },
  },
});
