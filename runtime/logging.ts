/**
 * Turns Prosody's `log` option into sinks, by the rules of Prosody's core/loggingmanager.lua:
 * - unset: the console, info and up (debug and up with `debug = true`);
 * - `"*console"`, `"*stdout"`, `"*syslog"`, `"*nowhere"`: that sink, every level;
 *   any other string: that file, info and up;
 * - a table: `level = "file"` or `level = "*sink"` (that level and up), and list entries, either
 *   `"*sink"` or `{ to = "file"|"console"|"stdout"|"syslog"|"nowhere", filename = ...,
 *   levels = { min = "info", max = "warn" } | { "warn", "error" } | "error" }` (no levels: all).
 *   Debian's stock config mixes both, and every sink is kept.
 * The system log takes `syslog_facility` (the sink's own, else the global option; default
 * daemon) and `syslog_name`. `reopenLogs()` reopens files and retries sinks that failed.
 */
import { isAbsolute, resolve } from 'node:path';
import { CantoError, type SourcePosition } from './errors.js';
import { LEVELS, setLogSinks, type Level } from './log.js';
import { FACILITIES, fileSink, nowhereSink, streamSink, syslogSink, type ReopenableSink } from './log-sinks.js';

const isLevel = (v: unknown): v is Level => typeof v === 'string' && (LEVELS as readonly string[]).includes(v);
const isTable = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const SINK_TYPES = ['file', 'console', 'stdout', 'syslog', 'nowhere'];

/** One rule of the option: a sink type, its settings, and the levels it takes. */
interface Rule {
  to: string;
  levels: Set<Level>;
  filename?: unknown;
  syslog_facility?: unknown;
  syslog_name?: unknown;
}

/** Global options the sinks read besides `log`. */
export interface LoggingSettings {
  syslog_facility?: unknown;
  debug?: unknown;
  /** Where an option (`log`, `syslog_facility`) is set, for the error. */
  positionOf?: (option: string) => SourcePosition | undefined;
}

const from = (min: Level) => new Set(LEVELS.slice(LEVELS.indexOf(min)));

/** Prosody's get_levels: a level name, `{ min, max }`, a list of names, or a mix. */
function levelSet(criteria: unknown, problems: string[]): Set<Level> {
  if (criteria === undefined) return new Set(LEVELS);
  const set = new Set<Level>();
  const add = (name: unknown) => (isLevel(name) ? set.add(name) : problems.push(`option 'log' names level ${JSON.stringify(name)}; levels are ${LEVELS.join(', ')}`));
  if (typeof criteria === 'string') {
    add(criteria);
    return set;
  }
  if (!Array.isArray(criteria) && !isTable(criteria)) {
    problems.push("option 'log': 'levels' must be a level, a list of levels or { min = LEVEL, max = LEVEL }");
    return set;
  }
  const entries = Array.isArray(criteria) ? criteria : Object.entries(criteria).filter(([k]) => /^\d+$/.test(k)).map(([, v]) => v);
  if (isTable(criteria) && (criteria.min !== undefined || criteria.max !== undefined)) {
    const { min = 'debug', max = 'error' } = criteria;
    if (!isLevel(min)) add(min);
    else if (!isLevel(max)) add(max);
    else for (const l of LEVELS.slice(LEVELS.indexOf(min), LEVELS.indexOf(max) + 1)) set.add(l);
  }
  for (const l of entries) add(l);
  return set;
}

/** `"*console"` -> console; undefined when it names no sink type. */
const starred = (target: string) => (target.startsWith('*') ? target.slice(1) : undefined);

function rules(option: unknown, settings: LoggingSettings, problems: string[]): Rule[] {
  const out = sinkRules(option, settings, problems);
  for (const rule of out) {
    if (rule.to !== 'syslog') continue;
    const facility = rule.syslog_facility ?? settings.syslog_facility;
    if (facility !== undefined && (typeof facility !== 'string' || !(facility in FACILITIES))) {
      problems.push(`option 'syslog_facility' is ${JSON.stringify(facility)}; facilities are ${Object.keys(FACILITIES).join(', ')}`);
    }
  }
  return out;
}

function sinkRules(option: unknown, settings: LoggingSettings, problems: string[]): Rule[] {
  if (option === undefined || option === null) return [{ to: 'console', levels: from(settings.debug === true ? 'debug' : 'info') }];
  const unknownSink = (name: string) => problems.push(`option 'log' names sink type '${name}'; sink types are ${SINK_TYPES.join(', ')}`);
  const byName = (target: string, levels: Set<Level>): Rule | undefined => {
    const type = starred(target);
    if (type === undefined) return { to: 'file', filename: target, levels };
    if (!SINK_TYPES.includes(type) || type === 'file') return void unknownSink(type);
    return { to: type, levels };
  };
  if (typeof option === 'string') {
    const rule = byName(option, starred(option) === undefined ? from(settings.debug === true ? 'debug' : 'info') : new Set(LEVELS));
    return rule ? [rule] : [];
  }
  if (!Array.isArray(option) && !isTable(option)) {
    problems.push(`option 'log' must be a file name, "*console", "*syslog" or a table of sinks, not a ${typeof option}`);
    return [];
  }
  const out: Rule[] = [];
  const list = Array.isArray(option) ? option : Object.entries(option).filter(([k]) => /^\d+$/.test(k)).map(([, v]) => v);
  if (isTable(option)) {
    for (const [key, target] of Object.entries(option)) {
      if (/^\d+$/.test(key)) continue;
      if (!isLevel(key)) problems.push(`option 'log' names level ${JSON.stringify(key)}; levels are ${LEVELS.join(', ')}`);
      else if (typeof target !== 'string') problems.push(`option 'log': the target for ${key} must be a file name or "*console"`);
      else {
        const rule = byName(target, from(key));
        if (rule) out.push(rule);
      }
    }
  }
  for (const spec of list) {
    if (typeof spec === 'string') {
      const type = starred(spec);
      if (type === undefined) problems.push(`option 'log' has ${JSON.stringify(spec)} in its list; a file goes in a sink table: { to = "file", filename = ${JSON.stringify(spec)} }`);
      else {
        const rule = byName(spec, new Set(LEVELS));
        if (rule) out.push(rule);
      }
      continue;
    }
    if (!isTable(spec)) {
      problems.push(`option 'log' has ${JSON.stringify(spec)}, which is not a sink table such as { levels = { min = "info" }, to = "console" }`);
      continue;
    }
    const to = spec.to;
    if (typeof to !== 'string') {
      problems.push("option 'log': a sink table needs 'to', e.g. to = \"file\"");
      continue;
    }
    if (!SINK_TYPES.includes(to)) {
      unknownSink(to);
      continue;
    }
    if (to === 'file' && typeof spec.filename !== 'string') {
      problems.push("option 'log': a sink with to = \"file\" needs a filename");
      continue;
    }
    out.push({ to, levels: levelSet(spec.levels, problems), filename: spec.filename, syslog_facility: spec.syslog_facility, syslog_name: spec.syslog_name });
  }
  return out;
}

/**
 * What is wrong with a `log` option (and `syslog_facility`), without making any sink; one
 * message per problem, naming the option. Empty when the server would take it.
 */
export function logOptionProblems(option: unknown, settings: LoggingSettings = {}): string[] {
  const problems: string[] = [];
  rules(option, settings, problems);
  return problems;
}

function makeSink(rule: Rule, baseDir: string, settings: LoggingSettings): ReopenableSink {
  const min = LEVELS.find((l) => rule.levels.has(l)) ?? 'error';
  let sink: ReopenableSink;
  switch (rule.to) {
    case 'file': {
      const name = rule.filename as string;
      sink = fileSink(isAbsolute(name) ? name : resolve(baseDir, name), min);
      break;
    }
    case 'console':
      sink = streamSink(process.stderr, 'the console (stderr)', min);
      break;
    case 'stdout':
      sink = streamSink(process.stdout, 'stdout', min);
      break;
    case 'syslog': {
      const facility = String(rule.syslog_facility ?? settings.syslog_facility ?? 'daemon');
      // COMPAT: Prosody's default ident is "prosody"; Canto's lines say "canto", so the two daemons stay apart in the journal.
      const ident = typeof rule.syslog_name === 'string' ? rule.syslog_name : 'canto';
      sink = syslogSink(ident, FACILITIES[facility]!, min);
      break;
    }
    default:
      return nowhereSink();
  }
  // Only the levels the rule names: { "warn", "error" } or { min = "info", max = "warn" }.
  if (rule.levels.size === LEVELS.length - LEVELS.indexOf(min)) return sink;
  const inner = sink;
  return { ...inner, write: (line, level, record) => rule.levels.has(level) && inner.write(line, level, record) };
}

let current: ReopenableSink[] = [];
let flushAtExit = false;

/** Resolves once every line logged so far is written (the graceful stop waits for it). */
export async function flushLogs(): Promise<void> {
  await Promise.all(current.map((sink) => sink.flush?.()));
}

/** Writes what the sinks still hold, blocking: the last thing a process does at exit. */
export function flushLogsSync(): void {
  for (const sink of current) sink.flushSync?.();
}
let lastArgs: { option: unknown; baseDir: string; settings: LoggingSettings } | undefined;

/**
 * Set the process's sinks from the `log` option; relative file names are taken from `baseDir`
 * (the config's folder). Throws ERR_CONFIG_INVALID, changing nothing, when the option is wrong.
 */
export function configureLogging(option: unknown, baseDir: string, settings: LoggingSettings = lastArgs?.settings ?? {}): void {
  const problems: string[] = [];
  const list = rules(option, settings, problems);
  if (problems.length) {
    const position = settings.positionOf?.(/^option '(\w+)'/.exec(problems[0]!)?.[1] ?? 'log');
    throw new CantoError('ERR_CONFIG_INVALID', [problems[0]], position ? { position } : {});
  }
  const next = list.map((rule) => makeSink(rule, baseDir, settings));
  // Every way out (a stop, a fatal error, ctl's exit) goes through process.exit or the end of the loop.
  if (!flushAtExit) process.once('exit', flushLogsSync);
  flushAtExit = true;
  for (const sink of current) sink.close();
  current = next;
  lastArgs = { option, baseDir, settings };
  setLogSinks(next);
}

/**
 * Reopen the log files (after logrotate moved them) and retry every sink that failed; SIGHUP
 * calls this. Given a `log` option (a reloaded config), the sinks are rebuilt from it instead.
 */
export function reopenLogs(option?: unknown, baseDir?: string, settings?: LoggingSettings): void {
  if (baseDir !== undefined) {
    configureLogging(option, baseDir, settings);
    return;
  }
  for (const sink of current) sink.reopen();
}

