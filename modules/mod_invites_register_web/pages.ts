/**
 * The pages of web registration, in the invite page's shell (same stylesheet, same strict CSP,
 * no script needed): Prosody's register.html, register_success(_setup).html and
 * register_error.html, except that the password is never written into a page.
 */
import type { ValidatedInvite } from '../mod_invites/types.js';
import type { SiteApp } from '../mod_register_apps/types.js';
import type { InvitesPageApi, SafeHtml } from '../mod_invites_page/types.js';

export interface FormView {
  invite: ValidatedInvite;
  app: SiteApp | undefined;
  csrf: string;
  minLength: number;
  /** What the user typed (never the password). */
  username: string;
  message?: string;
  messageClass?: 'alert-warning' | 'alert-danger';
}

export function registerPage(page: InvitesPageApi, view: FormView): string {
  const { html } = page;
  const { site } = page;
  const { invite, app } = view;
  const reset = invite.reset;
  const fixed = reset ?? invite.username;
  const title = reset !== undefined ? `Reset your password on ${site.siteName}` : `Register on ${site.siteName}`;
  const lead =
    reset !== undefined
      ? html`Choose a new password for <strong>${reset}@${site.host}</strong>.`
      : html`${site.siteName} is part of XMPP, a secure and decentralized messaging network. To begin chatting${app ? html` using ${app.name}` : ''} you need to first register an account.`;
  const withApp =
    app?.supports_preauth_uri && reset === undefined
      ? html`<section class="steps"><h2>${app.name} already installed?</h2>
<p>We recommend that you continue in the app: this button works only if ${app.name} is installed already.</p>
<p class="actions"><a class="button" href="${page.safeUrl(invite.uri)}">Open the app</a></p></section>`
      : '';
  const contacts = invite.inviter !== undefined ? html`<p>Creating an account will allow you to communicate with ${invite.inviter} and other people on ${site.siteName} and other services on the XMPP network.</p>` : '';
  const body = html`<header class="hero">
<p class="site-name">${site.siteName}</p>
<h1>${title}</h1>
<p class="lead">${lead}</p>
${contacts}
</header>
${withApp}
<section class="steps">
<h2>${reset !== undefined ? 'New password' : 'Create an account'}</h2>
${view.message === undefined ? '' : html`<p class="alert ${view.messageClass ?? 'alert-warning'}" role="alert" id="form-message">${view.message}</p>`}
<form class="form" method="post" action="">
<div>
<label for="user">Username</label>
<div class="field-row"><input id="user" type="text" name="user" value="${fixed ?? view.username}" required maxlength="1023" autocomplete="username" autocapitalize="none" spellcheck="false"${fixed !== undefined ? html` readonly` : html` autofocus`}><span class="field-suffix">@${site.host}</span></div>
<p class="help">${fixed !== undefined ? 'This invite is for this username.' : 'Choose a username, this will become the first part of your new chat address.'}</p>
</div>
<div>
<label for="password">Password</label>
<input id="password" type="password" name="password" required minlength="${view.minLength}" maxlength="1023" autocomplete="new-password">
<p class="help">Enter a secure password that you do not use anywhere else (at least ${view.minLength} characters).</p>
</div>
<input type="hidden" name="token" value="${invite.token}">
<input type="hidden" name="csrf" value="${view.csrf}">
${app ? html`<input type="hidden" name="app_id" value="${app.id}">` : ''}
<p class="actions"><button class="button button-primary" type="submit" id="submit">${reset !== undefined ? 'Set the new password' : 'Create account'}</button></p>
</form>
</section>`;
  return page.layout(title, body);
}

export interface SuccessView {
  jid: string;
  reset: boolean;
  app: SiteApp | undefined;
  inviter: string | undefined;
  contactAdded: boolean;
  webchatUrl: string | undefined;
}

export function successPage(page: InvitesPageApi, view: SuccessView): string {
  const { html, site } = page;
  const { app } = view;
  const buttons: SafeHtml[] = (app?.download.buttons ?? []).map(
    (b) => html`<a class="button" href="${page.safeUrl(b.url)}" rel="noopener noreferrer">${b.image !== undefined ? html`<img src="${page.safeUrl(b.image)}" alt="${b.alttext ?? b.text ?? `Download ${app!.name}`}">` : (b.text ?? `Download ${app!.name}`)}</a> `,
  );
  const next = view.reset
    ? html`<p>Sign in again in your chat app with your address and the new password.</p>`
    : app
      ? html`<h2>Step 1: Download and install ${app.name}</h2>
<p>${app.download.text ?? `Download and install ${app.name} below:`}</p>
<p class="actions">${buttons}</p>
<h2>Step 2: Connect ${app.name} to your new account</h2>
<p>${app.setup?.text ?? `Launch ${app.name} and sign in using your account credentials.`}</p>`
      : html`<p>To start chatting, enter your new address and the password you just chose into your XMPP app.</p>`;
  const webchat = view.webchatUrl && !view.reset
    ? html`<p class="alert alert-success">No suitable app installed right now? You can also <a href="${page.safeUrl(view.webchatUrl)}">log in through our web chat</a>.</p>`
    : '';
  const contact =
    view.inviter === undefined || view.reset
      ? ''
      : view.contactAdded
        ? html`<p><strong>${view.inviter}@${site.host}</strong> is in your contacts already.</p>`
        : html`<p>To chat with the person who invited you, add <strong>${view.inviter}@${site.host}</strong> as a contact in your app.</p>`;
  const body = html`<header class="hero">
<p class="site-name">${site.siteName}</p>
<h1>${view.reset ? 'Your password has been changed' : 'Congratulations!'}</h1>
<p class="lead">${view.reset ? html`The password of your account on ${site.siteName} is the one you just chose.` : html`You have created an account on ${site.siteName}.`}</p>
<p>Your chat address:</p>
<p class="account-address" id="account-address">${view.jid}</p>
</header>
<section class="steps">
${next}
${contact}
${webchat}
<p>Your password is stored encrypted on the server and is not shown again: keep it safe and never share it with anyone.</p>
</section>`;
  return page.layout(view.reset ? 'Password changed' : `Welcome to ${site.siteName}`, body);
}

export function errorPage(page: InvitesPageApi, message: string): string {
  const { html, site } = page;
  return page.layout(
    `Invite to ${site.siteName}`,
    html`<header class="hero"><p class="site-name">${site.siteName}</p><h1>Registration error</h1>
<p class="alert alert-danger" role="alert">${message}</p></header>`,
  );
}
