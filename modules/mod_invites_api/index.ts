/**
 * mod_invites_api: an authenticated HTTP API that creates account invites
 * (`GET|POST /invites_api?key=ID/SECRET` or `Authorization: Bearer ID/SECRET`).
 */
import { defineModule, HttpError, isStoreTable, KEEP, LogDigest } from 'canto/module-api';
import type { HandlerResult, HttpRequest, StoreTable } from 'canto/module-api';
import { commands, keyStore, scopesOf } from './commands.js';
import { credentials, wantsJson, wantsRedirect } from './credentials.js';
import { parseKey, secretMatches } from './keys.js';
import { optionsSchema } from './options.js';
import type { InvitesApiOptions } from './options.js';
import type { ApiKey, InvitesApiKeys, Scope } from './types.js';

export type { ApiKey, InvitesApiKeys, Scope } from './types.js';

/** last_used is written at most this often per key, so a busy key does not rewrite the file on every request. */
const LAST_USED_GRANULARITY = 60;

/** Bytes of body a POST may carry (it is not read; a client may still send a small form). */
const POST_MAX_SIZE = 1024;

/** Only a well-formed id is worth logging; anything else may be a mangled secret. */
const ID_SHAPE = /^[A-Za-z0-9_-]{1,32}$/;

/** Each loaded instance's log digest, for its unload. */
const digests = new WeakMap<object, LogDigest>();

/** Whether a key with `held` scopes may do what `scope` allows. */
function permits(held: readonly Scope[], scope: Scope): boolean {
  return held.includes(scope) || (scope.startsWith('admin:') && held.includes('admin'));
}

export default defineModule<InvitesApiKeys, InvitesApiOptions>({
  options: optionsSchema,

  async load(module) {
    const keys = keyStore(module);
    const authFailures = module.measure('auth_failures', 'counter', { description: 'Requests refused for a missing, unknown, wrong or expired key' });
    const throttled = module.measure('throttled', 'counter', { description: 'Requests answered 429 after too many failures from one address' });
    const window = module.options.invites_api_failure_window;
    const throttle = module.failureThrottle({ max: module.options.invites_api_max_failures, window });
    // A wrong key is logged once per address and window, with a count, never line by line.
    const refusals = new LogDigest((line) => module.log('warn', '%s', line), { windowSeconds: window });
    digests.set(module, refusals);

    /** The key's record if the request proves it holds the key, else why not. */
    async function check(found: ReturnType<typeof credentials>, now: number): Promise<{ id: string; record: StoreTable } | string> {
      if ('error' in found) return found.error;
      const key = parseKey(found.key);
      if (!key) return 'malformed key';
      const shownId = ID_SHAPE.test(key.id) ? key.id : '(malformed)';
      const record = await keys.get(null, key.id);
      if (!isStoreTable(record)) return `unknown key ${shownId}`;
      if (!secretMatches(record, key.secret)) return `wrong secret for key ${shownId}`;
      if (typeof record.expires === 'number' && now > record.expires) return `expired key ${shownId}`;
      return { id: key.id, record };
    }

    /** last_used is bookkeeping, not part of the answer: the request does not wait for it. */
    function recordUse(id: string, record: StoreTable, now: number): void {
      if (Number(record.last_used) > now - LAST_USED_GRANULARITY) return;
      keys
        .update(null, id, (current) => (isStoreTable(current) ? { ...current, last_used: now } : KEEP))
        .catch((err: Error) => module.log('warn', 'Could not record use of API key %s: %s', id, err.message));
    }

    const api: InvitesApiKeys = {
      async authenticate(request, scope, realm) {
        const now = module.time();
        // COMPAT: Prosody's admin API takes mod_tokenauth bearer tokens of an admin's session;
        // Canto takes its own API keys, with a scope, and only in the Authorization header.
        const header = request.headers.authorization;
        // Counted before the key is looked at: a burst has at most the budget checked.
        const counted = await throttle.guard(request.ip, () => module.time(), async (fail) => {
          const found = await check(header === undefined ? { error: 'no key' } : credentials(request), now);
          if (typeof found === 'string') fail();
          return found;
        });
        if ('wait' in counted) throw new HttpError(429, 'resource-constraint', 'Too many failed attempts', { headers: { 'Retry-After': String(counted.wait) } });
        const auth = counted.result;
        // COMPAT: Prosody sets the challenge as an `Authorization` response header; it belongs in WWW-Authenticate.
        const challenge = { 'WWW-Authenticate': `Bearer realm="${realm.replace(/["\\]/g, '')}"` };
        if (typeof auth === 'string') {
          if (header === undefined) module.log('debug', 'Refused API request from %s: %s', request.ip, auth);
          else refusals.note(request.ip, `Refused API request from ${request.ip}: ${auth}`);
          throw new HttpError(401, 'not-authorized', header === undefined ? 'An API key is required' : 'Invalid API key', { headers: challenge });
        }
        const scopes = scopesOf(auth.record);
        if (!permits(scopes, scope)) {
          module.log('warn', 'API key %s lacks scope %s', auth.id, scope);
          throw new HttpError(403, 'forbidden', `This API key does not have the ${scope} scope`);
        }
        recordUse(auth.id, auth.record, now);
        const key: ApiKey = { id: auth.id, scopes };
        if (typeof auth.record.name === 'string') key.name = auth.record.name;
        return key;
      },
    };
    if (module.processType !== 'server') return api;
    const invites = await module.depends('invites');

    async function handle(request: HttpRequest): Promise<HandlerResult> {
      const now = module.time();
      // Counted before the key is looked at: a burst has at most the budget checked.
      const counted = await throttle.guard(request.ip, () => module.time(), async (fail) => {
        const found = await check(credentials(request), now);
        if (typeof found === 'string') fail();
        return found;
      });
      if ('wait' in counted) {
        throttled.add();
        return { status: 429, headers: { 'Retry-After': String(counted.wait) } };
      }
      const auth = counted.result;
      if (typeof auth === 'string') {
        authFailures.add();
        refusals.note(request.ip, `Refused invite request from ${request.ip}: ${auth}`);
        return 403;
      }
      if (!permits(scopesOf(auth.record), 'invite')) {
        module.log('warn', 'Refused invite request from %s: API key %s lacks scope invite', request.ip, auth.id);
        return 403;
      }
      const allowed = isStoreTable(auth.record.allowed_methods) ? auth.record.allowed_methods : { GET: true, POST: true };
      // COMPAT: HEAD never creates an invite, even for a key without allowed_methods (Prosody would).
      if (request.method === 'HEAD' || allowed[request.method] !== true) {
        return { status: 405, headers: { Allow: Object.keys(allowed).filter((m) => allowed[m] === true).join(', ') } };
      }

      const invite = await invites.createAccount(undefined, { source: `api/token/${auth.id}` });
      module.log('info', 'Created invite %s... via API key %s', invite.token.slice(0, 6), auth.id);
      recordUse(auth.id, auth.record, now);

      const location = invite.landing_page ?? invite.uri;
      const status = wantsRedirect(request.query) ? 303 : 201;
      // The reply carries the new token: no cache may keep it. COMPAT: Prosody sends no Cache-Control.
      if (!wantsJson(request.headers.accept)) return { status, headers: { Location: location, 'Cache-Control': 'no-store' }, body: '' };
      const body = { uri: invite.uri, landing_page: invite.landing_page ?? null, created_at: invite.created_at, expires: invite.expires };
      return { status, headers: { Location: location, 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, body: JSON.stringify(body) };
    }

    // COMPAT: POST is routed too; Prosody's keys allow POST but it has no POST route (404).
    // The key is in the query or a header: a POST's body is never read, so it may be small.
    module.provides('http', { route: { GET: handle, POST: { body: { maxSize: POST_MAX_SIZE }, handler: handle } } });
    return api;
  },

  unload(module) {
    // The last window's counts are written before the module goes.
    digests.get(module)?.flush();
  },

  commands,
});
