/**
 * What HTTP handlers see and return, and how modules' routes reach the server.
 * Route keys follow Prosody's mod_http: `"GET"`, `"POST /sub"`, `"GET /static/*"`.
 */
import type { IncomingHttpHeaders } from 'node:http';

export interface HttpRequest {
  /** Upper-case method as received (`HEAD` requests reach `GET` routes with this still `HEAD`). */
  readonly method: string;
  /** URL-decoded path with `//` collapsed, e.g. `/invites_api`. */
  readonly path: string;
  /** The raw query string without `?`, or `null` when absent or empty (Prosody's `request.url.query`). */
  readonly rawQuery: string | null;
  /** The parsed query (`key`, `redirect`, ...). */
  readonly query: URLSearchParams;
  /** Node's lower-cased headers. */
  readonly headers: IncomingHttpHeaders;
  /** The Host header without port, lower-cased ('' when missing). */
  readonly host: string;
  /** Client address, after `trusted_proxies` / X-Forwarded-For. */
  readonly ip: string;
  /** True over TLS, or behind a trusted proxy that says `X-Forwarded-Proto: https`. */
  readonly secure: boolean;
  /**
   * The whole request body (empty for GET). At most the route's `body.maxSize`; a plain
   * handler on a method that takes a body gets at most DEFAULT_BODY_LIMIT; never more than
   * `http_max_content_size`.
   */
  readonly body: Buffer;
  /** For wildcard routes (`"GET /static/*"`): the path after the prefix, without leading slash. */
  readonly rest: string;
  /** Named path segments of the route (`"GET /invites/{id}"` gives `params.id`), URL-decoded. */
  readonly params: Readonly<Record<string, string>>;
}

/** A request to a declared route (RouteSpec): the checked JSON body and who authenticated. */
export interface RouteRequest<Body = unknown, Auth = unknown> extends HttpRequest {
  /** The parsed body, valid against the route's schema; `undefined` when an optional body was empty. */
  readonly json: Body | undefined;
  /** What the route's `authenticate` returned. */
  readonly auth: Auth;
}

/**
 * A request body as a route declares it: JSON checked against `schema`, or, without one, bytes
 * the handler reads itself from `request.body` (a form), of at most `maxSize`.
 */
export interface BodySpec {
  /** JSON Schema (ajv; OpenAPI's `nullable` is understood). Unknown fields are refused where it says `additionalProperties: false`. Without one the body is not parsed and any Content-Type is taken. */
  schema?: Record<string, unknown>;
  /** Bytes; the smaller of this and `http_max_content_size` applies. Default `http_max_content_size` (with a schema) or DEFAULT_BODY_LIMIT (without). */
  maxSize?: number;
  /** An empty body is a 400 when true; else the handler sees `json: undefined` (or an empty `body`). */
  required?: boolean;
}

/**
 * Bytes of request body a plain handler (a function, not a RouteSpec) takes on POST, PUT,
 * DELETE...: a route that needs more declares `body: { maxSize }`.
 * COMPAT: Prosody reads up to http_max_content_size (10 MiB) on every route.
 */
export const DEFAULT_BODY_LIMIT = 16 * 1024;

/**
 * A route declared with what it needs before the handler runs, in this order: authentication,
 * then the body (read only for routes that declare one, checked for Content-Type, size,
 * JSON syntax and schema). Any of them throws an HttpError to refuse the request.
 *
 * ```ts
 * 'POST /invites/account': {
 *   authenticate: requireAdmin,
 *   body: { schema: { type: 'object', properties: { ttl: { type: 'number' } }, additionalProperties: false } },
 *   async handler(request) { return jsonReply(200, await create(request.json ?? {})); },
 * }
 * ```
 *
 * A form: `'POST': { body: { maxSize: 8192 }, handler: (request) => submit(parseForm(request.body)) }`.
 */
export interface RouteSpec<Body = unknown, Auth = unknown> {
  authenticate?(request: HttpRequest): Auth | Promise<Auth>;
  body?: BodySpec;
  /** Errors (and the router's own 404/405) go to this route's clients as JSON unless they ask for HTML. */
  json?: boolean;
  handler(request: RouteRequest<Body, Auth>): HandlerResult | Promise<HandlerResult>;
}

/** A full reply. Header names are written as given; order is kept. */
export interface HttpReply {
  status?: number;
  headers?: Record<string, string | number | readonly string[]>;
  body?: string | Buffer;
}

/**
 * What a handler returns, as in Prosody's mod_http:
 * - a number: that status; >= 400 gets a small error page, else an empty body;
 * - a string: 200 with that body (no Content-Type is added, as in Prosody; set one with HttpReply);
 * - an HttpReply: status/headers/body as given;
 * - undefined: 404.
 */
export type HandlerResult = number | string | HttpReply | undefined | void;

export type RouteHandler = (request: HttpRequest) => HandlerResult | Promise<HandlerResult>;

/** A route value: a handler, a declared route, or a static reply served as is. */
export type RouteValue = RouteHandler | RouteSpec | HttpReply | string | number;

/** Per-app CORS settings; `http_cors_override` and the global `access_control_*` options fill these. */
export interface CorsOptions {
  enabled?: boolean;
  credentials?: boolean;
  /** Extra allowed request headers besides `Content-Type`. */
  headers?: readonly string[];
  /** `'*'` or a list of allowed origins. */
  origins?: '*' | readonly string[];
}

/** What a module passes to `provides('http', ...)`. */
export interface HttpApp {
  /** Route key (`"GET /invites/{id}"`: `{name}` matches one path segment) -> handler. */
  route: Record<string, RouteValue>;
  /** Base path when `http_paths` does not name one; default `/<module name>` (Prosody strips `http_`). */
  default_path?: string;
  /** Name used for `http_paths` lookups; default the module name. */
  name?: string;
  /** CORS for this app; Prosody's defaults apply when omitted. */
  cors?: CorsOptions;
}
