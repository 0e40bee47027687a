/**
 * mod_register_apps' public API, as other modules get it from `await module.depends('register_apps')`.
 * App fields keep Prosody's names (`supports_preauth_uri`, `magic_link_format`, ...), so a
 * `site_apps` table written for Prosody means the same here.
 */

/** A download button on an app's setup page. */
export interface AppButton {
  /** Button label, e.g. "Get it on Google Play". */
  text?: string;
  /** Badge image instead of a label (Prosody's field); absolute URL or path under /register_apps/assets. */
  image?: string;
  /** Alt text for `image`. */
  alttext?: string;
  url: string;
  target?: string;
}

/** One chat app, as written in `site_apps` or provided by a module as a `site-app` item. */
export interface AppSpec {
  /** Defaults to the name lower-cased with each run of non-alphanumerics replaced by `-` (Prosody). */
  id?: string;
  name: string;
  text?: string;
  /** Logo: an absolute URL, or a path relative to this module's URL (`assets/logos/x.svg`). */
  image?: string;
  /** The app's home or store page. */
  link?: string;
  /** Platform names as shown: `Android`, `iOS`, `Linux`, `Windows`, `macOS`, ... */
  platforms?: string[];
  /** The app accepts `xmpp:...;preauth=TOKEN` URIs, so the invite can be handed to it directly. */
  supports_preauth_uri?: boolean;
  /** URL template for a link that installs the app with the invite attached, e.g. `{app.link!}&referrer={invite.uri}`. */
  magic_link_format?: string;
  /**
   * URL template that web registration (mod_invites_register_web) sends the new user to instead
   * of its success page, e.g. `https://chat.example.com/#login?jid={username}@{domain}`. Its
   * variables: `site_name`, `username`, `domain`, `app`. Prosody also fills in `{password}`;
   * Canto never puts a password in a URL, so `{password}` is left empty.
   */
  login_link_format?: string;
  download?: { text?: string; buttons?: AppButton[] };
  setup?: { text?: string };
}

/** An app after normalisation: id set, logo resolved, lists present. */
export interface SiteApp extends AppSpec {
  id: string;
  text: string;
  /** A root-relative path (this server's logos) or an absolute URL. */
  image: string;
  link: string;
  platforms: string[];
  supports_preauth_uri: boolean;
  download: { text?: string; buttons: AppButton[] };
  /** Which module the app came from (`register_apps` for the configured list). */
  source: string;
}

export interface RegisterAppsApi {
  /** Every app after `site_apps_show`/`site_apps_hide`, configured ones first, then module-provided ones. */
  apps(): SiteApp[];
  /** The apps whose `platforms` include `platform` (case-insensitive), in catalogue order. */
  appsFor(platform: string): SiteApp[];
  /** One app by id, or `undefined` (also when hidden). */
  app(id: string): SiteApp | undefined;
}

declare module 'canto/module-api' {
  interface ModuleApis {
    register_apps: RegisterAppsApi;
  }
}
