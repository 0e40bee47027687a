/**
 * mod_invites: invite tokens for account registration, password resets and contacts, stored
 * as Prosody 0.12 stores them. Other modules use it through `await module.depends('invites')`.
 */
import { defineModule } from 'canto/module-api';
import { commands } from './commands.js';
import { createInvites } from './invites.js';
import type { InvitesApi, InvitesOptions } from './types.js';

export type {
  Invite,
  InvitesApi,
  ValidatedInvite,
  InviteLookup,
  InviteInvalidReason,
  InviteRecord,
  InviteKind,
  InviteStatus,
  InviteUse,
  InviteUsedEvent,
  InviteRevokedEvent,
  InviteExpiredEvent,
  InviteEvents,
  UserRegisteredEvent,
} from './types.js';

const WEEK = 7 * 86400;

export default defineModule<InvitesApi, InvitesOptions>({
  options: {
    type: 'object',
    properties: {
      invites_page_module: { type: 'string', default: 'invites_page' },
      invite_expiry: { type: 'number', period: true, exclusiveMinimum: 0, default: WEEK },
    },
  },

  load(module) {
    const created = module.measure('created', 'counter', { description: 'Invites created, by type (register, roster)' });
    const used = module.measure('used', 'counter', { description: 'Invites used, by type' });
    const purged = module.measure('purged', 'counter', { description: 'Expired invites purged' });
    const invites = createInvites({
      counted: {
        created: (invite) => created.add(1, { type: invite.type }),
        used: (invite) => used.add(1, { type: invite.type }),
      },
      host: module.host,
      store: module.openStore('invite_token', 'map'),
      // COMPAT: host then global, as any option; Prosody's prosodyctl reads only the global value.
      defaultTtl: module.options.invite_expiry,
      now: () => module.time(),
      // Awaited, so a landing-page module may fill the invite in asynchronously.
      announce: async (invite) => {
        await module.fireEventAsync('invite-created', invite);
      },
      archive: module.openStore('invite_archive', 'map'),
      uses: module.openStore('invite_used', 'map'),
      notify: (event: string, data: unknown) => void module.fireEvent(event, data),
    });

    // COMPAT: Prosody never removes expired invites; we purge them hourly (a periodic job, as
    // Prosody's mod_cron runs them; only the server runs it).
    module.hourly('Purge expired invites', async () => {
      const count = await invites.purgeExpired();
      purged.add(count);
      if (count) module.log('info', 'Purged %d expired invites', count);
    });
    return invites;
  },

  commands,
});
