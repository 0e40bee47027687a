/**
 * URL templates such as `invites_page = "https://example.com/invite?{invite.token}"` or an app's
 * `magic_link_format = "{app.link!}&referrer={invite.uri}"`: Prosody's util.interpolation with
 * URL-escaping. `{a.b}` is looked up and escaped, `{a.b!}` is inserted raw, `|noscheme` and
 * `|urlescape` are filters, and a placeholder with no value is left as written (as Prosody).
 */

/** Prosody's util.http.urlencode: everything but `A-Za-z0-9.~_-` is %XX-encoded (UTF-8). */
export function urlEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

const FILTERS: Record<string, (s: string) => string> = {
  urlescape: urlEncode,
  noscheme: (s) => s.replace(/^[^:]+:/, ''),
};

function lookup(vars: Record<string, unknown>, path: string): unknown {
  let value: unknown = vars;
  for (const key of path.split('.')) {
    if (typeof value !== 'object' || value === null || !Object.hasOwn(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

export function renderUrlTemplate(template: string, vars: Record<string, unknown>): string {
  return template.replace(/\{([^{}]*)\}/g, (whole, expr: string) => {
    const m = /^([A-Za-z_][\w]*(?:\.[A-Za-z_][\w]*)*)(!?)((?:\|[a-z]+)*)$/.exec(expr);
    if (!m) return whole;
    const value = lookup(vars, m[1]!);
    if (typeof value !== 'string' && typeof value !== 'number') return whole;
    let text = String(value);
    for (const name of m[3]!.split('|').slice(1)) {
      const filter = FILTERS[name];
      if (!filter) return whole;
      text = filter(text);
    }
    return m[2] === '!' ? text : urlEncode(text);
  });
}
