/**
 * API keys: `ID/SECRET`, made as Prosody's mod_invites_api makes them (id.short() / id.long()),
 * but stored as a hash of the secret, and checked in constant time.
 */
import { randomId, secretDigest, secretEquals } from 'canto/module-api';
import type { StoreTable } from 'canto/module-api';

/** A new key: a 12-character id (9 bytes) and a 36-character secret (27 bytes). */
export function newKey(): { id: string; secret: string } {
  return { id: randomId(9), secret: randomId(27) };
}

/** What is stored instead of the secret: BLAKE2b-256, hex. No salt or stretching: the secret has 216 random bits. */
export function hashSecret(secret: string): string {
  return secretDigest(secret).toString('hex');
}

/** Splits `ID/SECRET` as Prosody does (`^([^/]+)/(.+)$`); `undefined` when it is not that shape. */
export function parseKey(text: string): { id: string; secret: string } | undefined {
  if (text.length > 512) return undefined;
  const match = /^([^/]+)\/(.+)$/s.exec(text);
  return match ? { id: match[1]!, secret: match[2]! } : undefined;
}

/**
 * Whether `secret` opens this stored key. Both sides are hashed first, so the comparison is
 * of equal-length digests and takes the same time wherever they differ.
 */
export function secretMatches(record: StoreTable, secret: string): boolean {
  const presented = secretDigest(secret);
  let stored: Buffer | undefined;
  if (typeof record.token_hash === 'string' && /^[0-9a-f]{64}$/.test(record.token_hash)) {
    stored = Buffer.from(record.token_hash, 'hex');
  } else if (typeof record.token === 'string') {
    // COMPAT: keys made by Prosody keep their secret in plaintext `token`; they still work.
    stored = secretDigest(record.token);
  }
  return stored !== undefined && secretEquals(stored, presented);
}
