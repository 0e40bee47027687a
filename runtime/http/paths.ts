/**
 * Paths: where an app is mounted (Prosody mod_http's get_base_path) and how a request's path
 * and Host header are normalized before routing (net/http/parser.lua's preprocess_path).
 */
import { isTable } from './option-values.js';

/** Leading '/', no trailing '/' ('/' stays '/'), as mod_http's normalize_path. */
export function normalizeBasePath(path: string): string {
  let p = path.endsWith('/') ? path.slice(0, -1) : path;
  if (!p.startsWith('/')) p = '/' + p;
  return p;
}

/**
 * An app's base path: `http_paths[appName]`, else `defaultPath`, else `/<appName>`; `$host` is
 * replaced by the host. `httpPaths` is an option getter (host section, then global): it is
 * called as `httpPaths('http_paths')` and returns the table or undefined.
 */
export function basePathFor(
  appName: string,
  defaultPath: string | undefined,
  httpPaths: (name: string) => unknown,
  host: string,
): string {
  const table = httpPaths('http_paths');
  const configured = isTable(table) ? table[appName] : undefined;
  const path = typeof configured === 'string' ? configured : defaultPath ?? '/' + appName;
  return normalizeBasePath(path.replace(/\$(\w+)/g, (whole, name: string) => (name === 'host' ? host : whole)));
}

/**
 * A request path as handlers see it: URL-decoded, `//` collapsed, `.` and `..` resolved.
 * Returns null for a path that cannot be decoded, holds a NUL, or climbs above the root.
 */
// COMPAT: Prosody leaves `.`/`..` segments in place after checking them; resolving them
// makes route matching and wildcard `rest` canonical.
export function normalizeRequestPath(rawPath: string): string | null {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath.replace(/\/\/+/g, '/'));
  } catch {
    return null;
  }
  if (decoded.includes('\0')) return null;
  const segments: string[] = [];
  const parts = decoded.split('/');
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const last = i === parts.length - 1;
    if (part === '..') {
      if (segments.length === 0) return null;
      segments.pop();
      if (last) segments.push('');
    } else if (part === '.') {
      if (last) segments.push('');
    } else if (part !== '' || last) {
      segments.push(part);
    }
  }
  return '/' + segments.join('/');
}

/** The Host header without its port, lower-cased; '' when missing or empty. */
// COMPAT: Prosody matches the Host header case-sensitively; host names are case-insensitive.
export function hostFromHeader(header: string | undefined): string {
  if (!header) return '';
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end < 0 ? h : h.slice(0, end + 1);
  }
  const colon = h.indexOf(':');
  // "example.com." is the same host written fully qualified.
  return (colon < 0 ? h : h.slice(0, colon)).replace(/\.$/, '');
}
