/**
 * mod_invites_register_api (prosody-modules), which Snikket's web portal registers through:
 * `GET /register_api/invite/{token}` describes an invite, `POST /register_api/register` with
 * JSON `{ username, password, token }` creates the account (or, for a reset invite, sets the
 * password) and answers `{ "jid": ... }`. Statuses are the Lua module's: 400 bad request or
 * username, 403 refused or wrong account for a reset invite, 404 unknown invite, 409 taken;
 * plus 429 once an address keeps failing.
 */
import type { HandlerResult, HttpRequest } from 'canto/module-api';
import { defineModule, HttpError, jsonReply } from 'canto/module-api';

interface Options {
  site_name?: string;
  invites_register_max_failures: number;
  invites_register_failure_window: number;
}

const FIELD_LIMIT = 1023;

const STATUS: Record<string, number> = {
  'invalid-token': 404,
  'missing-fields': 400,
  'invalid-username': 400,
  'invalid-password': 400,
  'password-policy': 400,
  'wrong-username': 403,
  refused: 403,
  'username-taken': 409,
};

/** The body's fields when it is a JSON object whose three fields are strings of sane length. */
function parseBody(request: HttpRequest): { username: string; password: string; token: string } | undefined {
  const type = String(request.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json' || request.body.length === 0) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(request.body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof data !== 'object' || data === null) return undefined;
  const { username, password, token } = data as Record<string, unknown>;
  const fields = [username, password, token];
  if (!fields.every((f) => f === undefined || (typeof f === 'string' && Buffer.byteLength(f) <= FIELD_LIMIT))) return undefined;
  return { username: (username as string | undefined) ?? '', password: (password as string | undefined) ?? '', token: (token as string | undefined) ?? '' };
}

/** The JSON body: username, password (up to 1023 characters each, \\u-escaped at worst) and token. */
const BODY_MAX_SIZE = 16 * 1024;

export default defineModule<void, Options>({
  dependencies: ['invites', 'invites_register'],
  options: {
    type: 'object',
    properties: {
      site_name: { type: 'string', minLength: 1 },
      invites_register_max_failures: { type: 'integer', minimum: 1, default: 10 },
      invites_register_failure_window: { type: 'integer', minimum: 1, default: 60 },
    },
  },

  async load(module) {
    module.accounts();
    if (module.processType !== 'server') return;
    const invites = await module.depends('invites');
    const registration = await module.depends('invites_register');
    const policy = module.enabledModules.includes('password_policy') ? await module.depends('password_policy') : undefined;
    const siteName = module.options.site_name ?? module.host;
    const throttle = module.failureThrottle({ max: module.options.invites_register_max_failures, window: module.options.invites_register_failure_window });
    /** Each request is one attempt, counted before it is checked (parallel guesses get no more than the budget). */
    const counted = async (request: HttpRequest, fn: (fail: () => void) => Promise<HandlerResult>): Promise<HandlerResult> => {
      const r = await throttle.guard(request.ip, () => module.time(), fn);
      return 'wait' in r ? { status: 429, headers: { 'Retry-After': String(r.wait) } } : r.result;
    };

    const inviteInfo = (request: HttpRequest): Promise<HandlerResult> => counted(request, async (fail) => {
      // mod_invites refuses anything that is not a token's shape before it reaches the store.
      const lookup = await invites.get(request.rest);
      if (!lookup.ok) {
        fail();
        return 404;
      }
      const { invite } = lookup;
      // The Lua module's `jid = invite.jid` is always nil: Prosody's invites.get() drops the jid.
      return jsonReply(
        200,
        {
          site_name: siteName,
          token: invite.token,
          domain: module.host,
          uri: invite.uri,
          type: invite.type,
          ...(invite.inviter === undefined ? {} : { inviter: invite.inviter }),
          ...(invite.reset === undefined ? {} : { reset: invite.reset }),
        },
        { 'Cache-Control': 'no-store' },
      );
    });

    const register = (request: HttpRequest): Promise<HandlerResult> => counted(request, async (fail) => {
      const failed = (status: number): HandlerResult => {
        fail();
        return status;
      };
      const body = parseBody(request);
      if (body === undefined) return failed(400);
      // register() looks the invite up first: as the Lua module, an unknown one is 404 before the other fields are looked at.
      const result = await registration.register({ ...body, ip: request.ip, source: `mod_${module.name}`, ...(policy ? { policy } : {}) });
      if (!result.ok) {
        if (result.error !== 'refused') return failed(STATUS[result.error] ?? 400);
        fail();
        // COMPAT: the Lua module answers a bare 403; the user-registering handler's reason is meant for the user.
        throw new HttpError(403, 'forbidden', result.message);
      }
      return jsonReply(200, { jid: result.jid }, { 'Cache-Control': 'no-store' });
    });

    module.provides('http', { default_path: 'register_api', route: { 'GET /invite/*': inviteInfo, 'POST /register': { body: { maxSize: BODY_MAX_SIZE }, handler: register } } });
  },
});
