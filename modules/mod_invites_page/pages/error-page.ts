/**
 * Pages for links that lead nowhere. They never echo the token: whatever was in the URL
 * stays out of the page.
 */
import { html } from '../html.js';
import { layout } from './layout.js';
import type { SiteView } from './view.js';

export type ErrorKind = 'unknown' | 'expired' | 'revoked' | 'used' | 'unknown-app';

const TEXT: Record<ErrorKind, { status: number; heading: string; text: string }> = {
  unknown: {
    status: 404,
    heading: 'Invite not found',
    text: 'This invite link is not valid. Check that you opened the whole link, or ask the person who invited you for a new one. Invites can be used only once.',
  },
  expired: {
    status: 410,
    heading: 'Invite expired',
    text: 'Sorry, this invite has expired. Ask the person who invited you for a new one.',
  },
  revoked: {
    status: 410,
    heading: 'Invite revoked',
    text: 'Sorry, this invite has been revoked and can no longer be used. Ask the person who invited you for a new one.',
  },
  used: {
    status: 410,
    heading: 'Invite already used',
    text: 'This invite has already been used as often as it allows. If you created an account with it, open your chat app and sign in; otherwise ask the person who invited you for a new one.',
  },
  'unknown-app': {
    status: 404,
    heading: 'Unknown app',
    text: 'There is no setup page for this app. Go back to your invite and choose one from the list.',
  },
};

export function errorPage(site: SiteView, kind: ErrorKind): { status: number; body: string } {
  const t = TEXT[kind];
  const body = html`<header class="hero hero-error">
<p class="site-name">${site.siteName}</p>
<h1>${t.heading}</h1>
<p class="lead">${t.text}</p>
</header>`;
  return { status: t.status, body: layout(site, { title: `${t.heading} · ${site.siteName}`, body }) };
}
