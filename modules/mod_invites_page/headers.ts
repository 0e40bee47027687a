/**
 * Response headers of the invite pages. The token is in the URL, so nothing may leak it:
 * no referrer, no caching, no third-party requests (the CSP allows only this server).
 */

/**
 * `extraImageOrigins`: origins of logos an operator configured as absolute URLs in `site_apps`;
 * the built-in logos are served by Canto itself.
 */
export function contentSecurityPolicy(extraImageOrigins: readonly string[] = []): string {
  return [
    "default-src 'none'",
    "style-src 'self'",
    ['img-src', "'self'", 'data:', ...extraImageOrigins].join(' '),
    "script-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ');
}

export function pageHeaders(extraImageOrigins: readonly string[] = []): Record<string, string> {
  return {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Security-Policy': contentSecurityPolicy(extraImageOrigins),
    'Referrer-Policy': 'no-referrer',
    'X-Content-Type-Options': 'nosniff',
    'Cache-Control': 'no-store',
    // The app list depends on the visitor's platform.
    Vary: 'User-Agent',
  };
}

/** Origins (scheme://host[:port]) of absolute http(s) URLs, deduplicated, for the CSP. */
export function originsOf(urls: readonly string[]): string[] {
  const origins = new Set<string>();
  for (const url of urls) {
    if (!/^https?:\/\//i.test(url)) continue;
    try {
      origins.add(new URL(url).origin);
    } catch {
      // Not a URL; safeUrl keeps it out of the page anyway.
    }
  }
  return [...origins];
}

/**
 * `Link: <xmpp:...>; rel="alternate"` (Prosody). The URI is built from the host and a checked
 * token, but anything that could end the header value or the `<...>` is refused regardless.
 */
export function linkHeader(uri: string): string | undefined {
  return /^xmpp:[^\s<>"\u0000-\u001f\u007f]+$/.test(uri) ? `<${uri}>; rel="alternate"` : undefined;
}
