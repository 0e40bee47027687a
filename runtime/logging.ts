/**
 * Turns Prosody's `log` option into sinks: `"*console"` (the default), a file name, a table of
 * level = target (`{ info = "prosody.log"; error = "prosody.err" }`: that level and above), or a
 * list of `{ levels = { min = "info" } | {"warn","error"}, to = "console"|"file", filename = ... }`.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { LEVELS, setLogSinks, type Level, type LogSink } from './log.js';

function target(to: string, min: Level, baseDir: string, only?: Set<Level>): LogSink {
  let write: (line: string) => void;
  if (to === '*console' || to === 'console' || to === '*stderr') write = (line) => process.stderr.write(line + '\n');
  else if (to === '*stdout') write = (line) => process.stdout.write(line + '\n');
  else {
    const file = isAbsolute(to) ? to : resolve(baseDir, to);
    mkdirSync(dirname(file), { recursive: true, mode: 0o750 });
    // Synchronous appends keep lines whole and ordered; logging is not on the request hot path.
    write = (line) => appendFileSync(file, line + '\n', { mode: 0o640 });
  }
  return only ? { min, write: (line, level) => only.has(level) && write(line) } : { min, write };
}

const isLevel = (v: unknown): v is Level => typeof v === 'string' && (LEVELS as readonly string[]).includes(v);

export function configureLogging(option: unknown, baseDir: string): void {
  const sinks: LogSink[] = [];
  if (option === undefined || option === null) {
    sinks.push(target('*console', 'info', baseDir));
  } else if (typeof option === 'string') {
    sinks.push(target(option, 'info', baseDir));
  } else if (Array.isArray(option)) {
    for (const spec of option) {
      if (typeof spec === 'string') {
        sinks.push(target(spec, 'info', baseDir));
        continue;
      }
      const s = spec as { levels?: unknown; to?: string; filename?: string };
      const to = s.to === 'file' ? s.filename ?? 'prosody.log' : s.to ?? '*console';
      const levels = s.levels as { min?: unknown } | unknown[] | undefined;
      if (Array.isArray(levels)) {
        const only = new Set(levels.filter(isLevel));
        sinks.push(target(to, 'debug', baseDir, only));
      } else {
        const min = levels && isLevel(levels.min) ? levels.min : 'info';
        sinks.push(target(to, min, baseDir));
      }
    }
  } else if (typeof option === 'object') {
    for (const [level, to] of Object.entries(option as Record<string, unknown>)) {
      if (isLevel(level) && typeof to === 'string') sinks.push(target(to, level, baseDir));
    }
  }
  setLogSinks(sinks.length ? sinks : [target('*console', 'info', baseDir)]);
}
