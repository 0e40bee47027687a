/**
 * The small HTML page sent with every status >= 400, after Prosody's mod_http_errors:
 * `<title>` and `<h1>` read "403 Forbidden", one short line below. Anything that may come
 * from a request (an unknown Host, say) is escaped; nothing else about the request is shown.
 */
import { createHash } from 'node:crypto';
import { STATUS_CODES } from 'node:http';

// mod_http_errors' messages; Prosody picks 404 and 500 at random from a list, we keep one of each.
const messages: Record<number, string> = {
  400: 'What kind of request do you call that??',
  403: "You're not allowed to do that.",
  404: 'Whatever you were looking for is not here. Keep looking.',
  405: 'That method is not allowed here.',
  413: 'That is more than we can take.',
  431: 'Those headers are too large.',
  500: 'It broke, sorry.',
  501: "Don't know how to handle that.",
  503: 'Not available right now, try again later.',
};
const defaultMessage = "That's all I know.";

const STYLE = `
body{margin-top:14%;text-align:center;background-color:#f8f8f8;font-family:sans-serif}
h1{font-size:xx-large}
p{font-size:x-large}
@media(prefers-color-scheme:dark){body{background-color:#161616;color:#eee}}
`;

/** The reason phrase for a status; unknown codes read "Unassigned", as in Prosody's net/http/codes.lua. */
export function reasonPhrase(status: number): string {
  return STATUS_CODES[status] ?? 'Unassigned';
}

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** The error page for `status`; `message` (escaped here) replaces the default line. */
export function errorPage(status: number, message?: string): string {
  const title = escapeHtml(`${status} ${reasonPhrase(status)}`);
  const line = escapeHtml(message ?? messages[status] ?? defaultMessage);
  return `<!DOCTYPE html>
<html>
<head>
<meta charset="utf-8">
<title>${title}</title>
<style>${STYLE}</style>
</head>
<body>
<h1>${title}</h1>
<p>${line}</p>
</body>
</html>
`;
}

export const ERROR_PAGE_TYPE = 'text/html; charset=utf-8';

/**
 * The invite pages' policy (mod_invites_page/headers.ts), with the page's one inline style
 * allowed by its hash: an error page may echo a request's path or host, so it gets the same
 * guard as the pages that show a token.
 */
export const ERROR_PAGE_CSP = [
  "default-src 'none'",
  `style-src 'self' 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'`,
  "img-src 'self' data:",
  "script-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** Headers of every error page, in this order. */
export const ERROR_PAGE_HEADERS: readonly [string, string][] = [
  ['Content-Type', ERROR_PAGE_TYPE],
  ['Content-Security-Policy', ERROR_PAGE_CSP],
  ['X-Content-Type-Options', 'nosniff'],
];
