/**
 * Prosody's two built-in account providers on the `accounts` store (keyval, one table per
 * user): `internal_hashed` (mod_auth_internal_hashed: SCRAM keys, salt, iteration count) and
 * `internal_plain` (mod_auth_internal_plain: the SASLprep'd password). Usernames arrive
 * nodeprep'd; passwords raw, and are SASLprep'd here as Prosody does.
 */
import { CantoError } from '../errors.js';
import { randomUuid, secretEquals } from '../secrets.js';
import type { KeyvalStore, StoreTable } from '../storage/types.js';
import { KEEP } from '../storage/types.js';
import { scramKeys, type ScramHash } from './scram.js';
import { saslprep } from './stringprep.js';

export type ProviderName = 'internal_hashed' | 'internal_plain';

export interface ProviderOptions {
  /** `default_iteration_count` (Prosody: 10000). */
  iterations: number;
  /** `password_hash` (Prosody: "SHA-1"). */
  hash: ScramHash;
}

/** What an account provider does (Prosody's auth provider, without SASL). */
export interface AuthProvider {
  readonly name: ProviderName;
  exists(username: string): Promise<boolean>;
  /** Create the account; false (and nothing written) when it exists already. */
  create(username: string, password: string): Promise<boolean>;
  /** Change the password; false when there is no such account. */
  setPassword(username: string, password: string): Promise<boolean>;
  test(username: string, password: string): Promise<boolean>;
  /** Remove the account record; false when there was none. */
  delete(username: string): Promise<boolean>;
  users(): Promise<string[]>;
}

function prepared(password: string): string {
  const p = saslprep(password);
  if (p === undefined) throw new CantoError('ERR_ACCOUNT_PASSWORD');
  return p;
}

const textEquals = (a: string, b: string) => secretEquals(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));

export function internalProvider(name: ProviderName, accounts: KeyvalStore, options: ProviderOptions): AuthProvider {
  /** The record a password gives: fresh salt for hashed, as Prosody's create_user and set_password. */
  const record = async (password: string, previous?: StoreTable): Promise<StoreTable> => {
    const p = prepared(password);
    if (name === 'internal_plain') return { ...previous, password: p };
    const salt = randomUuid();
    const old = typeof previous?.['iteration_count'] === 'number' ? previous['iteration_count'] : 0;
    // create_user uses the default; set_password keeps a higher count the account already had.
    const iterations = previous ? Math.max(old, options.iterations) : options.iterations;
    const keys = await scramKeys(p, salt, iterations, options.hash);
    const next: StoreTable = { ...previous, ...keys, salt, iteration_count: iterations };
    delete next['password'];
    return next;
  };

  const test = async (username: string, password: string): Promise<boolean> => {
    const p = saslprep(password);
    const account = await accounts.get(username);
    if (p === undefined || !account) return false;
    const plain = account['password'];
    if (typeof plain === 'string' && plain !== '') {
      const stored = saslprep(plain);
      if (stored === undefined || !textEquals(stored, p)) return false;
      // mod_auth_internal_hashed replaces a legacy plaintext password with its hash on first use.
      if (name === 'internal_hashed') await setPassword(username, password);
      return true;
    }
    if (name === 'internal_plain') return false;
    const { salt, iteration_count: iterations, stored_key: storedKey, server_key: serverKey } = account;
    if (typeof salt !== 'string' || salt === '' || typeof iterations !== 'number' || typeof storedKey !== 'string' || typeof serverKey !== 'string') return false;
    const keys = await scramKeys(p, salt, iterations, options.hash);
    return textEquals(keys.stored_key, storedKey) && textEquals(keys.server_key, serverKey);
  };

  const setPassword = async (username: string, password: string): Promise<boolean> => {
    const current = await accounts.get(username);
    if (!current) return false;
    const next = await record(password, current);
    // Written only if the account still exists (a concurrent deluser wins).
    const result = await accounts.update(username, (now) => (now ? next : KEEP));
    return result !== KEEP;
  };

  return {
    name,
    exists: async (username) => (await accounts.get(username)) !== undefined,
    create: async (username, password) => {
      const next = await record(password);
      return (await accounts.update(username, (now) => (now ? KEEP : next))) !== KEEP;
    },
    setPassword,
    test,
    delete: async (username) => (await accounts.update(username, (now) => (now ? undefined : KEEP))) !== KEEP,
    users: () => accounts.users(),
  };
}
