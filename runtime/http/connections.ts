/**
 * What one client can hold: a cap on connections in total (`http_max_connections`) and per
 * address (`http_max_connections_per_ip`). At a cap, the oldest idle connection (no request
 * being answered: a kept-alive one, or one that has not sent a whole request yet) is closed to
 * make room; only when none is idle is the new connection refused, a plain HTTP one with a 503
 * and Retry-After, a TLS one by closing it. A connection answering a request is never touched,
 * so writes in flight complete. What happens is logged through a LogDigest: bounded lines.
 *
 * COMPAT: Prosody 0.12 has no connection limit; it accepts until the process runs out of
 * file descriptors.
 */
import type { Socket } from 'node:net';
import { LogDigest } from '../log-digest.js';
import type { Logger } from '../log.js';
import { plainAddress } from './proxy.js';

export interface ConnectionLimits {
  /** Connections at once, over every listener. */
  maxConnections: number;
  /** Connections at once from one address (trusted proxies are exempt). */
  maxPerAddress: number;
}

/** Seconds a refused client is told to wait. */
const REFUSED_RETRY_AFTER_S = 5;
/** How long a refused plain connection may take to read its 503 before it is cut. */
const REFUSED_LINGER_MS = 2_000;
/** Lines about shed and refused connections: at most one per kind per this many seconds, with a count. */
const LOG_WINDOW_S = 10;

interface Conn {
  socket: Socket;
  address: string;
  /** `address:port` of the peer. */
  peer: string;
  /** Requests being answered on it, or queued for their turn. */
  active: number;
  /** A header timeout put off while requests were queued (see `afterQueue`). */
  deferred?: { ms: number; fire: () => void; timer?: NodeJS.Timeout };
}

export class ConnectionGuard {
  #limits: ConnectionLimits;
  #exempt: (address: string) => boolean;
  readonly #all = new Map<Socket, Conn>();
  /** Idle connections, the longest idle first. */
  readonly #idle = new Set<Conn>();
  /** Every connection of an address, and its idle ones in the same order as #idle. */
  readonly #byAddress = new Map<string, { count: number; idle: Set<Conn> }>();
  readonly #digest: LogDigest;
  /** Each connection by its peer's address and port, to find it from its TLS socket. */
  readonly #byPeer = new Map<string, Conn>();
  readonly #secured = new WeakMap<Socket, Conn>();

  constructor(limits: ConnectionLimits, exempt: (address: string) => boolean, log: Logger) {
    this.#limits = limits;
    this.#exempt = exempt;
    this.#digest = new LogDigest((line) => log.info('%s', line), { windowSeconds: LOG_WINDOW_S });
  }

  /** A reloaded config's limits and proxies, for the next connection on. */
  reconfigure(limits: ConnectionLimits, exempt: (address: string) => boolean): void {
    this.#limits = limits;
    this.#exempt = exempt;
  }

  get size(): number {
    return this.#all.size;
  }

  /**
   * A new connection (`plain`: no TLS, so a 503 can be written on it). False when it was refused.
   */
  admit(socket: Socket, plain: boolean): boolean {
    const address = plainAddress(socket.remoteAddress);
    const mine = this.#byAddress.get(address);
    if (mine && mine.count >= this.#limits.maxPerAddress && !this.#exempt(address)) {
      const oldest = first(mine.idle);
      if (!oldest) return this.#refuse(socket, plain, address, `it already has ${mine.count} connections (http_max_connections_per_ip)`);
      this.#shed(oldest, 'per-address', `Closed the oldest idle connection from ${address} to admit a new one (http_max_connections_per_ip = ${this.#limits.maxPerAddress})`);
    }
    if (this.#all.size >= this.#limits.maxConnections) {
      const oldest = first(this.#idle);
      if (!oldest) return this.#refuse(socket, plain, address, `${this.#all.size} connections are open and none is idle (http_max_connections)`);
      this.#shed(oldest, 'total', `Closed the oldest idle connection (from ${oldest.address}) to admit one from ${address} (http_max_connections = ${this.#limits.maxConnections})`);
    }
    const conn: Conn = { socket, address, active: 0, peer: peerKey(socket) };
    this.#all.set(socket, conn);
    this.#byPeer.set(conn.peer, conn);
    const entry = this.#byAddress.get(address) ?? { count: 0, idle: new Set<Conn>() };
    entry.count++;
    this.#byAddress.set(address, entry);
    this.#setIdle(conn, true);
    socket.once('close', () => this.#forget(conn));
    return true;
  }

  /** A request began on this connection (`socket`: the one the request came on, TLS or not). */
  begin(socket: Socket): void {
    const conn = this.#find(socket);
    if (!conn) return;
    conn.active++;
    this.#setIdle(conn, false);
    // A whole request head arrived: whatever timed out has finished.
    if (conn.deferred) clearTimeout(conn.deferred.timer);
    conn.deferred = undefined;
  }

  /** True while requests on this connection are answered or wait their turn. */
  busy(socket: Socket): boolean {
    return (this.#find(socket)?.active ?? 0) > 0;
  }

  /**
   * A header timeout that hit a connection with requests queued: the server was not reading
   * the next head, it was answering. `fire` runs once the connection has had no request
   * for `ms` after its last answer, unless a new request arrives first.
   */
  afterQueue(socket: Socket, ms: number, fire: () => void): void {
    const conn = this.#find(socket);
    if (!conn) return fire();
    conn.deferred = { ms, fire };
  }

  /** Its response is done (sent, or the request failed). */
  end(socket: Socket): void {
    const conn = this.#find(socket);
    if (!conn || conn.active === 0) return;
    conn.active--;
    if (conn.active > 0) return;
    this.#setIdle(conn, true);
    const deferred = conn.deferred;
    if (deferred && !deferred.timer) deferred.timer = setTimeout(deferred.fire, deferred.ms).unref();
  }

  /** A connection the header timeout closed, for the log. */
  timedOut(socket: Socket, seconds: number): void {
    const address = plainAddress(socket.remoteAddress);
    this.#digest.note('header-timeout', `Closed a connection from ${address}: no complete request within ${seconds} s (http_header_timeout)`);
  }

  /** Writes counted log lines now (at stop). */
  flush(): void {
    this.#digest.flush();
  }

  /**
   * A TLS connection whose handshake is done: its socket wraps the TCP one counted at accept,
   * which has the same peer address and port (node gives the wrapped socket no public name).
   */
  secured(tls: Socket): void {
    const conn = this.#byPeer.get(peerKey(tls));
    if (conn) this.#secured.set(tls, conn);
  }

  #find(socket: Socket): Conn | undefined {
    return this.#all.get(socket) ?? this.#secured.get(socket);
  }

  #setIdle(conn: Conn, idle: boolean): void {
    const entry = this.#byAddress.get(conn.address);
    // Delete first: re-adding puts the connection last, as the most recently idle.
    this.#idle.delete(conn);
    entry?.idle.delete(conn);
    if (!idle) return;
    this.#idle.add(conn);
    entry?.idle.add(conn);
  }

  #forget(conn: Conn): void {
    if (conn.deferred) clearTimeout(conn.deferred.timer);
    if (this.#all.get(conn.socket) !== conn) return;
    this.#all.delete(conn.socket);
    if (this.#byPeer.get(conn.peer) === conn) this.#byPeer.delete(conn.peer);
    this.#setIdle(conn, false);
    const entry = this.#byAddress.get(conn.address);
    if (entry && --entry.count === 0) this.#byAddress.delete(conn.address);
  }

  #shed(conn: Conn, kind: string, line: string): void {
    this.#forget(conn);
    this.#digest.note(`shed-${kind}`, line);
    const socket = conn.socket;
    // An idle connection has nothing being written, but its last response may still sit in the buffer.
    if (socket.writableLength === 0) socket.destroy();
    else {
      socket.end();
      socket.once('finish', () => socket.destroy());
      setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
    }
  }

  #refuse(socket: Socket, plain: boolean, address: string, why: string): false {
    this.#digest.note('refused', `Refused a connection from ${address}: ${why}`);
    if (!plain) {
      socket.destroy();
      return false;
    }
    // The parser is attached already; what the client sends is read and dropped, never answered.
    refused.add(socket);
    const text = 'Too many connections; try again later.\n';
    socket.end(
      `HTTP/1.1 503 Service Unavailable\r\nDate: ${new Date().toUTCString()}\r\nRetry-After: ${REFUSED_RETRY_AFTER_S}\r\n` +
        `Content-Type: text/plain; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`,
    );
    socket.once('end', () => socket.destroy());
    setTimeout(() => socket.destroy(), REFUSED_LINGER_MS).unref();
    return false;
  }
}

const refused = new WeakSet<Socket>();

function peerKey(socket: Socket): string {
  return `${socket.remoteAddress ?? ''}|${socket.remotePort ?? ''}`;
}

/** True for a connection `admit` refused: its requests are not answered. */
export function wasRefused(socket: Socket): boolean {
  return refused.has(socket);
}

function first<T>(set: Set<T>): T | undefined {
  for (const item of set) return item;
  return undefined;
}
