/** The page shell shared by every page of the module: head, stylesheet, script, footer. */
import { html, type SafeHtml } from '../html.js';
import type { SiteView } from './view.js';

export interface LayoutOptions {
  title: string;
  /** The invite's xmpp: URI, as `<link rel="alternate">` (Prosody sends it as a header too). */
  alternate?: string;
  body: SafeHtml;
}

export function layout(site: SiteView, { title, alternate, body }: LayoutOptions): string {
  const page = html`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex, nofollow">
<title>${title}</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="${site.basePath}/static/invite.css">
${alternate === undefined ? '' : html`<link rel="alternate" href="${alternate}">`}
<script src="${site.basePath}/static/invite.js" defer></script>
</head>
<body>
<main class="page">
${body}
</main>
<footer class="site-footer"><p>${site.siteName} · chat with any XMPP app</p></footer>
</body>
</html>
`;
  return page.value;
}
