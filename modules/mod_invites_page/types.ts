/**
 * mod_invites_page's public API (`await module.depends('invites_page')`): its URL, and the page
 * shell, escaping and headers, so pages of other modules (web registration) look the same and
 * are sent under the same strict Content-Security-Policy.
 */
import type { SafeHtml, HtmlValue } from './html.js';
import type { SiteView } from './pages/view.js';

export type { SafeHtml, HtmlValue, SiteView };

export interface InvitesPageApi {
  /** `site_name` (default the host), the host, and this module's path. */
  readonly site: SiteView;
  /** The invite page of a token (a path on this server, or the external template's URL). */
  pageUrl(token: string): string;
  /** The `html` tag: every interpolated value is escaped unless it is itself `SafeHtml`. */
  html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml;
  /**
   * A URL template as Prosody's util.interpolation renders it for URLs (`{a.b}` looked up and
   * URL-escaped, `{a.b!}` raw, `|urlescape` and `|noscheme` filters; no value: left as written),
   * the way `magic_link_format` is rendered; for other modules' templates (`login_link_format`).
   */
  renderUrl(template: string, vars: Record<string, unknown>): string;
  /** A URL that is safe in `href` (http, https, xmpp, same-site paths), else `#`. */
  safeUrl(url: string): string;
  /** A whole page in the invite page's shell (stylesheet, script, footer). */
  layout(title: string, body: SafeHtml): string;
  /** The invite page's response headers (CSP, no referrer, `Cache-Control: no-store`). */
  headers(): Record<string, string>;
}

declare module 'canto/module-api' {
  interface ModuleApis {
    invites_page: InvitesPageApi;
  }
}
