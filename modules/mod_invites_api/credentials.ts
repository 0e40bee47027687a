/**
 * Where a request carries its API key: `Authorization: Bearer ID/SECRET`, else `?key=ID/SECRET`.
 */
import type { HttpRequest } from 'canto/module-api';

export type Credentials = { key: string } | { error: 'no key' | 'bad Authorization header' };

export function credentials(request: HttpRequest): Credentials {
  const header = request.headers.authorization;
  if (header !== undefined) {
    // COMPAT: the scheme is case-insensitive (RFC 9110); Prosody accepts only `Bearer`.
    const match = /^\s*(\S+)\s+(\S+)\s*$/.exec(header);
    return match && match[1]!.toLowerCase() === 'bearer' ? { key: match[2]! } : { error: 'bad Authorization header' };
  }
  // COMPAT: no query string is a 403 here; Prosody crashes with a 500.
  const key = request.query.get('key');
  return key ? { key } : { error: 'no key' };
}

/** `redirect` given with a true-ish value (or none: `?redirect`). */
export function wantsRedirect(query: URLSearchParams): boolean {
  const value = query.get('redirect');
  // COMPAT: Prosody redirects for any value, even `redirect=false`; we honour an explicit no.
  return value !== null && ['', 'true', '1', 'yes'].includes(value.toLowerCase());
}

export function wantsJson(accept: string | undefined): boolean {
  return accept !== undefined && /\bapplication\/json\b/i.test(accept);
}
