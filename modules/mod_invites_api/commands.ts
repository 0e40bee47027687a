/**
 * `npx ctl mod_invites_api create|list|delete HOST ...`: key management, as in Prosody's
 * mod_invites_api, with optional expiry.
 */
import { isStoreTable, KEEP, parsePeriod, UsageError } from 'canto/module-api';
import type { CtlCommand, ModuleApi, StoreTable } from 'canto/module-api';
import { hashSecret, newKey } from './keys.js';
import type { InvitesApiOptions } from './options.js';
import { DEFAULT_SCOPES, SCOPES, type InvitesApiKeys, type Scope } from './types.js';

type Command = CtlCommand<InvitesApiKeys, InvitesApiOptions>;

/** A key's scopes; a key without the field (made before scopes, or by Prosody) has the default. */
export function scopesOf(record: StoreTable): Scope[] {
  const stored = record.scopes;
  if (!Array.isArray(stored)) return [...DEFAULT_SCOPES];
  return stored.filter((s): s is Scope => typeof s === 'string' && (SCOPES as readonly string[]).includes(s));
}

export function keyStore(module: ModuleApi<InvitesApiOptions>) {
  return module.openStore('invite_api_keys', 'map');
}

function iso(seconds: unknown): string {
  return typeof seconds === 'number' ? new Date(seconds * 1000).toISOString().replace('.000Z', 'Z') : 'never';
}

/** Names are free text; a tab or newline in one must not break the columns. */
function oneLine(text: string): string {
  return text.replace(/[\p{Cc}]+/gu, ' ');
}

const create: Command = {
  description: 'Create an API key and print it (ID/SECRET); the secret is not shown again',
  args: [{ name: 'NAME', description: 'What the key is for (quote it if it has spaces)', optional: true }],
  flags: {
    'expires-after': { description: 'The key stops working after this, e.g. 3600, "30 days"', value: 'PERIOD' },
    scope: { description: `What the key may do: ${SCOPES.join(', ')} (default invite)`, value: 'SCOPE', repeatable: true },
  },
  async run({ module, args, flags, out }) {
    const now = module.time();
    const wanted = Array.isArray(flags.scope) ? flags.scope : typeof flags.scope === 'string' ? [flags.scope] : [...DEFAULT_SCOPES];
    for (const scope of wanted) {
      if (!(SCOPES as readonly string[]).includes(scope)) throw new UsageError(`unknown scope '${scope}' (expected one of ${SCOPES.join(', ')})`);
    }
    const record: StoreTable = { created_at: now, allowed_methods: { GET: true, POST: true }, scopes: [...new Set(wanted)] };
    if (typeof flags['expires-after'] === 'string') {
      const ttl = parsePeriod(flags['expires-after']);
      if (ttl === undefined || ttl <= 0 || ttl === Infinity) throw new UsageError(`invalid period '${flags['expires-after']}' (expected seconds or e.g. "1 week", "12h")`);
      record.expires = now + ttl;
    }
    if (args[0]) record.name = args[0];
    const { id, secret } = newKey();
    // COMPAT: Prosody stores the secret itself as `token`; we store only its hash, so Prosody can list this key but not authenticate it.
    await keyStore(module).set(null, id, { id, ...record, token_hash: hashSecret(secret) });
    out(`${id}/${secret}`);
  },
};

const list: Command = {
  description: 'List API keys: ID, name, expiry and last use (UTC), scopes, tab-separated',
  async run({ module, out }) {
    const keys: { id: string; record: StoreTable }[] = [];
    for await (const [id, record] of keyStore(module).entries(null)) if (isStoreTable(record)) keys.push({ id, record });
    keys.sort((a, b) => Number(a.record.created_at ?? 0) - Number(b.record.created_at ?? 0) || (a.id < b.id ? -1 : 1));
    for (const { id, record } of keys) {
      // Prosody prints ID<TAB>NAME; expiry, last use and scopes follow as further columns, so `cut -f1,2` still reads Prosody's.
      const name = typeof record.name === 'string' && record.name ? oneLine(record.name) : '<unknown>';
      out([id, name, iso(record.expires), iso(record.last_used), scopesOf(record).join(',')].join('\t'));
    }
  },
};

const remove: Command = {
  description: 'Revoke an API key; a running server refuses it from the next request',
  args: [{ name: 'ID', description: 'The key id (the part before the slash)' }],
  async run({ module, args, err }) {
    const seen = { found: false };
    await keyStore(module).update(null, args[0]!, (current) => {
      seen.found = current !== undefined;
      return current === undefined ? KEEP : undefined;
    });
    if (seen.found) return 0;
    err('Error: key not found');
    return 1;
  },
};

export const commands: Record<string, Command> = { create, list, delete: remove };
