/** One app in the list: logo, name, platforms, text and the button that continues with it. */
import { html, safeUrl, type SafeHtml } from '../html.js';
import type { AppView } from './view.js';

/** `withButton: false` for the setup page, where the steps below the card are the actions. */
export function appCard(app: AppView, withButton = true): SafeHtml {
  const rel = app.external ? 'noopener noreferrer' : undefined;
  return html`<li class="app-card" data-app="${app.id}">
<img class="app-logo" src="${safeUrl(app.image)}" alt="" width="56" height="56">
<div class="app-body">
<h3 class="app-name">${app.name}</h3>
<p class="badges">${app.platforms.map((p) => html`<span class="badge">${p}</span> `)}${app.supportsPreauth ? html`<span class="badge badge-invite">accepts invites</span>` : ''}</p>
<p class="app-text">${app.text}</p>
${withButton ? html`<a class="button" href="${safeUrl(app.proceedUrl)}"${rel ? html` rel="${rel}"` : ''}>Use ${app.name}</a>` : ''}
</div>
</li>`;
}

export function appList(apps: readonly AppView[]): SafeHtml {
  return html`<ul class="app-list">${apps.map((app) => appCard(app))}</ul>`;
}
