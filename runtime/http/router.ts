/**
 * The route table: mounted apps by host, route keys as mod_http reads them ("GET",
 * "POST /sub", "GET /static/*"), and the one question the server asks it: what answers
 * this method on this path of this host?
 */
import { CantoError } from '../errors.js';
import type { Logger } from '../log.js';
import { allowMethodsLine, type ResolvedCors } from './cors.js';
import type { RouteSpec, RouteValue } from './types.js';

export interface MountSpec {
  /** The http_host (lower-cased) the app answers for. */
  host: string;
  /** Normalized: leading '/', no trailing '/' ('' or '/' for root). */
  basePath: string;
  /** App name, for logs and CORS. */
  name: string;
  routes: Record<string, RouteValue>;
  cors: ResolvedCors;
  /** Tagged host:mod_name. */
  log: Logger;
}

/** One mounted app, with what every response of it needs. */
export interface Mount {
  readonly spec: MountSpec;
  /** The Access-Control-Allow-Methods value for this app. */
  readonly allowMethods: string;
  /** Some route says it speaks JSON: the app's errors go as JSON to clients that do not ask for HTML. */
  readonly json: boolean;
}

/** A declared route (an object with a `handler`), as opposed to a handler or a static reply. */
export function isRouteSpec(value: RouteValue): value is RouteSpec {
  return typeof value === 'object' && value !== null && typeof (value as Partial<RouteSpec>).handler === 'function';
}

interface Route {
  readonly method: string;
  /** exact: the path; wildcard: the prefix, ending in '/'; redirect: the path that gets a 301 to path + '/'; pattern: the key's path. */
  readonly path: string;
  readonly kind: 'exact' | 'wildcard' | 'redirect' | 'pattern';
  /** For `pattern` routes: the compiled path and its parameter names, in order. */
  readonly pattern?: { regex: RegExp; names: string[] };
  readonly value: RouteValue;
  readonly mount: Mount;
}

export type Match =
  | { kind: 'route'; mount: Mount; value: RouteValue; rest: string; params: Record<string, string> }
  | { kind: 'redirect'; mount: Mount; location: string }
  | { kind: 'preflight'; mount: Mount }
  | { kind: 'method-not-allowed'; mount: Mount; allow: string[] }
  /** `mount`: the app whose base path holds the path, if any (its error format applies). */
  | { kind: 'not-found'; mount?: Mount };

const KEY = /^([A-Za-z]+)(?:[ \t]+(\/\S*))?$/;
/** `{name}` in a route path: one whole, non-empty path segment. */
const PARAM = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;

/** A path with `{name}` segments as a regex, or undefined for a plain path; throws for a malformed one. */
function compilePattern(path: string, key: string): { regex: RegExp; names: string[] } | undefined {
  if (!path.includes('{') && !path.includes('}')) return undefined;
  const names: string[] = [];
  const segments = path.split('/').map((segment) => {
    const m = /^\{([A-Za-z_][A-Za-z0-9_]*)\}$/.exec(segment);
    if (m) {
      if (names.includes(m[1]!)) throw new CantoError('ERR_HTTP_ROUTE_INVALID', [key]);
      names.push(m[1]!);
      return '([^/]+)';
    }
    // A parameter is a whole segment; a brace anywhere else is a mistake in the key.
    if (/[{}]/.test(segment)) throw new CantoError('ERR_HTTP_ROUTE_INVALID', [key]);
    return segment.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
  });
  return { regex: new RegExp(`^${segments.join('/')}$`), names };
}

export class Router {
  readonly #hosts = new Map<string, Route[]>();

  /** Adds an app's routes; returns the function that removes them. Bad keys throw before anything is added. */
  mount(spec: MountSpec): () => void {
    const host = spec.host.toLowerCase();
    const base = spec.basePath === '/' ? '' : spec.basePath;
    const parsed = Object.entries(spec.routes).map(([key, value]) => {
      const m = KEY.exec(key.trim());
      const valid = typeof value === 'function' || typeof value === 'string' || typeof value === 'number' || (typeof value === 'object' && value !== null);
      if (!m || !valid) throw new CantoError('ERR_HTTP_ROUTE_INVALID', [key]);
      return { key, method: m[1]!.toUpperCase(), sub: m[2] ?? '', value };
    });
    const json = parsed.some((p) => isRouteSpec(p.value) && p.value.json === true);
    const mount: Mount = { spec, allowMethods: allowMethodsLine(spec.cors, parsed.map((p) => p.method)), json };
    const table = this.#hosts.get(host) ?? [];
    const added: Route[] = [];
    const add = (route: Route, key: string) => {
      const clash = table.find((r) => r.method === route.method && r.path === route.path && r.kind === route.kind);
      if (!clash) return void added.push(route), void table.push(route);
      // As mod_http: the first registration stays, the second is reported and ignored.
      if (route.kind !== 'redirect') spec.log.warn('Route %s clashes with one of app %s; ignored', key, clash.mount.spec.name);
    };
    for (const { key, method, sub, value } of parsed) {
      const full = base + sub || '/';
      const pattern = compilePattern(full, key);
      if (pattern) {
        if (full.endsWith('/*')) throw new CantoError('ERR_HTTP_ROUTE_INVALID', [key]);
        add({ method, path: full, kind: 'pattern', pattern, value, mount }, key);
      } else if (full.endsWith('/*')) {
        const prefix = full.slice(0, -1);
        add({ method, path: prefix, kind: 'wildcard', value, mount }, key);
        if (prefix.length > 1) add({ method, path: prefix.slice(0, -1), kind: 'redirect', value, mount }, key);
      } else {
        add({ method, path: full, kind: 'exact', value, mount }, key);
        if (full.length > 1 && full.endsWith('/')) add({ method, path: full.slice(0, -1), kind: 'redirect', value, mount }, key);
      }
    }
    this.#hosts.set(host, table);
    let mounted = true;
    return () => {
      if (!mounted) return;
      mounted = false;
      const left = table.filter((r) => !added.includes(r));
      table.splice(0, table.length, ...left);
      if (table.length === 0 && this.#hosts.get(host) === table) this.#hosts.delete(host);
    };
  }

  /** True when some app is mounted for this (lower-cased) host. */
  hasHost(host: string): boolean {
    return this.#hosts.has(host);
  }

  match(host: string, method: string, path: string, rawQuery: string | null): Match {
    const routes = (this.#hosts.get(host) ?? []).filter((r) =>
      r.kind === 'wildcard' ? path.startsWith(r.path) : r.kind === 'pattern' ? r.pattern!.regex.test(path) : r.path === path,
    );
    // Exact beats a redirect, which beats patterns (the most literal first), then wildcards, the deepest prefix first.
    const literal = (r: Route) => r.path.replace(PARAM, '').length;
    const rank = (r: Route) => (r.kind === 'exact' ? 1e9 : r.kind === 'redirect' ? 1e9 - 1 : r.kind === 'pattern' ? 1e8 + literal(r) : r.path.length);
    routes.sort((a, b) => rank(b) - rank(a));
    const find = (m: string) => routes.find((r) => r.method === m);
    // As Prosody, HEAD that nothing answers is retried as GET.
    const hit = find(method) ?? (method === 'HEAD' ? find('GET') : undefined);
    if (hit?.kind === 'redirect') {
      return { kind: 'redirect', mount: hit.mount, location: encodeURI(path + '/') + (rawQuery === null ? '' : '?' + rawQuery) };
    }
    if (hit) {
      const params: Record<string, string> = {};
      if (hit.pattern) {
        const values = hit.pattern.regex.exec(path)!.slice(1);
        hit.pattern.names.forEach((name, i) => (params[name] = values[i]!));
      }
      return { kind: 'route', mount: hit.mount, value: hit.value, rest: hit.kind === 'wildcard' ? path.slice(hit.path.length) : '', params };
    }
    const best = routes[0];
    if (!best) {
      const within = (this.#hosts.get(host) ?? [])
        .map((r) => r.mount)
        .filter((m) => m.spec.basePath.length > 1 && (path === m.spec.basePath || path.startsWith(m.spec.basePath + '/')))
        .sort((a, b) => b.spec.basePath.length - a.spec.basePath.length)[0];
      return within ? { kind: 'not-found', mount: within } : { kind: 'not-found' };
    }
    if (method === 'OPTIONS' && best.mount.spec.cors.enabled) return { kind: 'preflight', mount: best.mount };
    // COMPAT: Prosody answers 404 when only the method is wrong; 405 with Allow says what would work.
    const allow = new Set<string>();
    for (const r of routes) {
      allow.add(r.method);
      if (r.method === 'GET') allow.add('HEAD');
      if (r.mount.spec.cors.enabled) allow.add('OPTIONS');
    }
    return { kind: 'method-not-allowed', mount: best.mount, allow: [...allow] };
  }
}
