/** What the page templates get: plain data, already decided; the templates only lay it out. */
import type { AppButton } from '../../mod_register_apps/types.js';

export interface SiteView {
  /** `site_name`, default the host. */
  siteName: string;
  host: string;
  /** Path of this module's app, e.g. `/invite`; links and assets hang off it. */
  basePath: string;
}

export interface AppView {
  id: string;
  name: string;
  text: string;
  image: string;
  platforms: string[];
  supportsPreauth: boolean;
  /** Where "Use this app" leads: a store link with the invite, the setup page, or web registration. */
  proceedUrl: string;
  /** The proceed URL leaves this site (a store page). */
  external: boolean;
  downloadText?: string;
  buttons: AppButton[];
  setupText?: string;
}

export type InviteKind = 'account' | 'account-for' | 'contact' | 'reset';
