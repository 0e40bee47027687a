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

/**
 * What is wrong with the shape of a `log` option (for the builder, before any sink is made):
 * a value that is not a target, a table or a list of sink tables, or a level that does not exist.
 */
export function logOptionProblems(option: unknown): string[] {
  if (option === undefined || option === null || typeof option === 'string') return [];
  const problems: string[] = [];
  const badLevel = (name: unknown) => problems.push(`option 'log' names level ${JSON.stringify(name)}; levels are ${LEVELS.join(', ')}`);
  if (Array.isArray(option)) {
    for (const spec of option) {
      if (typeof spec === 'string') continue;
      if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
        problems.push(`option 'log' has ${JSON.stringify(spec)}, which is not a sink table such as { levels = { min = "info" }, to = "console" }`);
        continue;
      }
      const s = spec as { levels?: unknown; to?: unknown; filename?: unknown };
      if (s.to !== undefined && typeof s.to !== 'string') problems.push(`option 'log': 'to' must be a string`);
      if (s.filename !== undefined && typeof s.filename !== 'string') problems.push(`option 'log': 'filename' must be a string`);
      if (Array.isArray(s.levels)) for (const l of s.levels) if (!isLevel(l)) badLevel(l);
      if (s.levels !== undefined && !Array.isArray(s.levels)) {
        const range = s.levels as { min?: unknown; max?: unknown };
        if (typeof range !== 'object' || range === null) problems.push(`option 'log': 'levels' must be a list or { min = LEVEL }`);
        else for (const l of [range.min, range.max]) if (l !== undefined && !isLevel(l)) badLevel(l);
      }
    }
  } else if (typeof option === 'object') {
    for (const [level, to] of Object.entries(option as Record<string, unknown>)) {
      // Prosody's mixed table: its list part (keys 1, 2, ...) holds more sinks.
      if (/^[1-9]\d*$/.test(level)) {
        problems.push(...logOptionProblems([to]));
        continue;
      }
      if (!isLevel(level)) badLevel(level);
      else if (typeof to !== 'string') problems.push(`option 'log': the target for ${level} must be a file name or "*console"`);
    }
  } else {
    problems.push(`option 'log' must be a file name, "*console" or a table of sinks, not a ${typeof option}`);
  }
  return problems;
}

/**
 * Reopen log files (SIGHUP, after logrotate moved them). File sinks open the file for each
 * line, so a moved file is replaced by a new one at the next line; this re-applies the option
 * so that a reloaded config's `log` takes effect too.
 */
export function reopenLogs(option: unknown, baseDir: string): void {
  configureLogging(option, baseDir);
}
