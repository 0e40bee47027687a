/**
 * Usernames (the local part of a JID) as Prosody's nodeprep would accept them.
 */

// RFC 6122 forbids these in a localpart; whitespace and control characters are refused too.
const FORBIDDEN = /[\s"&'/:<>@\p{Cc}]/u;

/**
 * The prepared username, or `undefined` if it is not a valid one.
 * COMPAT: an approximation of stringprep's Nodeprep (Node has no stringprep tables): NFKC and
 * lower case, then the characters Nodeprep prohibits; it never accepts a name Prosody refuses
 * for these reasons, so an invite bound here is bound to the same account there.
 */
export function nodeprep(name: string): string | undefined {
  const prepared = name.normalize('NFKC').toLowerCase();
  if (prepared === '' || Buffer.byteLength(prepared) > 1023 || FORBIDDEN.test(prepared)) return undefined;
  return prepared;
}

/** The local part of `user@host`, or `undefined` for a bare host. */
export function jidNode(jid: string): string | undefined {
  const at = jid.indexOf('@');
  return at > 0 ? jid.slice(0, at) : undefined;
}
