/**
 * The HTTP server: Prosody's net/http/server.lua + mod_http on node:http and node:https.
 * It owns the listeners and the connection lifecycle; routing, CORS, bodies, responses and
 * certificates live in the files beside it. Modules never see this file: the module host
 * mounts their apps here (`mount`) and removes them on unload.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerOptions, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createSecureContext, type SecureContext, type TLSSocket } from 'node:tls';
import { errorText, isCantoError } from '../errors.js';
import { redactUrl, type Logger } from '../log.js';
import { metrics, secondsSince } from '../metrics.js';
import { ABORTED, declaredTooLarge, readBody, TOO_LARGE } from './body.js';
import { ConnectionGuard, wasRefused, type ConnectionLimits } from './connections.js';
import { corsHeaders } from './cors.js';
import { ERROR_PAGE_HEADERS, errorPage, reasonPhrase } from './error-page.js';
import { isHttpError } from './http-error.js';
import { compileBody, type CompiledBody } from './json-body.js';
import { listenAll, type Listener } from './listen.js';
import { prefersJson } from './negotiate.js';
import { hostFromHeader, normalizeRequestPath } from './paths.js';
import { forwardedInfo, plainAddress, TrustedProxies } from './proxy.js';
import { errorReply, fromResult, problemReply, writeResponse, type Outgoing } from './respond.js';
import { isRouteSpec, Router, type MountSpec } from './router.js';
import { DEFAULT_BODY_LIMIT, type HandlerResult, type HttpRequest, type RouteRequest, type RouteSpec } from './types.js';
import type { HttpSettings } from './settings.js';

export type { HttpSettings } from './settings.js';
export type { TlsConfig, KeyPair } from './certificates.js';
export type { MountSpec } from './router.js';
export type { ResolvedCors } from './cors.js';
export { httpSettingsFromOptions } from './settings.js';
export { resolveCors } from './cors.js';
export { basePathFor } from './paths.js';
export { generateSelfSigned } from './self-signed.js';

/** A whole request (head and body) must have arrived within this long (the head: http_header_timeout). */
const REQUEST_TIMEOUT_MS = 60_000;
/** How long a client that was answered with an error page may take to read it before the socket is cut. */
const LINGER_MS = 5_000;
/** Methods whose plain handler routes take no request body (a declared route says for itself). */
const NO_BODY_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);
/** How long stop() lets unfinished connections (half-sent requests) linger once no handler runs. */
const STOP_GRACE_MS = 2_000;
/** Retry-After (seconds) when storage cannot write: long enough for a lock or a full disk to clear. */
const STORAGE_RETRY_AFTER_S = 5;

export interface HttpAddress {
  address: string;
  port: number;
}

const HTTP_REQUESTS = metrics.measure('counter', 'canto_http_requests', { description: 'HTTP requests answered, by host, route (app), method and status class' });
const HTTP_DURATION = metrics.measure('histogram', 'canto_http_request_duration', { unit: 'seconds', description: 'Time from request to answer, by host and route (app)' });

export class HttpServer {
  #settings: HttpSettings;
  readonly #log: Logger;
  #router: Router;
  #proxies: TrustedProxies;
  #sni = new Map<string, SecureContext>();
  readonly #inFlight = new Set<Promise<void>>();
  /** Per connection, the request being answered: the next pipelined one waits for it. */
  readonly #queues = new WeakMap<object, Promise<void>>();
  /** Per connection, the request that arrived last (its head is whole; its body may not be). */
  readonly #latest = new WeakMap<object, IncomingMessage>();
  readonly #guard: ConnectionGuard;
  /** Each declared route's body, compiled when it is mounted. */
  readonly #bodies = new WeakMap<RouteSpec, CompiledBody>();
  #http: Listener[] = [];
  #https: Listener[] = [];
  /** Answers connections that are not sockets (`accept`); never listens. */
  #inProcess: Server | undefined;
  #stopping = false;
  #stopped: Promise<void> | undefined;

  /** `router`: the route table to answer from (the runtime's), else one of its own. */
  constructor(settings: HttpSettings, log: Logger, router: Router = new Router()) {
    this.#settings = settings;
    this.#log = log;
    this.#router = router;
    this.#proxies = new TrustedProxies(settings.trustedProxies);
    this.#sni = sniContexts(settings);
    this.#guard = new ConnectionGuard(limitsOf(settings), (address) => this.#proxies.has(address), log);
  }

  /**
   * A reloaded config: answer from its routes, with its proxies, limits and certificates, from
   * the next request on (requests in flight finish with what they started with). Ports and
   * interfaces stay as bound; the caller says that a restart is needed for those.
   */
  reconfigure(settings: HttpSettings, router: Router): void {
    const proxies = new TrustedProxies(settings.trustedProxies);
    const sni = sniContexts(settings);
    const tls = settings.tls;
    if (tls) for (const l of this.#https) (l.server as ReturnType<typeof createHttpsServer>).setSecureContext({ key: tls.default.key, cert: tls.default.cert });
    this.#settings = { ...settings, httpPorts: this.#settings.httpPorts, httpsPorts: this.#settings.httpsPorts, httpInterfaces: this.#settings.httpInterfaces, httpsInterfaces: this.#settings.httpsInterfaces };
    this.#proxies = proxies;
    this.#sni = sni;
    this.#router = router;
    this.#guard.reconfigure(limitsOf(settings), (address) => proxies.has(address));
    for (const l of [...this.#http, ...this.#https]) this.#applyTimeouts(l.server as Server);
  }

  /** Connections open on the listeners now. */
  get connections(): number {
    return this.#guard.size;
  }

  /**
   * Adds an app's routes (to `router`: a reloaded config's, before it goes live; else the live
   * one); returns the function that removes them. Throws ERR_HTTP_ROUTE_INVALID for a bad key.
   */
  mount(spec: MountSpec, router: Router = this.#router): () => void {
    const compiled: [RouteSpec, CompiledBody][] = [];
    for (const value of Object.values(spec.routes)) {
      if (isRouteSpec(value) && value.body) compiled.push([value, compileBody(value.body)]);
    }
    const unmount = router.mount(spec);
    for (const [route, body] of compiled) this.#bodies.set(route, body);
    return unmount;
  }

  /** Binds every listener, or none (then rejects with ERR_HTTP_LISTEN naming address and port). */
  async start(): Promise<void> {
    const s = this.#settings;
    this.#http = await listenAll('http', () => this.#guarded(this.#configure(createHttpServer(this.#serverOptions())), true), s.httpInterfaces, s.httpPorts, this.#log);
    if (!s.tls || s.httpsPorts.length === 0) return;
    const tls = s.tls;
    try {
      this.#https = await listenAll(
        'https',
        () =>
          this.#guarded(
            this.#configure(
              createHttpsServer({
                ...this.#serverOptions(),
                key: tls.default.key,
                cert: tls.default.cert,
                // A TLS handshake counts against the same budget as a request head.
                handshakeTimeout: this.#settings.headerTimeout * 1000,
                SNICallback: (name, cb) => cb(null, this.#sniContext(name)),
              }),
            ),
            false,
          ),
        s.httpsInterfaces,
        s.httpsPorts,
        this.#log,
      );
    } catch (err) {
      await Promise.all(this.#http.map((l) => new Promise((r) => l.server.close(r))));
      this.#http = [];
      throw err;
    }
  }

  /**
   * Serves one connection that is a stream rather than a socket, through the same parser,
   * router and responses as the listeners (the test kit's `inject`). `secure` makes it
   * count as HTTPS; `remoteAddress` is the peer the request comes from.
   */
  accept(stream: Duplex & { remoteAddress?: string; encrypted?: boolean }, secure: boolean): void {
    this.#inProcess ??= this.#configure(createHttpServer(this.#serverOptions()));
    if (secure) stream.encrypted = true;
    this.#inProcess.emit('connection', stream);
  }

  addresses(): { http: HttpAddress[]; https: HttpAddress[] } {
    const pick = (l: Listener) => ({ address: l.address, port: l.port });
    return { http: this.#http.map(pick), https: this.#https.map(pick) };
  }

  /**
   * Graceful: stop accepting, answer what is in flight (with `Connection: close`), close idle
   * keep-alive sockets, then resolve once every connection is gone.
   */
  stop(): Promise<void> {
    this.#stopped ??= this.#drain();
    return this.#stopped;
  }

  async #drain(): Promise<void> {
    this.#stopping = true;
    const servers = [...this.#http, ...this.#https].map((l) => l.server as Server);
    if (this.#inProcess) servers.push(this.#inProcess);
    let allClosed = false;
    const closed = Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r())))).then(() => {
      allClosed = true;
    });
    while (!allClosed) {
      if (this.#inFlight.size > 0) {
        await Promise.all(this.#inFlight);
        continue;
      }
      for (const s of servers) s.closeIdleConnections();
      const waited = await Promise.race([
        closed.then(() => false),
        new Promise<boolean>((r) => setTimeout(() => r(true), STOP_GRACE_MS).unref()),
      ]);
      // Whatever is left has no handler running: a half-sent request or a silent client.
      if (waited && this.#inFlight.size === 0) for (const s of servers) s.closeAllConnections();
    }
    this.#guard.flush();
  }

  #serverOptions(): ServerOptions {
    const s = this.#settings;
    // We answer a missing Host ourselves, with a page (node's own 400 is bare). Node checks the
    // header and request timeouts every connectionsCheckingInterval: once a second keeps them close.
    return {
      requireHostHeader: false,
      keepAliveTimeout: s.keepaliveTimeout * 1000,
      headersTimeout: s.headerTimeout * 1000,
      requestTimeout: Math.max(REQUEST_TIMEOUT_MS, s.headerTimeout * 1000),
      connectionsCheckingInterval: 1000,
    };
  }

  #applyTimeouts(server: Server): void {
    const s = this.#settings;
    server.keepAliveTimeout = s.keepaliveTimeout * 1000;
    server.headersTimeout = s.headerTimeout * 1000;
    server.requestTimeout = Math.max(REQUEST_TIMEOUT_MS, s.headerTimeout * 1000);
  }

  /** A listener's connections count against http_max_connections (the in-process one's do not: they are not sockets). */
  #guarded<S extends Server>(server: S, plain: boolean): S {
    server.on('connection', (socket: Socket) => this.#guard.admit(socket, plain));
    // A TLS connection's requests come on the TLS socket that wraps the one counted at accept.
    if (!plain) server.on('secureConnection', (socket: TLSSocket) => this.#guard.secured(socket));
    return server;
  }

  #configure<S extends Server>(server: S): S {
    this.#applyTimeouts(server);
    server.on('request', (req: IncomingMessage, res: ServerResponse) => this.#track(req, res));
    server.on('checkContinue', (req: IncomingMessage, res: ServerResponse) => {
      // An Expect: 100-continue client that announces too much is refused before it sends it.
      if (!declaredTooLarge(req, this.#settings.maxContentSize)) res.writeContinue();
      this.#track(req, res);
    });
    // An expectation other than 100-continue: node's own 417 is a bare chunked reply; ours is the error page.
    server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
      req.resume();
      writeResponse(res, problemReply(417, prefersJson(req.headers.accept, false)), { cors: [], head: req.method === 'HEAD', keepAlive: false });
    });
    server.on('clientError', (err: NodeJS.ErrnoException, socket: Duplex) => this.#clientError(err, socket));
    server.on('tlsClientError', (err: Error) => this.#log.debug('TLS handshake failed: %s', err.message));
    return server;
  }

  #sniContext(name: string): SecureContext | undefined {
    const host = name.toLowerCase();
    return this.#sni.get(host) ?? this.#sni.get('*' + host.slice(host.indexOf('.')));
  }

  #track(req: IncomingMessage, res: ServerResponse): void {
    const socket = req.socket;
    // A connection over the limits was answered 503 at accept; what it sends is dropped.
    if (wasRefused(socket)) return;
    this.#guard.begin(socket);
    this.#latest.set(socket, req);
    res.once('close', () => this.#guard.end(socket));
    // As Prosody, requests on one connection are handled one at a time: a pipelined request
    // starts once the one before it is answered (so a burst in one write is checked in order).
    const before = this.#queues.get(socket);
    let answered!: () => void;
    const turn = new Promise<void>((r) => (answered = r));
    this.#queues.set(socket, turn);
    const done = new Promise<void>((resolve) => {
      res.once('close', resolve);
      const run = () => {
        if (res.destroyed) return answered();
        this.#dispatch(req, res)
          .catch((err: unknown) => {
            // A client that hangs up mid-body is routine; anything else here is a bug of ours.
            const level = req.destroyed || res.destroyed ? 'debug' : 'error';
            this.#log.log(level, 'Error answering %s %s: %s', req.method, redactUrl(req.url ?? ''), errorText(err));
            if (!res.headersSent) res.destroy();
            resolve();
          })
          .finally(answered);
      };
      if (before) void before.then(run);
      else run();
    });
    this.#inFlight.add(done);
    void done.then(() => this.#inFlight.delete(done));
  }

  /**
   * Malformed requests never reach `request`; they get a proper response here before the
   * socket closes (Prosody closes without a word).
   */
  #clientError(err: NodeJS.ErrnoException, socket: Duplex): void {
    const busy = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage?.headersSent;
    if (err.code === 'ECONNRESET' || !socket.writable || busy) {
      socket.destroy();
      return;
    }
    // Node times the head of a request from its first byte, also while the server does not read
    // it because the requests before it are still being answered (a pipeline waiting for its
    // commits). Those complete requests are not cut off: the head gets its time once they are
    // answered. A request whose own body is still arriving is timed out as before.
    if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT' && this.#guard.busy(socket as Socket) && this.#latest.get(socket)?.complete === true) {
      this.#guard.afterQueue(socket as Socket, this.#settings.headerTimeout * 1000, () => this.#clientError(err, socket));
      return;
    }
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    if (status === 408) this.#guard.timedOut(socket as Socket, this.#settings.headerTimeout);
    this.#log.debug('Bad request from %s: %s', plainAddress((socket as Duplex & { remoteAddress?: string }).remoteAddress), err.code ?? err.message);
    const body = Buffer.from(errorPage(status));
    const head =
      `HTTP/1.1 ${status} ${reasonPhrase(status)}\r\nDate: ${new Date().toUTCString()}\r\n` +
      ERROR_PAGE_HEADERS.map(([name, value]) => `${name}: ${value}\r\n`).join('') +
      `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;
    socket.end(Buffer.concat([Buffer.from(head), body]));
    // A client that never reads must not keep the socket open.
    const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('close', () => clearTimeout(timer));
  }

  async #dispatch(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = process.hrtime.bigint();
    // Metric labels: the host and app (route) that answered, once known.
    const seen = { host: '', route: '' };
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const tls = (req.socket as TLSSocket).encrypted === true;
    const limit = this.#settings.maxContentSize;
    let cors: [string, string][] = [];
    let log = this.#log;
    const send = (out: Outgoing, close = false) => {
      this.#log.debug('%s %s -> %d', method, redactUrl(url), out.status);
      HTTP_REQUESTS.add(1, { ...seen, method, status: `${Math.floor(out.status / 100)}xx` });
      HTTP_DURATION.sample(secondsSince(started), seen);
      const keepAlive = res.shouldKeepAlive && !this.#stopping && !close && !declaredTooLarge(req, limit);
      // A body we did not read (or one too large) is not worth draining: end the connection,
      // but let the client read the answer first.
      if (!keepAlive && !req.complete) lingerOnClose(req.socket);
      writeResponse(res, out, { cors, head: method === 'HEAD', keepAlive });
    };

    let json = prefersJson(req.headers.accept, false);
    const fail = (status: number, message?: string, headers: Outgoing['headers'] = []) => problemReply(status, json, message, headers);
    const target = splitTarget(url);
    const path = target && normalizeRequestPath(target.rawPath);
    if (!target || !path) return send(fail(400, 'Invalid path'));
    const host = hostFromHeader(target.authority ?? req.headers.host);
    if (!host) return send(fail(400, "Missing or invalid 'Host' header"));
    let routeHost = host;
    if (!this.#router.hasHost(host)) {
      const fallback = this.#settings.defaultHost;
      if (fallback === undefined || !this.#router.hasHost(fallback)) return send(fail(404, `Unknown host: ${host}`));
      routeHost = fallback;
    }
    // The configured host, never the raw Host header: a client must not be able to mint label values.
    seen.host = routeHost;

    const match = this.#router.match(routeHost, method, path, target.rawQuery);
    if (match.kind === 'not-found') {
      json = prefersJson(req.headers.accept, match.mount?.json === true);
      return send(fail(404));
    }
    seen.route = match.mount.spec.name;
    cors = corsHeaders(match.mount.spec.cors, match.mount.allowMethods, req.headers.origin);
    log = match.mount.spec.log;
    // A matched route speaks JSON if it says so; the app's other answers follow the app.
    json = prefersJson(req.headers.accept, match.kind === 'route' ? isRouteSpec(match.value) && match.value.json === true : match.mount.json);
    if (match.kind === 'redirect') return send({ status: 301, headers: [['Location', match.location]], body: '' });
    if (match.kind === 'preflight') return send({ status: 200, headers: [], body: '' });
    if (match.kind === 'method-not-allowed') return send(fail(405, undefined, [['Allow', match.allow.join(', ')]]));

    const value = match.value;
    const declared = isRouteSpec(value) ? value : undefined;
    // A declared route without a body reads none: whatever was sent is left unread, and the connection closed after.
    const announced = req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) > 0 : req.headers['transfer-encoding'] !== undefined;
    const skipBody = declared !== undefined && declared.body === undefined && announced;
    let body: Buffer = Buffer.alloc(0);
    if (!declared) {
      // A static reply or a GET handler takes no body: refused before a byte of it is read.
      const takesBody = typeof value === 'function' && !NO_BODY_METHODS.has(method);
      if (announced && !takesBody) {
        log.debug('%s %s refused: 413, the route takes no request body', method, redactUrl(url));
        return send(fail(413, 'This resource takes no request body'), true);
      }
      const plainLimit = Math.min(DEFAULT_BODY_LIMIT, limit);
      if (declaredTooLarge(req, plainLimit)) return send(fail(413), true);
      const read = await readBody(req, plainLimit);
      if (read === TOO_LARGE) return send(fail(413), true);
      if (read === ABORTED) return void log.debug('%s %s: the client left before its body arrived', method, redactUrl(url));
      body = read;
    }

    const peer = plainAddress(req.socket.remoteAddress);
    const { ip, secure } = forwardedInfo(this.#proxies, peer, tls, req.headers['x-forwarded-for'], req.headers['x-forwarded-proto']);
    const request: HttpRequest = {
      method,
      path,
      rawQuery: target.rawQuery,
      query: new URLSearchParams(target.rawQuery ?? ''),
      headers: req.headers,
      host,
      ip,
      secure,
      body,
      rest: match.rest,
      params: match.params,
    };
    let out: Outgoing;
    let close = skipBody;
    try {
      let result: HandlerResult;
      if (declared) {
        const auth: unknown = declared.authenticate ? await declared.authenticate(request) : undefined;
        let parsed: unknown;
        let read: Buffer | typeof TOO_LARGE = body;
        const compiled = this.#bodies.get(declared);
        if (compiled) {
          compiled.checkType(req.headers['content-type'], announced);
          const routeLimit = compiled.limit(limit);
          if (declaredTooLarge(req, routeLimit)) return send(fail(413), true);
          const got = await readBody(req, routeLimit);
          if (got === TOO_LARGE) return send(fail(413), true);
          if (got === ABORTED) return void log.debug('%s %s: the client left before its body arrived', method, redactUrl(url));
          read = got;
          parsed = compiled.parse(read);
        }
        const routeRequest: RouteRequest = { ...request, body: read, json: parsed, auth };
        result = await declared.handler(routeRequest);
      } else {
        result = typeof value === 'function' ? await value(request) : (value as Exclude<typeof value, RouteSpec>);
      }
      out = fromResult(result, json);
    } catch (err) {
      if (isHttpError(err)) {
        log.debug('%s %s refused: %d %s', method, redactUrl(url), err.status, err.condition);
        out = errorReply(err, json);
        // A refused body that was not read (415, or refused before it) is not worth draining.
        if (announced && declared?.body && !req.readableEnded) close = true;
      } else {
        out = this.#failed(log, method, url, err, json);
      }
    }
    if (res.destroyed) return; // the client left while the handler ran
    try {
      send(out, close);
    } catch (err) {
      // An invalid header name or value from the handler: nothing was sent yet.
      send(this.#failed(log, method, url, err, json));
    }
  }

  #failed(log: Logger, method: string, url: string, err: unknown, json: boolean): Outgoing {
    log.error('Error processing %s %s: %s', method, redactUrl(url), errorText(err));
    // Storage that cannot write right now (disk full, no descriptors, locked) changed nothing:
    // the client may try again. COMPAT: Prosody answers 500.
    if (isCantoError(err) && err.status === 503) return problemReply(503, json, undefined, [['Retry-After', String(STORAGE_RETRY_AFTER_S)]]);
    if (err instanceof Error && err.stack) log.debug('%s', err.stack);
    return problemReply(500, json);
  }
}

/**
 * Closing a connection whose request body is still arriving: closed at once, the kernel answers
 * the unread bytes with a reset, and the client may lose the response it has not read yet. So
 * node's close after the response (destroySoon) becomes a half-close; what still comes is read
 * and dropped (node's req._dump), and the socket goes when the client closes or after LINGER_MS.
 * This replaces a method on the socket because node leaves no public way around it: after a
 * `Connection: close` response its server calls `socket.destroySoon()` itself (resOnFinish in
 * lib/_http_server.js), and answering keep-alive instead would drain the whole body (or a
 * chunked one without end) and drop the `Connection: close` the client should see.
 */
function lingerOnClose(socket: Socket): void {
  const closing = socket as Socket & { destroySoon?: () => void };
  closing.destroySoon = () => {
    socket.end();
    const timer = setTimeout(() => socket.destroy(), LINGER_MS).unref();
    socket.once('end', () => socket.destroy());
    socket.once('close', () => clearTimeout(timer));
  };
}

function limitsOf(settings: HttpSettings): ConnectionLimits {
  return { maxConnections: settings.maxConnections, maxPerAddress: settings.maxConnectionsPerIp };
}

function sniContexts(settings: HttpSettings): Map<string, SecureContext> {
  const sni = new Map<string, SecureContext>();
  for (const [host, pair] of settings.tls?.byHost ?? []) sni.set(host.toLowerCase(), createSecureContext(pair));
  return sni;
}

/** The request target as path and query; absolute-form (`GET http://host/path`) also names the host. */
function splitTarget(url: string): { rawPath: string; rawQuery: string | null; authority?: string } | null {
  if (url.startsWith('/')) {
    const q = url.indexOf('?');
    const rawQuery = q < 0 ? null : url.slice(q + 1) || null;
    return { rawPath: q < 0 ? url : url.slice(0, q), rawQuery };
  }
  if (!/^https?:\/\//i.test(url)) return null;
  try {
    const u = new URL(url);
    return { rawPath: u.pathname, rawQuery: u.search.slice(1) || null, authority: u.host };
  } catch {
    return null;
  }
}
