/**
 * The one builder: everything the server makes from a config, step by step, for `ctl check`,
 * server start and SIGHUP alike. Each step turns what is wrong into a Problem with the config
 * position it comes from; a build with an error is one the server refuses (at start it exits,
 * on reload it keeps the running config). Nothing here binds a port or writes data: binding is
 * the server's, module loading is `loadModules` (run by check, start and reload once the
 * process has the right user).
 */
import type { Clock } from './clock.js';
import { readConfig } from './config/index.js';
import { PROSODY_OPTIONS } from './config/known-options.js';
import type { ParsedConfig } from './config/types.js';
import { errorText, isCantoError, type SourcePosition } from './errors.js';
import { httpSettingsFromOptions, type HttpSettings } from './http/server.js';
import { getLogger } from './log.js';
import { logOptionProblems } from './logging.js';
import type { ProcessType } from './module-api.js';
import { validateOptions } from './options.js';
import { Runtime } from './runtime.js';

export interface Problem {
  level: 'error' | 'warning';
  message: string;
  position?: SourcePosition | undefined;
  /**
   * A module's own options are wrong: that module fails to load on that host and the rest runs,
   * as in Prosody. The server starts (its ready line counts the failure); ctl check exits 1.
   */
  module?: { host: string; name: string };
}

export interface Build {
  runtime: Runtime;
  http: HttpSettings;
  problems: Problem[];
}

export interface BuildOptions {
  processType: ProcessType;
  /** Make missing self-signed certificates (server) or only say they would be made (check). */
  writeCertificates: boolean;
  /** The running runtime on reload: its storage and shared tables carry over. */
  previous?: Runtime;
  /** The modules' clock (the test kit's); the system clock otherwise. */
  clock?: Clock;
}

export interface RuntimeBuild {
  http: HttpSettings;
  /** What is wrong beyond the config file's own diagnostics. */
  problems: Problem[];
}

/** `file:line:column: ` for a position, '' without one. */
export const where = (p?: SourcePosition): string => (p ? `${p.file}:${p.line}:${p.column}: ` : '');

/** Whether the server refuses this build: an error that is not confined to one module. */
export const refuses = (problems: readonly Problem[]): boolean => problems.some((p) => p.level === 'error' && !p.module);

const fromError = (err: unknown, position?: SourcePosition): Problem => ({
  level: 'error',
  message: isCantoError(err) ? err.message : errorText(err),
  position: (isCantoError(err) ? err.position : undefined) ?? position,
});

/** Read the config and build everything but the modules; `build` is absent when the config cannot be read. */
export async function buildFromFile(file: string, opts: BuildOptions): Promise<{ build?: Build; problems: Problem[] }> {
  let config: ParsedConfig;
  try {
    config = readConfig(file);
  } catch (err) {
    return { problems: [fromError(err)] };
  }
  try {
    const build = await buildFromConfig(config, opts);
    return { build, problems: build.problems };
  } catch (err) {
    return { problems: [...config.diagnostics.map((d) => ({ level: d.level, message: d.message, position: d.position })), fromError(err, globalPositionIn(config, 'data_path'))] };
  }
}

const globalPositionIn = (config: ParsedConfig, name: string) => config.sections.get('*')?.positions.get(name);

/** Build from a parsed config: its diagnostics, then every step. `build` is absent when not even a runtime can be made. */
export async function buildFromConfig(config: ParsedConfig, opts: BuildOptions): Promise<Build> {
  const diagnostics: Problem[] = config.diagnostics.map((d) => ({ level: d.level, message: d.message, position: d.position }));
  // The data folder itself is checked here (storage/data-folder.ts): a refusal, at data_path.
  const runtime = new Runtime(config, opts.processType, opts.clock, opts.previous);
  const built = await buildRuntime(runtime, opts);
  return { runtime, http: built.http, problems: [...diagnostics, ...built.problems] };
}

/** Every step on a runtime already made (the server's, the test kit's host, a reload's). */
export async function buildRuntime(runtime: Runtime, opts: Pick<BuildOptions, 'writeCertificates'>): Promise<RuntimeBuild> {
  const problems: Problem[] = [];
  const global = (name: string) => runtime.option(null, name);
  const globalPosition = (name: string) => runtime.optionPosition('*', name);

  // Logging: the sinks are made by the server once the build is accepted; here, their shape.
  const logSettings = { syslog_facility: global('syslog_facility'), debug: global('debug') };
  for (const message of logOptionProblems(global('log'), logSettings)) {
    problems.push({ level: 'error', message, position: globalPosition(/^option '(\w+)'/.exec(message)?.[1] ?? 'log') });
  }

  // HTTP: ports, interfaces, proxies, limits, certificates (read, and made only by the server).
  let http: HttpSettings | undefined;
  try {
    http = await httpSettingsFromOptions(global, {
      configDir: runtime.configDir,
      dataPath: runtime.dataPath,
      hosts: runtime.hostNames(),
      log: getLogger('http'),
      writeCertificates: opts.writeCertificates,
    });
  } catch (err) {
    const option = isCantoError(err) ? err.option : undefined;
    problems.push(fromError(err, option ? globalPosition(option) : tlsPosition(runtime)));
  }

  // Storage: every driver the hosts can pick must exist and start (connect, create tables), so
  // a wrong database is one clear error before any module loads (storage/manager.ts).
  // On reload the running storage reads the running config, so this config's drivers are
  // checked on a manager of its own.
  const storage = runtime.storageShared ? runtime.ownStorage() : runtime.storage;
  try {
    await storage.start(runtime.hostNames());
  } catch (err) {
    problems.push(fromError(err, runtime.optionPosition('*', 'storage') ?? runtime.optionPosition('*', 'default_storage')));
  } finally {
    if (storage !== runtime.storage) await storage.close();
  }

  await moduleProblems(runtime, problems);
  unknownOptionProblems(runtime, await knownOptions(runtime), problems);
  if (!runtime.hostNames().length) problems.push({ level: 'warning', message: 'No VirtualHost is defined, so no module will be loaded' });
  return { http: http ?? placeholderSettings(), problems };
}

/** A TLS error belongs to whichever certificate option is set. */
function tlsPosition(runtime: Runtime): SourcePosition | undefined {
  for (const name of ['https_certificate', 'https_ssl', 'ssl', 'certificates']) {
    const p = runtime.optionPosition('*', name);
    if (p) return p;
  }
  return undefined;
}

// Never used: a build with an HTTP error has an error problem and is refused.
const placeholderSettings = (): HttpSettings => ({
  httpPorts: [],
  httpInterfaces: [],
  httpsPorts: [],
  httpsInterfaces: [],
  maxContentSize: 0,
  maxConnections: 1,
  maxConnectionsPerIp: 1,
  keepaliveTimeout: 1,
  headerTimeout: 1,
  trustedProxies: [],
  tls: null,
});

/** Modules that are not there (warning) and module options that do not validate (error). */
async function moduleProblems(runtime: Runtime, problems: Problem[]): Promise<void> {
  const available = new Set(runtime.finder.available());
  const reported = new Set<string>();
  for (const name of runtime.hostNames()) {
    const host = runtime.host(name)!;
    for (const mod of host.enabled) {
      if (!available.has(mod)) {
        if (reported.has(mod)) continue;
        reported.add(mod);
        problems.push({
          level: 'warning',
          message: `Module '${mod}' is not available in Canto (XMPP-only or unknown); it will be ignored`,
          position: runtime.optionPosition(name, 'modules_enabled'),
        });
        continue;
      }
      try {
        const definition = await runtime.finder.definition(mod);
        if (!definition.options) continue;
        const checked = await validateOptions(definition.options, (o) => host.option(o), (o) => runtime.optionPosition(name, o));
        const module = { host: name, name: mod };
        for (const p of checked.problems) problems.push({ level: 'error', message: `${name}: mod_${mod}: ${p.message}`, position: p.position, module });
      } catch (err) {
        problems.push({ level: 'error', message: `${name}: ${errorText(err)}`, position: isCantoError(err) ? err.position : undefined, module: { host: name, name: mod } });
      }
    }
  }
}

/** Options Canto's host reads itself (beyond Prosody's own names). */
const CANTO_OPTIONS = [
  'http_cors_override', 'http_default_cors_enabled', 'http_paths', 'site_name',
  'http_max_connections', 'http_max_connections_per_ip', 'http_keepalive_timeout', 'http_header_timeout',
];

/** Prosody's options, Canto's, and every available module's declared ones. */
async function knownOptions(runtime: Runtime): Promise<Set<string>> {
  const known = new Set([...PROSODY_OPTIONS, ...CANTO_OPTIONS]);
  for (const mod of runtime.finder.available()) {
    try {
      const schema = (await runtime.finder.definition(mod)).options as { properties?: Record<string, unknown> } | undefined;
      for (const name of Object.keys(schema?.properties ?? {})) known.add(name);
    } catch {
      // A module that cannot be read is reported where it is enabled.
    }
  }
  return known;
}

// Set by the config reader itself, never by the operator.
const INTERNAL = new Set(['component_module', 'load_global_modules']);

function unknownOptionProblems(runtime: Runtime, known: Set<string>, problems: Problem[]): void {
  const names = [...known];
  for (const section of runtime.config.sections.values()) {
    for (const option of section.options.keys()) {
      if (known.has(option) || INTERNAL.has(option)) continue;
      const near = nearest(option, names);
      problems.push({
        level: 'warning',
        message: `Unknown option '${option}'${near ? ` (did you mean '${near}'?)` : ''}`,
        position: section.positions.get(option),
      });
    }
  }
}

/** The known name closest to `name` by edit distance (ties: first in order), if close enough to be a typo. */
export function nearest(name: string, names: readonly string[]): string | undefined {
  const limit = Math.max(2, Math.floor(name.length / 4));
  let best: string | undefined;
  let bestDistance = limit + 1;
  for (const candidate of [...names].sort()) {
    if (Math.abs(candidate.length - name.length) >= bestDistance) continue;
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = row;
  }
  return prev[b.length]!;
}

export interface LoadReport {
  loaded: number;
  /** host, module, cause: already logged as an error. */
  failed: { host: string; module: string; cause: string }[];
}

/**
 * Load every enabled module on every host; each failure is logged as an error naming host,
 * module and cause. `ready`: then run the modules' onReady callbacks (Prosody's server-started),
 * as the server does; ctl check only loads.
 */
export async function loadModules(runtime: Runtime, ready = true): Promise<LoadReport> {
  const failed = await runtime.loadAll();
  if (ready) for (const host of runtime.hosts) await host.ready();
  const loaded = runtime.hosts.reduce((n, h) => n + h.loaded.size, 0);
  return { loaded, failed };
}
