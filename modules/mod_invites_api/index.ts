/**
 * mod_invites_api: an authenticated HTTP API that creates account invites
 * (`GET|POST /invites_api?key=ID/SECRET` or `Authorization: Bearer ID/SECRET`).
 */
import { defineModule, isStoreTable, KEEP } from 'canto/module-api';
import type { HandlerResult, HttpRequest, StoreTable } from 'canto/module-api';
import { commands, keyStore } from './commands.js';
import { credentials, wantsJson, wantsRedirect } from './credentials.js';
import { parseKey, secretMatches } from './keys.js';
import { optionsSchema } from './options.js';
import type { InvitesApiOptions } from './options.js';
import { FailureThrottle } from './throttle.js';

/** last_used is written at most this often per key, so a busy key does not rewrite the file on every request. */
const LAST_USED_GRANULARITY = 60;

/** Only a well-formed id is worth logging; anything else may be a mangled secret. */
const ID_SHAPE = /^[A-Za-z0-9_-]{1,32}$/;

export default defineModule<void, InvitesApiOptions>({
  options: optionsSchema,

  async load(module) {
    if (module.processType !== 'server') return;
    const invites = await module.depends('invites');
    const keys = keyStore(module);
    const throttle = new FailureThrottle(module.options.invites_api_max_failures, module.options.invites_api_failure_window);

    /** The key's record if the request proves it holds the key, else why not. */
    async function authenticate(request: HttpRequest, now: number): Promise<{ id: string; record: StoreTable } | string> {
      const found = credentials(request);
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

    async function handle(request: HttpRequest): Promise<HandlerResult> {
      const now = module.time();
      const wait = throttle.retryAfter(request.ip, now);
      if (wait > 0) return { status: 429, headers: { 'Retry-After': String(wait) } };

      const auth = await authenticate(request, now);
      if (typeof auth === 'string') {
        throttle.fail(request.ip, now);
        module.log('warn', 'Refused invite request from %s: %s', request.ip, auth);
        return 403;
      }
      const allowed = isStoreTable(auth.record.allowed_methods) ? auth.record.allowed_methods : { GET: true, POST: true };
      // COMPAT: HEAD never creates an invite, even for a key without allowed_methods (Prosody would).
      if (request.method === 'HEAD' || allowed[request.method] !== true) {
        return { status: 405, headers: { Allow: Object.keys(allowed).filter((m) => allowed[m] === true).join(', ') } };
      }

      const invite = await invites.createAccount(undefined, { source: `api/token/${auth.id}` });
      module.log('info', 'Created invite %s... via API key %s', invite.token.slice(0, 6), auth.id);
      if (!(Number(auth.record.last_used) > now - LAST_USED_GRANULARITY)) {
        // Bookkeeping, not part of the answer: the 201 does not wait for it.
        keys
          .update(null, auth.id, (current) => (isStoreTable(current) ? { ...current, last_used: now } : KEEP))
          .catch((err: Error) => module.log('warn', 'Could not record use of API key %s: %s', auth.id, err.message));
      }

      const location = invite.landing_page ?? invite.uri;
      const status = wantsRedirect(request.query) ? 303 : 201;
      if (!wantsJson(request.headers.accept)) return { status, headers: { Location: location }, body: '' };
      const body = { uri: invite.uri, landing_page: invite.landing_page ?? null, created_at: invite.created_at, expires: invite.expires };
      return { status, headers: { Location: location, 'Content-Type': 'application/json' }, body: JSON.stringify(body) };
    }

    // COMPAT: POST is routed too; Prosody's keys allow POST but it has no POST route (404).
    module.provides('http', { route: { GET: handle, POST: handle } });
  },

  commands,
});
