/**
 * mod_invites_page: the page behind every invite link, as Prosody's community module of the
 * same name. It sets each new account invite's `landing_page` from the `invites_page` URL
 * template, and serves that page: who invited you, a button that opens the invite in an app,
 * the apps for your platform (from mod_register_apps), a QR code, and a setup page per app.
 */
import type { Invite, InviteLookup } from '../mod_invites/types.js';
import { defineModule } from 'canto/module-api';
import type { HttpReply, HttpRequest } from 'canto/module-api';
import { registrationUrl, toAppView } from './app-views.js';
import { linkHeader, originsOf, pageHeaders } from './headers.js';
import { errorPage, type ErrorKind } from './pages/error-page.js';
import { invitePage } from './pages/invite-page.js';
import { setupPage } from './pages/setup-page.js';
import type { SiteView } from './pages/view.js';
import { detectPlatform } from './platform.js';
import { qrSvg } from './qr.js';
import { renderUrlTemplate } from './url-template.js';
import { html, safeUrl } from './html.js';
import { layout } from './pages/layout.js';
import type { InvitesPageApi } from './types.js';

interface Options {
  invites_page?: string;
  invites_page_external: boolean;
  invites_registration_page: string;
  site_name?: string;
}

/**
 * The URL templates end up in a Location header and in pages: a control character (CR/LF above
 * all) would break the reply to every API request, after the invite was stored. Refused at load.
 */
const NO_CONTROLS = '^[^\\x00-\\x1f\\x7f]+$';

/** Tokens are base64url (Prosody's id.medium gives 24 characters); nothing else reaches storage. */
const TOKEN = /^[A-Za-z0-9_-]{1,64}$/;

export default defineModule<InvitesPageApi, Options>({
  dependencies: ['invites'],
  options: {
    type: 'object',
    properties: {
      invites_page: { type: 'string', minLength: 1, pattern: NO_CONTROLS },
      invites_page_external: { type: 'boolean', default: false },
      invites_registration_page: { type: 'string', pattern: NO_CONTROLS, default: 'register?t={invite.token}&c={app.id}' },
      site_name: { type: 'string', minLength: 1 },
    },
  },

  async load(module) {
    const { invites_page, invites_page_external: external, invites_registration_page } = module.options;
    const invites = await module.depends('invites');

    // Worked out per invite, not at load: under ctl there may be no HTTP port to build a URL from.
    const landingTemplate = (): string =>
      invites_page ?? (external ? `https://${module.host}/?{invite.token}` : `${module.httpUrl()}?{invite.token}`);

    module.hook<Invite>('invite-created', (invite) => {
      // As Prosody: only invites that can create an account have a page to land on.
      if (!invite.allow_registration) return;
      try {
        invite.landing_page = renderUrlTemplate(landingTemplate(), { host: module.host, invite });
      } catch (err) {
        module.log('warn', 'No landing page for the new invite: %s', err instanceof Error ? err.message : String(err));
      }
    });

    const site: SiteView = {
      siteName: module.options.site_name ?? module.host,
      host: module.host,
      basePath: external ? '' : new URL(module.httpUrl()).pathname.replace(/\/+$/, ''),
    };
    const api: InvitesPageApi = {
      site,
      pageUrl: (token) => (external ? renderUrlTemplate(landingTemplate(), { host: module.host, invite: { token } }) : `${site.basePath || '/'}?${token}`),
      html,
      renderUrl: renderUrlTemplate,
      safeUrl,
      layout: (title, body) => layout(site, { title, body }),
      headers: () => pageHeaders(),
    };
    if (external || module.processType !== 'server') return api;

    const registerApps = await module.depends('register_apps');
    const registrationTemplate = module.enabledModules.includes('invites_register_web') ? invites_registration_page : undefined;
    const serveStatic = module.serveStatic('static');
    // The form without a chosen app, relative to this page as `invites_registration_page` is.
    const webRegisterUrl = (token: string) => new URL(`register?t=${token}`, `http://invite.invalid${site.basePath || '/'}`).pathname + `?t=${token}`;

    const fail = (kind: ErrorKind): HttpReply => {
      const page = errorPage(site, kind);
      return { status: page.status, headers: pageHeaders(), body: page.body };
    };

    /** The invite named by the whole query string, as Prosody (`invites.get(request.url.query)`). */
    const lookup = async (request: HttpRequest): Promise<InviteLookup> => {
      const token = request.rawQuery;
      if (token === null || !TOKEN.test(token)) return { ok: false, reason: token === null ? 'no-token' : 'token-invalid' };
      return invites.get(token);
    };
    // COMPAT: Prosody answers 200 for a bad invite; a status tells clients and crawlers the truth.
    const failFor = (result: InviteLookup & { ok: false }) =>
      fail(result.reason === 'token-expired' ? 'expired' : result.reason === 'token-revoked' ? 'revoked' : result.reason === 'token-used' ? 'used' : 'unknown');

    const servePage = async (request: HttpRequest): Promise<HttpReply> => {
      const result = await lookup(request);
      if (!result.ok) return failFor(result);
      const { invite } = result;
      const platform = detectPlatform(request.headers['user-agent']);
      const apps = registerApps.apps();
      const forPlatform = platform === undefined ? apps : registerApps.appsFor(platform);
      const recommendedIds = new Set(forPlatform.map((app) => app.id));
      const context = { invite, basePath: site.basePath, registrationTemplate };
      const body = invitePage({
        site,
        invite,
        platform,
        recommended: forPlatform.map((app) => toAppView(app, context)),
        others: apps.filter((app) => !recommendedIds.has(app.id)).map((app) => toAppView(app, context)),
        qrSvg: await qrSvg(invite.uri),
        registerUrl: registrationTemplate === undefined ? undefined : webRegisterUrl(invite.token),
      });
      const headers: Record<string, string> = pageHeaders(originsOf(apps.map((app) => app.image)));
      const link = linkHeader(invite.uri);
      if (link !== undefined) headers.Link = link;
      return { status: 200, headers, body };
    };

    const serveSetup = async (request: HttpRequest): Promise<HttpReply> => {
      const result = await lookup(request);
      if (!result.ok) return failFor(result);
      const { invite } = result;
      const app = registerApps.app(request.rest);
      if (app === undefined) return fail('unknown-app');
      const view = toAppView(app, { invite, basePath: site.basePath, registrationTemplate });
      const body = setupPage({
        site,
        invite,
        app: view,
        inviteUrl: `${site.basePath || '/'}?${invite.token}`,
        registerUrl: registrationTemplate === undefined ? undefined : registrationUrl(registrationTemplate, app, invite, site.basePath),
      });
      const headers: Record<string, string> = pageHeaders(originsOf([app.image, ...app.download.buttons.map((b) => b.image ?? '')]));
      const link = linkHeader(invite.uri);
      if (link !== undefined) headers.Link = link;
      return { status: 200, headers, body };
    };

    module.provides('http', {
      route: {
        GET: servePage,
        'GET /setup/*': serveSetup,
        'GET /static/*': serveStatic,
      },
    });
    return api;
  },
});
