/**
 * The places log lines go: the console, stdout, a file, the system log, nowhere. Each sink
 * catches its own failures: the first one is reported on stderr, the sink then stays off until
 * `reopen()` (SIGHUP / reopenLogs), so a full disk or a log file logrotate left unwritable
 * never takes the server down and never floods stderr.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { formatLine, type Level, type LogRecord, type LogSink } from './log.js';

/** A sink the logging layer can reopen (after logrotate) and close (when the config changes). */
export interface ReopenableSink extends LogSink {
  reopen(): void;
  close(): void;
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

/** `*console` / `console` (stderr) and `*stdout`. */
export function streamSink(stream: NodeJS.WriteStream, what: string, min: Level): ReopenableSink {
  const state = new Failing(what);
  // An EPIPE on a closed terminal or pipe arrives as an 'error' event; unhandled, it would end the process.
  const onError = (err: Error) => state.fail(err);
  stream.on('error', onError);
  return {
    min,
    write(line) {
      if (state.failed) return;
      try {
        stream.write(line + '\n');
      } catch (err) {
        state.fail(err);
      }
    },
    reopen: () => void (state.failed = false),
    close: () => void stream.off('error', onError),
  };
}

/**
 * A file, appended to with one write per line (lines stay whole and ordered). The file stays
 * open until `reopen`, as Prosody's: after logrotate moves it, SIGHUP starts a new one.
 */
export function fileSink(file: string, min: Level): ReopenableSink {
  const state = new Failing(`log file ${file}`);
  let fd: number | undefined;
  const close = () => {
    if (fd === undefined) return;
    try {
      closeSync(fd);
    } catch {
      // Already unusable; a new one is opened at the next line.
    }
    fd = undefined;
  };
  return {
    min,
    write(line) {
      if (state.failed) return;
      try {
        if (fd === undefined) {
          mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
          fd = openSync(file, 'a', 0o640);
        }
        writeSync(fd, line + '\n');
      } catch (err) {
        close();
        state.fail(err);
      }
    },
    reopen() {
      close();
      state.failed = false;
    },
    close,
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
