/**
 * From a handler's result to bytes on the wire. Headers go out in one fixed order:
 * Date, CORS, the handler's own (in its order), Content-Length, Connection. No Server header.
 */
import type { ServerResponse } from 'node:http';
import { ERROR_PAGE_HEADERS, errorPage, reasonPhrase } from './error-page.js';
import { HttpError } from './http-error.js';
import type { HandlerResult } from './types.js';

export interface Outgoing {
  status: number;
  headers: [string, string | readonly string[]][];
  body: string | Buffer;
}

/** Headers the server owns; a handler's values for them are dropped. */
const OWNED = new Set(['content-length', 'connection', 'transfer-encoding', 'keep-alive', 'date']);

/** A status with the error page for >= 400, an empty body below. */
export function statusReply(status: number, message?: string, headers: Outgoing['headers'] = []): Outgoing {
  if (status < 400) return { status, headers, body: '' };
  return { status, headers: [...ERROR_PAGE_HEADERS, ...headers], body: errorPage(status, message) };
}

export const JSON_TYPE = 'application/json';

/** An HttpError as util.error JSON for JSON clients, else as the error page with its text. */
export function errorReply(err: HttpError, json: boolean): Outgoing {
  const headers = Object.entries(err.headers);
  if (!json) return statusReply(err.status, err.text, headers);
  return { status: err.status, headers: [['Content-Type', JSON_TYPE], ...headers], body: JSON.stringify(err.toJSON()) };
}

/** A bare error status, as JSON or as the page (`message` is its text). */
export function problemReply(status: number, json: boolean, message?: string, headers: Outgoing['headers'] = []): Outgoing {
  if (!json) return statusReply(status, message, headers);
  return errorReply(new HttpError(status, undefined, message, { headers: Object.fromEntries(headers.map(([k, v]) => [k, String(v)])) }), true);
}

/**
 * What a handler (or a static route value) returned, as mod_http's handle_result reads it.
 * `json`: a bare error status goes to this client as util.error JSON rather than the page.
 */
export function fromResult(result: HandlerResult, json = false): Outgoing {
  if (result === undefined) return problemReply(404, json);
  if (typeof result === 'number') return checkStatus(result >= 400 && result <= 599 ? problemReply(result, json) : statusReply(result));
  if (typeof result === 'string') return { status: 200, headers: [], body: result };
  if (typeof result === 'object' && result !== null) {
    const status = result.status ?? 200;
    const headers = Object.entries(result.headers ?? {}).map(([k, v]): [string, string | readonly string[]] => [
      k,
      Array.isArray(v) ? v.map(String) : String(v),
    ]);
    if (result.body !== undefined) {
      if (typeof result.body !== 'string' && !Buffer.isBuffer(result.body)) throw new TypeError('reply body must be a string or Buffer');
      return checkStatus({ status, headers, body: result.body });
    }
    if (status < 400) return checkStatus({ status, headers, body: '' });
    if (json && status <= 599 && !headers.some(([k]) => k.toLowerCase() === 'content-type')) {
      const err = errorReply(new HttpError(status), true);
      return checkStatus({ status, headers: [...err.headers, ...headers], body: err.body });
    }
    const typed = headers.some(([k]) => k.toLowerCase() === 'content-type');
    return checkStatus({ status, headers: typed ? headers : [...ERROR_PAGE_HEADERS, ...headers], body: errorPage(status) });
  }
  throw new TypeError(`unsupported handler result (${typeof result})`);
}

function checkStatus(out: Outgoing): Outgoing {
  if (!Number.isInteger(out.status) || out.status < 200 || out.status > 999) throw new RangeError(`invalid status ${out.status}`);
  return out;
}

export interface WriteOptions {
  cors: [string, string][];
  /** HEAD: headers only, Content-Length still that of the body. */
  head: boolean;
  keepAlive: boolean;
}

let dateSecond = -1;
let dateText = '';
/** Now as an HTTP date, formatted once per second. */
function httpDate(): string {
  const now = Date.now();
  const second = Math.floor(now / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(now).toUTCString();
  }
  return dateText;
}

/** Writes the whole response; throws (before anything is sent) when a header is invalid. */
export function writeResponse(res: ServerResponse, out: Outgoing, opts: WriteOptions): void {
  // A string body goes out as a string: node then sends head and body in one write, with no copy.
  const body = out.body;
  const length = typeof body === 'string' ? Buffer.byteLength(body) : body.length;
  const flat: string[] = ['Date', httpDate()];
  const push = (name: string, value: string | readonly string[]) => {
    for (const v of typeof value === 'string' ? [value] : value) flat.push(name, v);
  };
  for (const [name, value] of opts.cors) push(name, value);
  for (const [name, value] of out.headers) if (!OWNED.has(name.toLowerCase())) push(name, value);
  if (out.status !== 204 && out.status !== 304) push('Content-Length', String(length));
  // As Prosody's README sample: `Connection: Keep-Alive` on a persistent connection.
  push('Connection', opts.keepAlive ? 'Keep-Alive' : 'close');
  res.writeHead(out.status, reasonPhrase(out.status), flat);
  if (opts.head || out.status === 204 || out.status === 304) res.end();
  else res.end(body);
}
