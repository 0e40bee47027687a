/**
 * A host's accounts (Prosody's core/usermanager.lua): the provider chosen by `authentication`,
 * usernames checked with nodeprep, and what deleting an account does in Prosody — the record
 * goes, `user-deleted` fires, then every store's data of that user is purged.
 */
import { CantoError } from '../errors.js';
import { toNumberOption, toStringOption } from '../options.js';
import type { KeyvalStore } from '../storage/types.js';
import { internalProvider, type AuthProvider, type ProviderName } from './internal-provider.js';
import type { ScramHash } from './scram.js';
import { nodeprep } from './stringprep.js';

/** The accounts of one host, as modules get them from `module.accounts()`. */
export interface Accounts {
  /** `internal_hashed` or `internal_plain`. */
  readonly provider: ProviderName;
  /** Whether the (nodeprep'd) user has an account. */
  exists(username: string): Promise<boolean>;
  /**
   * Create an account; false, with nothing written, when the name is taken (atomic: of two
   * concurrent creations of one name exactly one succeeds). Throws `ERR_ACCOUNT_USERNAME` for a
   * name that is not nodeprep'd, `ERR_ACCOUNT_PASSWORD` for one SASLprep refuses.
   */
  create(username: string, password: string): Promise<boolean>;
  /** Set a new password; false when there is no such account. Fires `user-password-changed`. */
  setPassword(username: string, password: string): Promise<boolean>;
  /** Whether the password is the account's (constant-time comparison). */
  testPassword(username: string, password: string): Promise<boolean>;
  /** Delete the account and all its data; false when there was none. Fires `user-deleted`. */
  delete(username: string): Promise<boolean>;
  /** Every account's username, in no fixed order. */
  users(): Promise<string[]>;
}

/** `user-deleted` and `user-password-changed`: which account. */
export interface UserEvent {
  username: string;
  host: string;
}

export interface AccountsContext {
  host: string;
  option(name: string): unknown;
  openAccountsStore(): KeyvalStore;
  fireEvent(event: string, data: unknown): unknown;
  purge(username: string): Promise<void>;
}

const PROVIDERS: readonly string[] = ['internal_hashed', 'internal_plain'];

/** The host's provider name as Prosody picks it (`authentication`, default internal_hashed). */
export function providerName(option: (name: string) => unknown): string {
  if (option('anonymous_login') === true) return 'anonymous';
  return toStringOption(option('authentication')) ?? 'internal_hashed';
}

/** Throws `ERR_AUTH_PROVIDER` when the host uses a provider Canto cannot manage. */
export function createAccounts(ctx: AccountsContext): Accounts {
  const name = providerName(ctx.option);
  if (!PROVIDERS.includes(name)) throw new CantoError('ERR_AUTH_PROVIDER', [name, ctx.host]);
  const hash = toStringOption(ctx.option('password_hash')) ?? 'SHA-1';
  if (hash !== 'SHA-1' && hash !== 'SHA-256') throw new CantoError('ERR_CONFIG_INVALID', [`password_hash: SCRAM-${hash} not supported (use "SHA-1" or "SHA-256")`]);
  const provider: AuthProvider = internalProvider(name as ProviderName, ctx.openAccountsStore(), {
    iterations: toNumberOption(ctx.option('default_iteration_count')) ?? 10000,
    hash: hash as ScramHash,
  });
  const valid = (username: string): string => {
    if (nodeprep(username) !== username) throw new CantoError('ERR_ACCOUNT_USERNAME');
    return username;
  };
  return {
    provider: provider.name,
    exists: (username) => (nodeprep(username) === username ? provider.exists(username) : Promise.resolve(false)),
    create: async (username, password) => provider.create(valid(username), password),
    setPassword: async (username, password) => {
      const ok = await provider.setPassword(valid(username), password);
      if (ok) ctx.fireEvent('user-password-changed', { username, host: ctx.host } satisfies UserEvent);
      return ok;
    },
    testPassword: (username, password) => (nodeprep(username) === username ? provider.test(username, password) : Promise.resolve(false)),
    delete: async (username) => {
      if (!(await provider.delete(valid(username)))) return false;
      ctx.fireEvent('user-deleted', { username, host: ctx.host } satisfies UserEvent);
      await ctx.purge(username);
      return true;
    },
    users: () => provider.users(),
  };
}
