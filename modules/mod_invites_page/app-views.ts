/**
 * From the catalogue's apps to what the page shows, deciding where each app's button leads
 * (Prosody's render_app_urls): a store link that carries the invite (`magic_link_format`),
 * else this module's setup page for apps that take `xmpp:` invite URIs, else web registration
 * when mod_invites_register_web is enabled, else the setup page too.
 */
import type { ValidatedInvite } from '../mod_invites/types.js';
import type { SiteApp } from '../mod_register_apps/types.js';
import type { AppView } from './pages/view.js';
import { renderUrlTemplate, urlEncode } from './url-template.js';

export interface ProceedContext {
  invite: ValidatedInvite;
  /** Path of the invite page, e.g. `/invite`. */
  basePath: string;
  /** `invites_registration_page`, when a web registration module is enabled. */
  registrationTemplate: string | undefined;
}

export function setupPath(basePath: string, appId: string, token: string): string {
  return `${basePath}/setup/${urlEncode(appId)}?${token}`;
}

/**
 * `invites_registration_page` is relative to the invite page (Prosody); it is resolved here so
 * that the link also works from the setup pages one level down.
 */
export function registrationUrl(template: string, app: SiteApp, invite: ValidatedInvite, basePath: string): string {
  const url = renderUrlTemplate(template, { app, invite });
  if (/^[a-z][a-z0-9+.-]*:/i.test(url) || url.startsWith('/')) return url;
  const resolved = new URL(url, `http://invite.invalid${basePath || '/'}`);
  return resolved.pathname + resolved.search;
}

export function toAppView(app: SiteApp, { invite, basePath, registrationTemplate }: ProceedContext): AppView {
  let proceedUrl: string;
  let external = false;
  if (app.magic_link_format !== undefined) {
    proceedUrl = renderUrlTemplate(app.magic_link_format, { app, invite, base_url: basePath });
    external = true;
  } else if (app.supports_preauth_uri || registrationTemplate === undefined) {
    // COMPAT: Prosody sends apps without preauth support to web registration even when no
    // module serves it; without one, the setup page still explains what to do.
    proceedUrl = setupPath(basePath, app.id, invite.token);
  } else {
    proceedUrl = registrationUrl(registrationTemplate, app, invite, basePath);
  }
  const view: AppView = {
    id: app.id,
    name: app.name,
    text: app.text,
    image: app.image,
    platforms: app.platforms,
    supportsPreauth: app.supports_preauth_uri,
    proceedUrl,
    external,
    buttons: app.download.buttons,
  };
  if (app.download.text !== undefined) view.downloadText = app.download.text;
  if (app.setup?.text !== undefined) view.setupText = app.setup.text;
  return view;
}
