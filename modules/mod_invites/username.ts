/**
 * Usernames (the local part of a JID). Nodeprep itself is the host's (`nodeprep` from the
 * module API), so an invite bound here is bound to the account Prosody would create.
 */
export { nodeprep } from 'canto/module-api';

/** The local part of `user@host`, or `undefined` for a bare host. */
export function jidNode(jid: string): string | undefined {
  const at = jid.indexOf('@');
  return at > 0 ? jid.slice(0, at) : undefined;
}
