/**
 * The invite page: who invited you to what, the button that hands the invite to an app, the
 * apps for your platform (the rest one click away, in a <details> that needs no script), and
 * the QR code for moving to a phone.
 */
import type { ValidatedInvite } from '../../mod_invites/types.js';
import { html, raw, type SafeHtml } from '../html.js';
import { appList } from './app-card.js';
import { layout } from './layout.js';
import type { AppView, InviteKind, SiteView } from './view.js';

export interface InvitePageData {
  site: SiteView;
  invite: ValidatedInvite;
  /** The visitor's platform, when the User-Agent told us. */
  platform: string | undefined;
  /** Apps for that platform (all apps when the platform is unknown). */
  recommended: AppView[];
  /** Everything else. */
  others: AppView[];
  /** Inline SVG of the invite's xmpp: URI (our own markup). */
  qrSvg: string;
  /** Web registration for this invite (mod_invites_register_web), when enabled. */
  registerUrl?: string | undefined;
}

export function inviteKind(invite: ValidatedInvite): InviteKind {
  if (invite.reset !== undefined) return 'reset';
  if (invite.type === 'roster') return 'contact';
  return invite.username !== undefined ? 'account-for' : 'account';
}

interface Wording {
  title: string;
  heading: string;
  lead: SafeHtml;
  button: string;
}

export function wording(site: SiteView, invite: ValidatedInvite): Wording {
  const name = site.siteName;
  const xmpp = html`<strong>${name}</strong> is part of XMPP, an open network for secure, decentralized messaging.`;
  switch (inviteKind(invite)) {
    case 'reset':
      return {
        title: `Reset your password on ${name}`,
        heading: `Reset your password on ${name}`,
        lead: html`This link lets you choose a new password for <strong>${invite.reset}@${site.host}</strong>. Open it in your chat app and follow the steps there.`,
        button: 'Reset your password in your app',
      };
    case 'contact': {
      const withAccount = /;ibr=y(;|$)/.test(invite.uri);
      return {
        title: `Invite to ${name}`,
        heading: `You have been invited to chat with ${invite.inviter} on ${name}`,
        lead: withAccount
          ? html`Accept the invite to create your account; <strong>${invite.inviter}@${site.host}</strong> will be added to your contacts. ${xmpp}`
          : html`Accept the invite in your chat app to add <strong>${invite.inviter}@${site.host}</strong> to your contacts. ${xmpp}`,
        button: 'Accept the invite in your app',
      };
    }
    case 'account-for':
      return {
        title: `Invite to ${name}`,
        heading: `You have been invited to chat on ${name}`,
        lead: html`This invite creates the account <strong>${invite.username}@${site.host}</strong>. ${xmpp}`,
        button: 'Accept the invite in your app',
      };
    case 'account':
      return {
        title: `Invite to ${name}`,
        heading: `You have been invited to chat on ${name}`,
        lead: html`Accept the invite to create your account. ${xmpp}`,
        button: 'Accept the invite in your app',
      };
  }
}

function expiry(expires: number): SafeHtml {
  const iso = new Date(expires * 1000).toISOString();
  return html`<time datetime="${iso}">${iso.slice(0, 16).replace('T', ' ')} UTC</time>`;
}

function appsSection(data: InvitePageData): SafeHtml {
  const { platform, recommended, others } = data;
  if (recommended.length === 0 && others.length === 0) {
    return html`<section class="apps" aria-labelledby="apps-title"><h2 id="apps-title">Get an app</h2>
<p>Any XMPP chat app that accepts invites will do.</p></section>`;
  }
  const heading = platform === undefined ? 'Get an app' : `Recommended apps for ${platform}`;
  return html`<section class="apps" aria-labelledby="apps-title">
<h2 id="apps-title">${heading}</h2>
${recommended.length > 0 ? appList(recommended) : html`<p>We know of no app for ${platform ?? 'your device'}; see the other platforms below.</p>`}
${others.length > 0
    ? html`<details class="other-apps"${recommended.length === 0 ? html` open` : ''}>
<summary>Other platforms (${others.length} ${others.length === 1 ? 'app' : 'apps'})</summary>
${appList(others)}
</details>`
    : ''}
</section>`;
}

/**
 * Prosody's page links to "register an account manually"; where no app listed for the device
 * accepts invites, that is the way in, so it becomes a button.
 */
function webRegistration({ registerUrl, recommended, invite }: InvitePageData): SafeHtml | '' {
  if (registerUrl === undefined || invite.type === 'roster' && !/;ibr=y(;|$)/.test(invite.uri)) return '';
  if (recommended.some((app) => app.supportsPreauth)) {
    return html`<p class="hint">No app at hand? You can also <a href="${registerUrl}" id="register-web">register an account manually</a> on the web.</p>`;
  }
  return html`<p>None of the apps for your device accepts invites: create your account on the web, then sign in with any app below.</p>
<p class="actions"><a class="button button-primary" href="${registerUrl}" id="register-web">Register on the web</a></p>`;
}

export function invitePage(data: InvitePageData): string {
  const { site, invite } = data;
  const words = wording(site, invite);
  const onPhone = data.platform === 'Android' || data.platform === 'iOS';
  const body = html`<header class="hero">
<p class="site-name">${site.siteName}</p>
<h1>${words.heading}</h1>
<p class="lead">${words.lead}</p>
<p class="actions"><a class="button button-primary" id="open-invite" href="${invite.uri}">${words.button}</a></p>
<p class="hint" id="open-hint">Nothing happens? Install one of the apps below first, then come back and press the button again.</p>
${webRegistration(data)}
</header>
${appsSection(data)}
<section class="qr" aria-labelledby="qr-title">
<h2 id="qr-title">${onPhone ? 'Continue on another device' : 'Continue on your phone'}</h2>
<p>Scan this code with a phone's camera or chat app. It holds this invite's <code>xmpp:</code> address, which an XMPP app opens directly.</p>
<div class="qr-code">${raw(data.qrSvg)}</div>
</section>
<p class="expires">This invite is valid until ${expiry(invite.expires)}. It is personal: do not share this page.</p>`;
  return layout(site, { title: words.title, alternate: invite.uri, body });
}
