/**
 * mod_invites_register_web: a web form that turns an invite into an account, as Prosody's
 * module of the same name (`GET /register?t=TOKEN[&c=APP]`, the form's POST, `site_name`,
 * `webchat_url`), for visitors whose device has no app that accepts invites.
 *
 * Unlike Prosody's: the form carries a CSRF token; the password is never echoed, logged or put
 * in a URL (an app's `login_link_format` gets no `{password}`); failed attempts are throttled per address; the invite is consumed together with the
 * account's creation (mod_invites_register), and username-bound and reset invites are enforced.
 */
import type { HandlerResult, HttpReply, HttpRequest } from 'canto/module-api';
import { defineModule } from 'canto/module-api';
import type { SiteApp } from '../mod_register_apps/types.js';
import type { ValidatedInvite } from '../mod_invites/types.js';
import { csrfFor, csrfValid, parseForm } from './form.js';
import { errorPage, registerPage, successPage } from './pages.js';

interface Options {
  webchat_url?: string;
  invites_register_max_failures: number;
  invites_register_failure_window: number;
}

const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

/** Form errors keep the form; each gets the status that says what went wrong. */
const STATUS: Record<string, number> = {
  'missing-fields': 400,
  'invalid-username': 400,
  'wrong-username': 400,
  'password-policy': 400,
  'invalid-password': 400,
  'username-taken': 409,
  refused: 403,
};

/** The form's fields: a username and password of up to 1023 characters each, percent-encoded, the token, CSRF value and app id. */
const FORM_MAX_SIZE = 16 * 1024;

export default defineModule<void, Options>({
  dependencies: ['register_apps', 'invites', 'invites_page', 'invites_register', 'password_policy'],
  options: {
    type: 'object',
    properties: {
      webchat_url: { type: 'string', minLength: 1 },
      invites_register_max_failures: { type: 'integer', minimum: 1, default: 10 },
      invites_register_failure_window: { type: 'integer', minimum: 1, default: 60 },
    },
  },

  async load(module) {
    // Refuses to load, naming the option, when `authentication` is not a provider Canto manages.
    module.accounts();
    if (module.processType !== 'server') return;
    const invites = await module.depends('invites');
    const apps = await module.depends('register_apps');
    const page = await module.depends('invites_page');
    const registration = await module.depends('invites_register');
    const policy = await module.depends('password_policy');
    const throttle = module.failureThrottle({ max: module.options.invites_register_max_failures, window: module.options.invites_register_failure_window });
    const path = () => new URL(module.httpUrl()).pathname;

    const reply = (status: number, body: string, extra: Record<string, string> = {}): HttpReply => ({ status, headers: { ...page.headers(), ...extra }, body });

    /** As Prosody, a bad invite goes back to the invite page, which says what is wrong with it. */
    const toInvitePage = (token: string | null | undefined, rawQuery: string | null): HttpReply => ({
      status: 303,
      // COMPAT: Prosody appends the whole query ("t=...&c=..."); the token alone names the invite.
      headers: { Location: token && TOKEN.test(token) ? page.pageUrl(token) : `${page.pageUrl('')}${rawQuery ?? ''}`, 'Cache-Control': 'no-store' },
    });

    const form = (request: HttpRequest, invite: ValidatedInvite, app: SiteApp | undefined, status: number, extra: { username?: string; message?: string; danger?: boolean } = {}): HttpReply => {
      const csrf = csrfFor(request, path());
      const view = {
        invite,
        app,
        csrf: csrf.value,
        minLength: policy.getPolicy().length,
        username: extra.username ?? '',
        ...(extra.message === undefined ? {} : { message: extra.message, messageClass: extra.danger ? ('alert-danger' as const) : ('alert-warning' as const) }),
      };
      return reply(status, registerPage(page, view), csrf.setCookie === undefined ? {} : { 'Set-Cookie': csrf.setCookie });
    };

    const tooMany = (wait: number): HttpReply =>
      reply(429, errorPage(page, 'Too many failed attempts from your address. Please wait a minute and try again.'), { 'Retry-After': String(wait) });

    const serveForm = async (request: HttpRequest): Promise<HandlerResult> => {
      const token = request.query.get('t');
      const lookup = await invites.get(token);
      if (!lookup.ok) return toInvitePage(token, request.rawQuery);
      const appId = request.query.get('c');
      return form(request, lookup.invite, appId ? apps.app(appId) : undefined, 200);
    };

    // Counted before it is checked, so parallel or pipelined guesses get no more than the budget.
    const submit = async (request: HttpRequest): Promise<HandlerResult> => {
      const counted = await throttle.guard(request.ip, () => module.time(), (failed) => check(request, failed));
      return 'wait' in counted ? tooMany(counted.wait) : counted.result;
    };

    const check = async (request: HttpRequest, failed: () => void): Promise<HandlerResult> => {
      const fields = parseForm(request);
      if (fields === undefined) {
        failed();
        return reply(400, errorPage(page, 'The form could not be read: a field is missing or too long.'));
      }
      const app = fields.app_id ? apps.app(fields.app_id) : undefined;
      if (!csrfValid(request, fields.csrf)) {
        failed();
        const lookup = await invites.get(fields.token);
        if (!lookup.ok) return toInvitePage(fields.token, request.rawQuery);
        return form(request, lookup.invite, app, 403, { username: fields.user, message: 'This form has expired. Please enter your password again and submit.' });
      }
      // register() looks the invite up itself; an unusable one goes back to the invite page.
      const result = await registration.register({
        token: fields.token,
        username: fields.user,
        password: fields.password,
        ip: request.ip,
        source: `mod_${module.name}`,
        policy,
      });
      if (!result.ok) {
        failed();
        if (result.error === 'invalid-token') return toInvitePage(fields.token, request.rawQuery);
        // A user-registering handler's refusal keeps the form too (Prosody shows its error page), so the reason sits beside the fields.
        return form(request, result.invite, app, STATUS[result.error] ?? 400, { username: fields.user, message: result.message, danger: result.error === 'refused' });
      }
      if (app?.login_link_format !== undefined && !result.reset) {
        // As Prosody: an app that can take the new account by link gets it instead of the success page.
        // COMPAT: Prosody fills `{password}` in too; a password never goes into a URL here, so it is empty.
        const location = page.renderUrl(app.login_link_format, { site_name: page.site.siteName, username: result.username, domain: module.host, app, password: '' });
        return { status: 303, headers: { Location: location, 'Cache-Control': 'no-store' } };
      }
      const webchatUrl = module.options.webchat_url;
      return reply(
        200,
        successPage(page, {
          jid: result.jid,
          reset: result.reset,
          app,
          inviter: result.invite.inviter,
          contactAdded: result.contactAdded,
          webchatUrl,
        }),
        // The page names the account; no cache, no intermediary may keep it (Prosody's three headers).
        { 'Cache-Control': 'no-cache, no-store, must-revalidate', Pragma: 'no-cache', Expires: '0' },
      );
    };

    module.provides('http', { default_path: 'register', route: { GET: serveForm, POST: { body: { maxSize: FORM_MAX_SIZE }, handler: submit } } });
  },
});
