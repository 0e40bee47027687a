/**
 * The route table: mounted apps by host, route keys as mod_http reads them ("GET",
 * "POST /sub", "GET /static/*"), and the one question the server asks it: what answers
 * this method on this path of this host?
 */
import { CantoError } from '../errors.js';
import type { Logger } from '../log.js';
import { allowMethodsLine, type ResolvedCors } from './cors.js';
import type { RouteValue } from './types.js';

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
}

interface Route {
  readonly method: string;
  /** exact: the path; wildcard: the prefix, ending in '/'; redirect: the path that gets a 301 to path + '/'. */
  readonly path: string;
  readonly kind: 'exact' | 'wildcard' | 'redirect';
  readonly value: RouteValue;
  readonly mount: Mount;
}

export type Match =
  | { kind: 'route'; mount: Mount; value: RouteValue; rest: string }
  | { kind: 'redirect'; mount: Mount; location: string }
  | { kind: 'preflight'; mount: Mount }
  | { kind: 'method-not-allowed'; mount: Mount; allow: string[] }
  | { kind: 'not-found' };

const KEY = /^([A-Za-z]+)(?:[ \t]+(\/\S*))?$/;

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
    const mount: Mount = { spec, allowMethods: allowMethodsLine(spec.cors, parsed.map((p) => p.method)) };
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
      if (full.endsWith('/*')) {
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
    const routes = (this.#hosts.get(host) ?? []).filter(
      (r) => (r.kind === 'wildcard' ? path.startsWith(r.path) : r.path === path),
    );
    // Exact beats a redirect, which beats wildcards; among wildcards the deepest prefix wins.
    const rank = (r: Route) => (r.kind === 'exact' ? 1e9 : r.kind === 'redirect' ? 1e9 - 1 : r.path.length);
    routes.sort((a, b) => rank(b) - rank(a));
    const find = (m: string) => routes.find((r) => r.method === m);
    // As Prosody, HEAD that nothing answers is retried as GET.
    const hit = find(method) ?? (method === 'HEAD' ? find('GET') : undefined);
    if (hit?.kind === 'redirect') {
      return { kind: 'redirect', mount: hit.mount, location: encodeURI(path + '/') + (rawQuery === null ? '' : '?' + rawQuery) };
    }
    if (hit) return { kind: 'route', mount: hit.mount, value: hit.value, rest: hit.kind === 'wildcard' ? path.slice(hit.path.length) : '' };
    const best = routes[0];
    if (!best) return { kind: 'not-found' };
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
