/**
 * `inject`: one HTTP request to an in-process server without a socket, as fastify's inject.
 * The request is written by node's HTTP client and read by the server's own parser over an
 * in-memory stream pair, so the answer is byte for byte what a client of the listener gets:
 * the same router, CORS, error pages, headers, status codes and connection handling.
 */
import { request as httpRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import type { HttpServer } from '../http/server.js';
import { duplexPair } from './duplex-pair.js';

export interface InjectRequest {
  /** Default `GET`. */
  method?: string;
  /**
   * A path (`/invites_api?key=...`), sent with `Host: <defaultHost>` over plain HTTP, or an
   * absolute URL: `https://example.com/x` is sent with `Host: example.com` as over TLS. The path
   * goes as written (`..` and all); only spaces and other bytes no request line may hold are
   * percent-encoded.
   */
  url: string;
  /** Request headers; a `host` or `connection` given here replaces the default. */
  headers?: OutgoingHttpHeaders;
  /** A string or bytes as is; anything else as JSON (with `Content-Type: application/json`). */
  body?: string | Buffer | object;
  /** The peer's address (default `127.0.0.1`), for `trusted_proxies` and rate limits. */
  remoteAddress?: string;
}

export interface InjectReply {
  status: number;
  statusMessage: string;
  /** Node's lower-cased header object. */
  headers: IncomingHttpHeaders;
  /** Header names and values in the order the server sent them, as sent. */
  rawHeaders: string[];
  /** The body as bytes. */
  payload: Buffer;
  /** The body as UTF-8 text. */
  body: string;
  /** The body parsed as JSON. */
  json<T = unknown>(): T;
}

export function inject(server: HttpServer, defaultHost: string, req: InjectRequest): Promise<InjectReply> {
  const absolute = /^https?:\/\//i.test(req.url);
  const target = absolute ? new URL(req.url) : undefined;
  const secure = target?.protocol === 'https:';
  // Sent as given, except what no HTTP request line may hold (spaces, controls, non-Latin-1),
  // which is percent-encoded as a browser would.
  const path = (target ? target.pathname + target.search : req.url).replace(/[^\u0021-\u00ff]+/g, (c) => encodeURIComponent(c));
  const headers: OutgoingHttpHeaders = { host: target?.host ?? defaultHost, connection: 'keep-alive' };
  let body: string | Buffer | undefined;
  if (req.body !== undefined) {
    if (typeof req.body === 'string' || Buffer.isBuffer(req.body)) body = req.body;
    else {
      body = JSON.stringify(req.body);
      headers['content-type'] = 'application/json';
    }
  }
  for (const [name, value] of Object.entries(req.headers ?? {})) if (value !== undefined) headers[name.toLowerCase()] = value;

  const [client, serverEnd] = duplexPair();
  serverEnd.remoteAddress = req.remoteAddress ?? '127.0.0.1';
  return new Promise((resolve, reject) => {
    const outgoing = httpRequest(
      { method: req.method ?? 'GET', path, headers, setHost: false, createConnection: () => client },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          client.destroy();
          const payload = Buffer.concat(chunks);
          resolve({
            status: res.statusCode ?? 0,
            statusMessage: res.statusMessage ?? '',
            headers: res.headers,
            rawHeaders: res.rawHeaders,
            payload,
            body: payload.toString('utf8'),
            json: <T>() => JSON.parse(payload.toString('utf8')) as T,
          });
        });
      },
    );
    outgoing.on('error', (err) => {
      client.destroy();
      reject(err);
    });
    server.accept(serverEnd, secure);
    outgoing.end(body);
  });
}
