/**
 * mod_invites_register: what happens when an invite becomes an account (Prosody's module of the
 * same name, without its XMPP parts). The web and JSON registration modules call `register`;
 * it consumes the invite, copies the invite's roles to the `roles` store, and for a contact
 * invite makes the inviter and the new user subscribe to each other.
 *
 * Rosters: Prosody keeps an online user's roster in memory and would overwrite a roster file
 * written behind its back, so the subscription is made through Prosody's admin socket
 * (`admin_socket`, mod_admin_socket + mod_admin_shell), by Prosody's own rostermanager. Without a
 * reachable socket no roster is touched, and the success page asks the new user to add the
 * inviter as a contact.
 */
import { isAbsolute, join } from 'node:path';
import type { ValidatedInvite } from '../mod_invites/types.js';
import { defineModule, nodeprep, saslprep } from 'canto/module-api';
import { NamedLocks } from './locks.js';
import { runShellLine, subscribeBothLine } from './prosody-shell.js';
import type { InviteApplier, InvitesRegisterApi, RegistrationError, RegistrationResult, UserRegisteredEvent, UserRegisteringEvent } from './types.js';

interface Options {
  admin_socket?: string;
}

export default defineModule<InvitesRegisterApi, Options>({
  dependencies: ['invites'],
  options: { type: 'object', properties: { admin_socket: { type: 'string', minLength: 1 } } },

  async load(module) {
    const invites = await module.depends('invites');
    const accounts = module.accounts();
    const roles = module.openStore('roles', 'keyval');
    // Shared, so a registration running across a reload still excludes one on the reloaded module.
    const locks = (module.shared<{ locks?: NamedLocks }>('locks').locks ??= new NamedLocks());

    const socketPath = (): string | undefined => {
      const configured = module.options.admin_socket;
      const dataPath = module.getOptionString('data_path');
      if (configured !== undefined && isAbsolute(configured)) return configured;
      return dataPath !== undefined && isAbsolute(dataPath) ? join(dataPath, configured ?? 'prosody.sock') : undefined;
    };

    /** Roles as mod_invites_register copies them: `additional_data.roles` into the `roles` store. */
    const applyRoles: InviteApplier = {
      name: 'roles',
      async apply(invite, username) {
        const table = invite.additional_data?.['roles'];
        if (typeof table === 'object' && table !== null && !Array.isArray(table)) await roles.set(username, table);
      },
    };

    /** A contact invite's mutual subscription, through Prosody when it runs with an admin socket. */
    const applyContact: InviteApplier = {
      name: 'contact',
      async apply(invite, username) {
        if (invite.inviter === undefined) return false;
        const path = socketPath();
        if (path === undefined) return false;
        try {
          const result = await runShellLine(path, subscribeBothLine(module.host, invite.inviter, username));
          if (result.ok) return true;
          module.log('warn', 'Prosody refused to subscribe %s and %s: %s', invite.inviter, username, result.text);
        } catch (err) {
          module.log('info', 'No subscription between %s and %s: Prosody\'s admin socket is not reachable (%s)', invite.inviter, username, (err as Error).message);
        }
        return false;
      },
    };

    const invalid = (message = 'This invite is invalid or has expired.'): RegistrationResult => ({ ok: false, error: 'invalid-token', message });
    const fail = (error: Exclude<RegistrationError, 'invalid-token'>, message: string, invite: ValidatedInvite): RegistrationResult => ({ ok: false, error, message, invite });

    const register: InvitesRegisterApi['register'] = async (request) => {
      const lookup = await invites.get(request.token);
      if (!lookup.ok) return invalid();
      const invite = lookup.invite;
      if (request.username === '' || request.password === '') return fail('missing-fields', 'Please fill in all fields.', invite);
      const username = nodeprep(request.username);
      if (username === undefined) return fail('invalid-username', 'This username contains invalid characters.', invite);
      const reset = invite.reset;
      if (reset !== undefined && username !== reset) return fail('wrong-username', `This invite resets the password of ${reset}@${module.host} only.`, invite);
      if (invite.username !== undefined && username !== invite.username) return fail('wrong-username', `This invite is for the username ${invite.username} only.`, invite);
      if (reset === undefined && (await accounts.exists(username))) return fail('username-taken', 'This username is already in use.', invite);
      if (request.policy) {
        const checked = request.policy.checkPassword(request.password, { username });
        if (!checked.ok) return fail('password-policy', checked.message, invite);
      }
      if (saslprep(request.password) === undefined) return fail('invalid-password', 'This password contains characters that cannot be used in a password.', invite);

      const registering: UserRegisteringEvent = { username, host: module.host, ip: request.ip, validated_invite: invite, allowed: true };
      if (reset !== undefined) registering.allow_reset = reset;
      // Awaited, so a handler may look elsewhere (a block list, a quota) before it refuses.
      await module.fireEventAsync('user-registering', registering);
      if (!registering.allowed) return fail('refused', registering.reason ?? 'Registration is not allowed.', invite);

      // One registration per invite and per name at a time; across processes the invite's
      // atomic `use` decides, and the loser's account is removed again.
      return locks.run([`token:${invite.token}`, `user:${username}`], async () => {
        const event: UserRegisteredEvent = { username, host: module.host, ip: request.ip, source: request.source, validated_invite: invite };
        if (reset !== undefined) {
          const used = await invites.use(invite.token, username);
          if (!used.ok) return invalid();
          if (!(await accounts.setPassword(username, request.password))) return invalid(`The account ${username}@${module.host} no longer exists.`);
          module.fireEvent('user-password-reset', event);
          module.log('info', 'Password of %s reset with an invite', username);
          return { ok: true, username, jid: `${username}@${module.host}`, reset: true, invite, contactAdded: false };
        }
        if (!(await accounts.create(username, request.password))) return fail('username-taken', 'This username is already in use.', invite);
        const used = await invites.use(invite.token, username);
        if (!used.ok) {
          await accounts.delete(username);
          return invalid();
        }
        let contactAdded = false;
        for (const applier of [applyRoles, applyContact, ...module.getItems<InviteApplier>('invite-applier')]) {
          try {
            if ((await applier.apply(invite, username)) === true) contactAdded = true;
          } catch (err) {
            module.log('error', 'Applying the invite (%s) to %s failed: %s', applier.name, username, (err as Error).message);
          }
        }
        module.fireEvent('user-registered', event);
        module.log('info', 'Registered %s with an invite', username);
        return { ok: true, username, jid: `${username}@${module.host}`, reset: false, invite, contactAdded };
      });
    };

    return { register };
  },
});
