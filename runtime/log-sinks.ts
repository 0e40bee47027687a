/**
 * The places log lines go: the console, stdout, a file, the system log, nowhere. The console
 * and files are written off the caller's path, in order, with a bounded queue (a flood of
 * lines under attack never stalls a request on a write). Each sink catches its own failures: the first one is reported on stderr, the sink then stays off until
 * `reopen()` (SIGHUP / reopenLogs), so a full disk or a log file logrotate left unwritable
 * never takes the server down and never floods stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, write, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatLine, type Level, type LogRecord, type LogSink } from './log.js';

/** A sink the logging layer can reopen (after logrotate) and close (when the config changes). */
export interface ReopenableSink extends LogSink {
  reopen(): void;
  close(): void;
  /** Resolves once every line written so far is out (or dropped by a failure). */
  flush?(): Promise<void>;
  /** Writes what is still queued now, blocking (at exit). */
  flushSync?(): void;
}

/** Bytes of lines a file or console sink holds while its writes are slower than the lines come. */
export const LOG_BUFFER_BYTES = 1024 * 1024;

/**
 * The lines of one sink, written off the caller's path: what is logged in one turn of the event
 * loop goes out in one write, one write at a time, so the order is kept. Beyond `maxBytes`
 * waiting, lines are dropped and counted; the count is written once the queue has drained.
 */
class LineQueue {
  #lines: string[] = [];
  #bytes = 0;
  #dropped = 0;
  #scheduled = false;
  #writing = false;
  #idle: (() => void)[] = [];

  constructor(
    readonly maxBytes: number,
    /** Writes `chunk`; calls `done` once it is out (or failed, with the error). */
    readonly write: (chunk: string, done: (err?: unknown) => void) => void,
    readonly writeSync: (chunk: string) => void,
    readonly onError: (err: unknown) => void,
  ) {}

  push(line: string): void {
    if (this.#bytes + line.length + 1 > this.maxBytes) {
      this.#dropped++;
      return;
    }
    this.#lines.push(line);
    this.#bytes += line.length + 1;
    if (this.#scheduled || this.#writing) return;
    this.#scheduled = true;
    setImmediate(() => {
      this.#scheduled = false;
      this.#pump();
    });
  }

  /** Drops what is queued (the sink failed); the count of dropped lines goes too. */
  clear(): void {
    this.#lines = [];
    this.#bytes = 0;
    this.#dropped = 0;
  }

  flush(): Promise<void> {
    if (!this.#writing && !this.#scheduled && this.#lines.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  flushSync(): void {
    // A write in flight was handed to the system before anything still queued: the order holds.
    const chunk = this.#take();
    if (chunk === undefined) return;
    try {
      this.writeSync(chunk);
    } catch (err) {
      this.onError(err);
    }
  }

  #take(): string | undefined {
    if (this.#lines.length === 0 && this.#dropped === 0) return undefined;
    let chunk = this.#lines.length ? this.#lines.join('\n') + '\n' : '';
    if (this.#dropped > 0) {
      chunk += formatLine('general', 'warn', `${this.#dropped} log line${this.#dropped === 1 ? ' was' : 's were'} dropped: the log could not keep up`) + '\n';
    }
    this.clear();
    return chunk;
  }

  #pump(): void {
    const chunk = this.#writing ? undefined : this.#take();
    if (chunk === undefined) {
      if (!this.#writing) for (const resolve of this.#idle.splice(0)) resolve();
      return;
    }
    this.#writing = true;
    this.write(chunk, (err) => {
      this.#writing = false;
      if (err !== undefined && err !== null) this.onError(err);
      this.#pump();
    });
  }
}

const why = (err: unknown) => (err instanceof Error ? err.message : String(err));

/** Straight to stderr: the one place a failing sink can still be reported. */
function report(message: string): void {
  try {
    process.stderr.write(formatLine('general', 'error', message) + '\n');
  } catch {
    // stderr itself is gone; nothing left to tell.
  }
}

/** Failure bookkeeping shared by the sinks: report once, stay off until reopened. */
class Failing {
  failed = false;
  constructor(readonly what: string) {}
  fail(err: unknown): void {
    if (this.failed) return;
    this.failed = true;
    report(`Cannot write to ${this.what}: ${why(err)}; it stays off until logs are reopened (SIGHUP)`);
  }
}

/** `*console` / `console` (stderr) and `*stdout`, written a turn of the event loop at a time. */
export function streamSink(stream: NodeJS.WriteStream, what: string, min: Level): ReopenableSink {
  const state = new Failing(what);
  const queue = new LineQueue(
    LOG_BUFFER_BYTES,
    (chunk, done) => {
      try {
        stream.write(chunk, (err) => done(err ?? undefined));
      } catch (err) {
        done(err);
      }
    },
    // At exit: a pipe's or terminal's queued writes would be cut off, the fd takes them now.
    (chunk) => writeAll((stream as NodeJS.WriteStream & { fd?: number }).fd ?? 2, chunk),
    (err) => {
      queue.clear();
      state.fail(err);
    },
  );
  // An EPIPE on a closed terminal or pipe arrives as an 'error' event; unhandled, it would end the process.
  const onError = (err: Error) => state.fail(err);
  stream.on('error', onError);
  return {
    min,
    write(line) {
      if (!state.failed) queue.push(line);
    },
    reopen: () => void (state.failed = false),
    close: () => {
      queue.flushSync();
      stream.off('error', onError);
    },
    flush: () => queue.flush(),
    flushSync: () => queue.flushSync(),
  };
}

/** Writes all of `chunk` to `fd`, blocking. */
function writeAll(fd: number, chunk: string): void {
  const bytes = Buffer.from(chunk);
  for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at);
}

/**
 * A file, appended to off the caller's path (one write per turn of the event loop, in order).
 * The file stays open until `reopen`, as Prosody's: after logrotate moves it, SIGHUP starts a
 * new one, with the lines from then on.
 */
export function fileSink(file: string, min: Level): ReopenableSink {
  const state = new Failing(`log file ${file}`);
  let fd: number | undefined;
  /** Set by reopen: the next write opens the file anew (never while a write is in flight). */
  let stale = false;
  let closed = false;
  const closeFd = () => {
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // Already unusable; a new one is opened at the next line.
    }
    fd = undefined;
  };
  const opened = (): number => {
    if (stale) closeFd();
    stale = false;
    if (fd === undefined) {
      mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
      fd = openSync(file, 'a', 0o640);
    }
    return fd;
  };
  const queue = new LineQueue(
    LOG_BUFFER_BYTES,
    (chunk, done) => {
      let target: number;
      const bytes = Buffer.from(chunk);
      try {
        target = opened();
      } catch (err) {
        return done(err);
      }
      const from = (at: number) =>
        write(target, bytes, at, bytes.length - at, null, (err, n) => {
          if (err) return done(err);
          if (at + n < bytes.length) return from(at + n);
          if (closed) closeFd();
          done();
        });
      from(0);
    },
    (chunk) => writeAll(opened(), chunk),
    (err) => {
      queue.clear();
      closeFd();
      state.fail(err);
    },
  );
  return {
    min,
    write(line) {
      if (!state.failed) queue.push(line);
    },
    reopen() {
      stale = true;
      state.failed = false;
    },
    close() {
      closed = true;
      queue.flushSync();
      void queue.flush().then(closeFd);
    },
    flush: () => queue.flush(),
    flushSync: () => queue.flushSync(),
  };
}

/** syslog(3) facilities by name, as Prosody's util.pposix takes them (default daemon). */
export const FACILITIES: Record<string, number> = {
  kern: 0, user: 1, mail: 2, daemon: 3, auth: 4, syslog: 5, lpr: 6, news: 7, uucp: 8, cron: 9, authpriv: 10, ftp: 11,
  local0: 16, local1: 17, local2: 18, local3: 19, local4: 20, local5: 21, local6: 22, local7: 23,
};
const SEVERITY: Record<Level, number> = { error: 3, warn: 4, info: 6, debug: 7 };

/**
 * The system log, through util-linux's logger(1) reading `<PRI>source: message` lines from a
 * pipe: Node has no unix datagram socket for /dev/log, and logger is on every Debian system, so
 * no native dependency is needed. The line is the one Prosody's pposix.syslog_log sends.
 */
export function syslogSink(ident: string, facility: number, min: Level): ReopenableSink {
  const state = new Failing(`the system log (logger -t ${ident})`);
  let child: ChildProcess | undefined;
  const stop = () => {
    const c = child;
    child = undefined;
    if (!c) return;
    c.removeAllListeners('exit');
    c.stdin?.end();
  };
  const start = (): ChildProcess => {
    const c = spawn('logger', ['--prio-prefix', '-t', ident, `--id=${process.pid}`], { stdio: ['pipe', 'ignore', 'pipe'] });
    const failWith = (err: unknown) => {
      if (child === c) stop();
      state.fail(err);
    };
    c.on('error', failWith);
    c.stdin!.on('error', failWith);
    // logger reports a missing or refusing /dev/log on stderr and keeps running; that is a failure.
    c.stderr!.on('data', (d: Buffer) => failWith(new Error(d.toString().trim())));
    c.on('exit', (code, signal) => failWith(new Error(`logger exited (${signal ?? code})`)));
    // Neither the child nor its pipes keep the server from exiting.
    c.unref();
    (c.stdin as unknown as { unref?: () => void }).unref?.();
    (c.stderr as unknown as { unref?: () => void }).unref?.();
    return c;
  };
  return {
    min,
    write(_line, level, record: LogRecord) {
      if (state.failed) return;
      try {
        child ??= start();
        child.stdin!.write(`<${facility * 8 + SEVERITY[level]}>${record.tag}: ${record.message.replace(/\n/g, ' ')}\n`);
      } catch (err) {
        stop();
        state.fail(err);
      }
    },
    reopen() {
      stop();
      state.failed = false;
    },
    close: stop,
  };
}

/** `nowhere`: Prosody's null sink. */
export function nowhereSink(): ReopenableSink {
  return { min: 'error', write: () => {}, reopen: () => {}, close: () => {} };
}
