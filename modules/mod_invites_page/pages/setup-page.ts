/**
 * `/setup/<app>?TOKEN`: install this one app, then hand it the invite. Prosody's client.html,
 * without the scripts it needed.
 */
import type { ValidatedInvite } from '../../mod_invites/types.js';
import { html, safeUrl } from '../html.js';
import { appCard } from './app-card.js';
import { wording } from './invite-page.js';
import { layout } from './layout.js';
import type { AppView, SiteView } from './view.js';

export interface SetupPageData {
  site: SiteView;
  invite: ValidatedInvite;
  app: AppView;
  /** Link back to the invite page with all apps. */
  inviteUrl: string;
  /** Web registration for apps that cannot take the invite (mod_invites_register_web), if enabled. */
  registerUrl: string | undefined;
}

export function setupPage({ site, invite, app, inviteUrl, registerUrl }: SetupPageData): string {
  const words = wording(site, invite);
  const buttons = app.buttons.map((b) => {
    const label = b.text ?? `Download ${app.name}`;
    const content = b.image !== undefined ? html`<img src="${safeUrl(b.image)}" alt="${b.alttext ?? label}">` : label;
    return html`<a class="button" href="${safeUrl(b.url)}" rel="noopener noreferrer">${content}</a> `;
  });
  const step2 = app.supportsPreauth
    ? html`<p>Installed? Press the button to open your invite in ${app.name} and finish there.</p>
<p class="actions"><a class="button button-primary" id="open-invite" href="${invite.uri}">Accept the invite with ${app.name}</a></p>`
    : registerUrl !== undefined
      ? html`<p>${app.name} cannot take invites directly. Create your account on the web first, then sign in with ${app.name}.</p>
<p class="actions"><a class="button button-primary" href="${safeUrl(registerUrl)}">Create your account</a></p>
${app.setupText === undefined ? '' : html`<p>${app.setupText}</p>`}`
      : html`<p>${app.name} may not accept invite links. Try the button; if nothing happens, go back and pick an app marked “accepts invites”.</p>
<p class="actions"><a class="button button-primary" id="open-invite" href="${invite.uri}">Accept the invite with ${app.name}</a></p>
${app.setupText === undefined ? '' : html`<p>${app.setupText}</p>`}`;
  const body = html`<header class="hero">
<p class="site-name">${site.siteName}</p>
<h1>Join ${site.siteName} with ${app.name}</h1>
<p class="lead">${words.lead}</p>
</header>
<ul class="app-list app-list-single">${appCard(app, false)}</ul>
<section class="steps">
<h2>Step 1: Install ${app.name}</h2>
<p>${app.downloadText ?? `Download and install ${app.name}:`}</p>
<p class="actions">${buttons}</p>
<h2>Step 2: Accept your invite</h2>
${step2}
</section>
${registerUrl !== undefined && app.supportsPreauth ? html`<p class="hint">Or <a href="${safeUrl(registerUrl)}" id="register-web">register an account manually</a> on the web and sign in with ${app.name}.</p>` : ''}
<p><a href="${inviteUrl}">← Choose another app</a></p>`;
  return layout(site, { title: `${words.title}: ${app.name}`, alternate: invite.uri, body });
}
