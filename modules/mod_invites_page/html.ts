/**
 * HTML without a template engine: the `html` tag escapes every interpolated value unless it
 * is already `SafeHtml` (another `html` result, or `raw()` for markup we generated ourselves).
 * A value can only reach the page escaped, so a hostile token or site name stays text.
 */

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export type HtmlValue = SafeHtml | string | number | boolean | null | undefined | readonly HtmlValue[];

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escape `& < > " '` (Prosody's xml_escape set), for text and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

function render(value: HtmlValue): string {
  if (value === null || value === undefined || value === false || value === true) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map(render).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: HtmlValue[]): SafeHtml {
  let out = strings[0]!;
  values.forEach((value, i) => (out += render(value) + strings[i + 1]!));
  return new SafeHtml(out);
}

/** Markup that is trusted as is (our own QR SVG). Never pass request data here. */
export function raw(markup: string): SafeHtml {
  return new SafeHtml(markup);
}

/**
 * A URL for an `href`/`src`: http(s), xmpp and same-site paths pass; anything else (`javascript:`,
 * `data:` from a misconfigured app list) becomes `#`. The `html` tag still escapes the result.
 */
export function safeUrl(url: string): string {
  // Browsers drop leading spaces and inner tabs/newlines before reading a scheme: refuse both.
  if (/^\s|[\u0000-\u001f\u007f]/.test(url)) return '#';
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === undefined) return url.startsWith('//') || url.startsWith('\\') || url.startsWith('/\\') ? '#' : url;
  return ['http', 'https', 'xmpp'].includes(scheme) ? url : '#';
}
