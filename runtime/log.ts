/**
 * Prosody-style logging: `Nov 22 17:12:42 example.com:invites_api	info	Message`.
 * Sinks are set at start from the `log` option (runtime/logging.ts); until then
 * everything at info and above goes to stderr. Secrets never reach a logger: callers log key
 * ids, and `redactUrl` strips `key=` values from any URL before it is logged.
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

/** Replace the value of any `key=` query parameter (API secrets travel there) with `REDACTED`. */
export function redactUrl(url: string): string {
  return url.replace(/([?&;]key=)[^&#;]*/gi, '$1REDACTED');
}
