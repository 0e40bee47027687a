/**
 * SCRAM credentials as Prosody's mod_auth_internal_hashed keeps them (util/sasl/scram.lua
 * `getAuthenticationDatabaseSHA1`): from the SASLprep'd password, salt and iteration count,
 * `stored_key = H(HMAC(Hi(password), "Client Key"))` and `server_key = HMAC(Hi(password), "Server Key")`,
 * stored as lower-case hex.
 */
import { createHash, createHmac, pbkdf2 } from 'node:crypto';
import { promisify } from 'node:util';

const pbkdf2Async = promisify(pbkdf2);

/** Prosody's `password_hash` option names the hash: `"SHA-1"` (default) or `"SHA-256"`. */
export type ScramHash = 'SHA-1' | 'SHA-256';

export interface ScramKeys {
  stored_key: string;
  server_key: string;
}

/** The keys for a prepared password. PBKDF2 runs in the thread pool, off the event loop. */
export async function scramKeys(preparedPassword: string, salt: string, iterations: number, hash: ScramHash = 'SHA-1'): Promise<ScramKeys> {
  const algorithm = hash === 'SHA-1' ? 'sha1' : 'sha256';
  const length = hash === 'SHA-1' ? 20 : 32;
  const salted = await pbkdf2Async(Buffer.from(preparedPassword, 'utf8'), Buffer.from(salt, 'utf8'), iterations, length, algorithm);
  const clientKey = createHmac(algorithm, salted).update('Client Key').digest();
  return {
    stored_key: createHash(algorithm).update(clientKey).digest('hex'),
    server_key: createHmac(algorithm, salted).update('Server Key').digest('hex'),
  };
}
