/**
 * mod_invites_groups (prosody-modules): a new account joins the groups its invite names
 * (`additional_data.groups`), as mod_groups_internal's add_member stores it: the group must
 * exist in `group_info`, and the member goes into the `groups` map (`groups/<group>.dat`,
 * username -> `{}`). Prosody makes the group's subscriptions when the member next logs in.
 */
import type { InviteApplier } from '../mod_invites_register/types.js';
import { defineModule } from 'canto/module-api';

export default defineModule({
  dependencies: ['invites_register'],
  load(module) {
    const groupInfo = module.openStore('group_info', 'keyval');
    const memberships = module.openStore('groups', 'map');
    const applier: InviteApplier = {
      name: 'groups',
      async apply(invite, username) {
        const groups = invite.additional_data?.['groups'];
        const ids = Array.isArray(groups) ? groups : typeof groups === 'object' && groups !== null ? Object.values(groups) : [];
        for (const id of ids) {
          if (typeof id !== 'string' || id === '') continue;
          if ((await groupInfo.get(id)) === undefined) {
            module.log('warn', 'Invite names group %s, which does not exist; %s was not added to it', id, username);
            continue;
          }
          await memberships.set(id, username, {});
          module.log('debug', 'Added %s to group %s from the invite', username, id);
        }
      },
    };
    module.provides('invite-applier', applier as unknown as Record<string, unknown>);
  },
});
