/**
 * Prosody-style logging: `Nov 22 17:12:42 example.com:invites_api	info	Message`.
 * Sinks are set at start from the `log` option (runtime/logging.ts); until then
 * everything at info and above goes to stderr. Secrets never reach a logger: callers log key
 * ids and token prefixes, and `redactUrl` takes secrets and tokens out of any URL before it is logged.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { format } from 'node:util';

export type Level = 'debug' | 'info' | 'warn' | 'error';
export const LEVELS: readonly Level[] = ['debug', 'info', 'warn', 'error'];

export interface Logger {
  readonly tag: string;
  log(level: Level, message: string, ...args: unknown[]): void;
  debug(message: string, ...args: unknown[]): void;
  info(message: string, ...args: unknown[]): void;
  warn(message: string, ...args: unknown[]): void;
  error(message: string, ...args: unknown[]): void;
}

/** What a sink gets besides the formatted line: the parts, for sinks that format their own (syslog). */
export interface LogRecord {
  tag: string;
  message: string;
}

/**
 * Where formatted lines go; `min` is the lowest level the sink takes. A sink must not throw
 * (runtime/log-sinks.ts reports its own failures); one that does is dropped here, never the caller.
 */
export interface LogSink {
  min: Level;
  write(line: string, level: Level, record: LogRecord): void;
}

const rank: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };
let sinks: LogSink[] = [{ min: 'info', write: (line) => process.stderr.write(line + '\n') }];

/** Replaces the process's sinks; returns the ones it replaced. */
export function setLogSinks(next: LogSink[]): LogSink[] {
  const previous = sinks;
  sinks = next;
  return previous;
}

const scoped = new AsyncLocalStorage<LogSink[]>();

/**
 * Runs `fn` with its own sinks: whatever it logs, and whatever its timers, hooks and requests
 * log later, goes there instead of the process's sinks. The test kit keeps an in-process host's
 * lines and an in-process ctl's stderr apart this way.
 */
export function withLogSinks<R>(next: LogSink[], fn: () => R): R {
  return scoped.run(next, fn);
}

/** The sinks a line logged here and now would go to. */
export function currentLogSinks(): LogSink[] {
  return scoped.getStore() ?? sinks;
}

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function stamp(d: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  return `${months[d.getMonth()]} ${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** One log line as the console and file sinks write it (without the newline). */
export function formatLine(tag: string, level: Level, message: string): string {
  return `${stamp(new Date())} ${tag.padEnd(24)}\t${level}\t${message}`;
}

function emit(tag: string, level: Level, message: string, args: unknown[]): void {
  let line: string | undefined;
  let text: string | undefined;
  for (const sink of scoped.getStore() ?? sinks) {
    if (rank[level] < rank[sink.min]) continue;
    text ??= args.length ? format(message, ...args) : message;
    line ??= formatLine(tag, level, text);
    try {
      sink.write(line, level, { tag, message: text });
    } catch {
      // Logging never takes the caller down; the sinks report their own failures.
    }
  }
}

export function getLogger(tag: string): Logger {
  return {
    tag,
    log: (level, message, ...args) => emit(tag, level, message, args),
    debug: (message, ...args) => emit(tag, 'debug', message, args),
    info: (message, ...args) => emit(tag, 'info', message, args),
    warn: (message, ...args) => emit(tag, 'warn', message, args),
    error: (message, ...args) => emit(tag, 'error', message, args),
  };
}

/** Query parameters whose whole value is a secret (API keys travel as `key=ID/SECRET`). */
const SECRET_PARAMS = new Set(['key', 'password', 'pass', 'secret']);
/** Query parameters that carry an invite token, or a cursor that encodes one. */
const TOKEN_PARAMS = new Set(['t', 'token', 'preauth', 'cursor']);
/**
 * A run of base64url this long is taken for a token or a secret wherever it appears (ours are
 * 24 and 36 characters, Prosody's 24; a page cursor is longer). A long plain word is cut too:
 * it only shortens a debug line.
 */
const LONG_RUN = /[A-Za-z0-9_-]{20,}/g;

/** What may be logged of an invite token: its first 6 characters, as the info lines show it. */
export function tokenPrefix(token: string): string {
  return token.length >= 12 ? `${token.slice(0, 6)}...` : '...';
}

/** Percent-decoding as the router and URLSearchParams do it; an invalid escape is left as it is. */
function decode(text: string, plusIsSpace: boolean): string {
  const spaced = plusIsSpace ? text.replace(/\+/g, ' ') : text;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)));
  }
}

/** `raw` as logged: unchanged when its decoded form has no long run, else that form with each run cut, re-encoded. */
function cutRuns(raw: string, plusIsSpace: boolean): string {
  const decoded = decode(raw, plusIsSpace);
  LONG_RUN.lastIndex = 0;
  if (!LONG_RUN.test(decoded)) return raw;
  return encodeURIComponent(decoded.replace(LONG_RUN, tokenPrefix));
}

function redactParam(part: string): string {
  const eq = part.indexOf('=');
  // A bare value is a token where the whole query is one (Prosody's invite page: `/invite?TOKEN`).
  if (eq < 0) return part.length >= 12 ? encodeURIComponent(tokenPrefix(decode(part, true))) : cutRuns(part, true);
  const rawName = part.slice(0, eq);
  const name = decode(rawName, true).toLowerCase();
  if (SECRET_PARAMS.has(name)) return `${rawName}=REDACTED`;
  const value = part.slice(eq + 1);
  if (TOKEN_PARAMS.has(name)) return `${rawName}=${encodeURIComponent(tokenPrefix(decode(value, true)))}`;
  return `${cutRuns(rawName, true)}=${cutRuns(value, true)}`;
}

/**
 * A request target fit for any log level: API secrets (`key=`, however its name is encoded, as
 * `%6bey=` still authenticates) become `REDACTED`; invite tokens, in the query or in the path
 * (`/register_api/invite/TOKEN`, `/admin_api/invites/TOKEN`), shrink to their prefix.
 */
export function redactUrl(url: string): string {
  const hash = url.indexOf('#');
  const target = hash < 0 ? url : url.slice(0, hash);
  const q = target.indexOf('?');
  const path = (q < 0 ? target : target.slice(0, q))
    .split('/')
    .map((segment) => cutRuns(segment, false))
    .join('/');
  if (q < 0) return path;
  return `${path}?${target.slice(q + 1).split('&').map(redactParam).join('&')}`;
}
