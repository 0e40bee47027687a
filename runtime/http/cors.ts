/**
 * CORS as Prosody's mod_http adds it (section 6 of the internals notes): on for every app
 * unless `http_default_cors_enabled = false` or the app / `http_cors_override[app]` says
 * `enabled = false`; the same headers on every response of the app, error pages included.
 */
import type { CorsOptions } from './types.js';
import { isTable, optionBoolean, optionList, optionNumber } from './option-values.js';

export interface ResolvedCors {
  readonly enabled: boolean;
  readonly credentials: boolean;
  /** Access-Control-Allow-Headers, in order (Content-Type first by default). */
  readonly headers: readonly string[];
  /** `'*'`: any Origin is reflected (`*` without one). A set: only these (lower-cased) origins get CORS headers. */
  readonly origins: '*' | ReadonlySet<string>;
  readonly maxAge: number;
  /** access_control_allow_methods (default GET, OPTIONS); the server adds the app's route methods. */
  readonly methods: readonly string[];
}

/** Prosody's defaults and the global `access_control_*` options, then the app's own `cors`, then `http_cors_override[app]`. */
export function resolveCors(appName: string, app: CorsOptions | undefined, option: (name: string) => unknown): ResolvedCors {
  let enabled = optionBoolean('http_default_cors_enabled', option('http_default_cors_enabled'), true);
  let credentials = optionBoolean('access_control_allow_credentials', option('access_control_allow_credentials'), false);
  const maxAge = optionNumber('access_control_max_age', option('access_control_max_age'), 7200);
  const methods = (optionList('access_control_allow_methods', option('access_control_allow_methods')) ?? ['GET', 'OPTIONS']).map((m) => m.toUpperCase());
  let headers = optionList('access_control_allow_headers', option('access_control_allow_headers')) ?? ['Content-Type'];
  // COMPAT: Prosody 0.12.3 reads access_control_allow_origins but never applies it (a bug); we honour it.
  let origins = originsFrom(optionList('access_control_allow_origins', option('access_control_allow_origins')));

  const overrides = option('http_cors_override');
  const override = isTable(overrides) && isTable(overrides[appName]) ? overrides[appName] : undefined;
  for (const layer of [app as Record<string, unknown> | undefined, override]) {
    if (!layer) continue;
    if (layer.enabled !== undefined) enabled = optionBoolean(`http_cors_override.${appName}.enabled`, layer.enabled, enabled);
    if (layer.credentials !== undefined) credentials = optionBoolean(`http_cors_override.${appName}.credentials`, layer.credentials, credentials);
    if (layer.headers !== undefined) headers = applyHeaders(headers, layer.headers);
    if (layer.origins !== undefined) origins = originsFrom(optionList(`http_cors_override.${appName}.origins`, layer.origins));
  }
  return { enabled, credentials, headers, origins, maxAge, methods };
}

function originsFrom(list: string[] | undefined): '*' | ReadonlySet<string> {
  if (list === undefined || list.length === 0 || list.includes('*')) return '*';
  return new Set(list.map((o) => o.toLowerCase()));
}

/** A list adds headers; a Lua table `{ ["X-Foo"] = true, ["Content-Type"] = false }` adds and removes. */
function applyHeaders(current: readonly string[], change: unknown): string[] {
  const next = [...current];
  const has = (h: string) => next.findIndex((x) => x.toLowerCase() === h.toLowerCase());
  const entries: [string, boolean][] = Array.isArray(change)
    ? change.map((h) => [String(h), true])
    : isTable(change)
      ? Object.entries(change).map(([h, on]) => [h, on !== false && on !== 'false' && on !== 0])
      : [[String(change), true]];
  for (const [header, on] of entries) {
    const at = has(header);
    if (on && at < 0) next.push(header);
    if (!on && at >= 0) next.splice(at, 1);
  }
  return next;
}

/**
 * The Access-Control-Allow-Methods value: the configured methods plus the app's route methods,
 * OPTIONS first, then GET, then the rest in the order met.
 */
// COMPAT: Prosody joins a Lua set, whose order is random per process; the seed shows "OPTIONS, GET".
export function allowMethodsLine(cors: ResolvedCors, routeMethods: Iterable<string>): string {
  const all = new Set([...cors.methods, ...routeMethods]);
  const head = ['OPTIONS', 'GET'].filter((m) => all.has(m));
  return [...head, ...[...all].filter((m) => !head.includes(m))].join(', ');
}

/** The CORS headers for one response, in a fixed order; none when the Origin is not allowed. */
export function corsHeaders(cors: ResolvedCors, allowMethods: string, origin: string | undefined): [string, string][] {
  if (!cors.enabled) return [];
  // As Prosody: with an origin list, a request without an Origin gets no CORS headers either.
  if (cors.origins !== '*' && (origin === undefined || !cors.origins.has(origin.toLowerCase()))) return [];
  const out: [string, string][] = [
    ['Access-Control-Allow-Methods', allowMethods],
    ['Access-Control-Allow-Headers', cors.headers.join(', ')],
    ['Access-Control-Max-Age', String(cors.maxAge)],
    ['Access-Control-Allow-Origin', origin ?? '*'],
  ];
  if (cors.credentials) out.push(['Access-Control-Allow-Credentials', 'true']);
  // COMPAT: a reflected Origin makes the response differ per Origin; caches must know (Prosody omits this).
  if (origin !== undefined) out.push(['Vary', 'Origin']);
  return out;
}
