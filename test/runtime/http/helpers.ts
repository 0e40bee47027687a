/**
 * Test helpers for the HTTP server: a logger that keeps its lines, a server on an OS-picked
 * loopback port, and a raw-socket client that shows responses exactly as sent (header order
 * included), which node's own client would hide.
 */
import { connect } from 'node:net';
import type { Test } from 'tap';
import { format } from 'node:util';
import type { Level, Logger } from '../../../runtime/log.js';
import { HttpServer, resolveCors, type HttpSettings, type MountSpec } from '../../../runtime/http/server.js';

export interface MemoryLogger extends Logger {
  lines: string[];
}

export function memoryLogger(tag = 'test'): MemoryLogger {
  const lines: string[] = [];
  const log = (level: Level, message: string, ...args: unknown[]) => {
    lines.push(`${level}\t${format(message, ...args)}`);
  };
  return {
    tag,
    lines,
    log,
    debug: (m, ...a) => log('debug', m, ...a),
    info: (m, ...a) => log('info', m, ...a),
    warn: (m, ...a) => log('warn', m, ...a),
    error: (m, ...a) => log('error', m, ...a),
  };
}

export function settings(over: Partial<HttpSettings> = {}): HttpSettings {
  return {
    httpPorts: [0],
    httpInterfaces: ['127.0.0.1'],
    httpsPorts: [],
    httpsInterfaces: ['127.0.0.1'],
    maxContentSize: 10 * 1024 * 1024,
    maxConnections: 1000,
    maxConnectionsPerIp: 50,
    keepaliveTimeout: 20,
    headerTimeout: 10,
    trustedProxies: ['127.0.0.1', '::1'],
    tls: null,
    ...over,
  };
}

/** A mount spec with Prosody's default CORS (or what `options` says) for app `name`. */
export function app(
  name: string,
  routes: MountSpec['routes'],
  over: Partial<MountSpec> & { options?: Record<string, unknown> } = {},
): MountSpec {
  const { options = {}, ...rest } = over;
  return {
    host: 'example.com',
    basePath: '/' + name,
    name,
    routes,
    cors: resolveCors(name, undefined, (n) => options[n]),
    log: memoryLogger(`example.com:${name}`),
    ...rest,
  };
}

/** Starts a server with these apps on 127.0.0.1:<OS port>; stopped at teardown. */
export async function serve(
  t: Test,
  apps: MountSpec[],
  over: Partial<HttpSettings> = {},
): Promise<{ server: HttpServer; port: number; log: MemoryLogger }> {
  const log = memoryLogger('http');
  const server = new HttpServer(settings(over), log);
  for (const a of apps) server.mount(a);
  await server.start();
  t.teardown(() => server.stop());
  return { server, port: server.addresses().http[0]!.port, log };
}

export interface RawResponse {
  status: number;
  statusLine: string;
  /** Header lines in the order sent. */
  headers: [string, string][];
  body: string;
}

export function header(res: RawResponse, name: string): string | undefined {
  return res.headers.find(([k]) => k.toLowerCase() === name.toLowerCase())?.[1];
}

/** Header names in order, Date left out (its place is node's business). */
export function names(res: RawResponse): string[] {
  return res.headers.map(([k]) => k).filter((k) => k !== 'Date');
}

/**
 * Sends `request` as is and reads responses until `count` are complete or the server closes.
 * `heads[i]` marks a response to a HEAD (no body despite Content-Length); `untilClose` waits
 * for the server to close the connection (use it only where it must).
 */
export function raw(
  port: number,
  request: string | Buffer | (string | Buffer)[],
  opts: { count?: number; heads?: boolean[]; untilClose?: boolean } = {},
): Promise<{ responses: RawResponse[]; closed: boolean }> {
  const count = opts.count ?? 1;
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let buf = Buffer.alloc(0);
    const responses: RawResponse[] = [];
    let closed = false;
    const finish = () => {
      socket.destroy();
      resolve({ responses, closed });
    };
    const parse = () => {
      for (;;) {
        const end = buf.indexOf('\r\n\r\n');
        if (end < 0) return;
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n');
        const statusLine = lines.shift()!;
        const headers = lines.map((l): [string, string] => {
          const i = l.indexOf(':');
          return [l.slice(0, i), l.slice(i + 1).trim()];
        });
        const status = Number(statusLine.split(' ')[1]);
        const len = opts.heads?.[responses.length] ? 0 : Number(headers.find(([k]) => k.toLowerCase() === 'content-length')?.[1] ?? 0);
        if (buf.length < end + 4 + len) return;
        responses.push({ status, statusLine, headers, body: buf.subarray(end + 4, end + 4 + len).toString('utf8') });
        buf = buf.subarray(end + 4 + len);
        if (responses.length >= count && !opts.untilClose) return void setImmediate(finish);
      }
    };
    socket.on('connect', async () => {
      for (const part of [request].flat()) {
        if (socket.destroyed) return;
        socket.write(part);
        if (Array.isArray(request)) await new Promise((r) => setImmediate(r));
      }
    });
    socket.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      parse();
    });
    socket.on('end', () => {
      closed = true;
    });
    socket.on('close', () => {
      closed = true;
      resolve({ responses, closed });
    });
    socket.on('error', (err) => (responses.length ? resolve({ responses, closed: true }) : reject(err)));
  });
}

/** One request, one response. */
export async function get(port: number, request: string): Promise<RawResponse> {
  const { responses } = await raw(port, request);
  if (!responses[0]) throw new Error('no response');
  return responses[0];
}
