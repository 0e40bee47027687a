/**
 * canto/testing: test a module in-process, without spawning the server.
 *
 * ```ts
 * import t from 'tap';
 * import { startHost } from 'canto/testing';
 *
 * t.test('the greeting route answers', async (t) => {
 *   const host = await startHost(t, {
 *     config: 'modules_enabled = { "hello" }\nVirtualHost "example.com"\n',
 *     plugins: [new URL('..', import.meta.url).pathname],
 *   });
 *   const res = await host.inject({ url: '/hello' });
 *   t.equal(res.status, 200);
 *   const ctl = await host.ctl('mod_hello', 'greet', 'example.com');
 *   t.equal(ctl.stdout, 'hi\n');
 *   await host.clock.advance(3600); // the module's hourly timer runs
 * });
 * ```
 *
 * The host is set up exactly as `npm start` sets it up (same config reader, option checks,
 * module loading, HTTP router and responses) on a temporary folder; it never listens. `inject`
 * answers what the listener would answer; `ctl` runs a command as `npx ctl` would, as a second
 * runtime on the same data folder; `clock` is the time every module sees, moved by the test.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { readConfig } from '../config/index.js';
import type { HttpServer } from '../http/server.js';
import { getLogger, setLogSinks, withLogSinks, type LogSink } from '../log.js';
import type { ModuleApis } from '../module-api.js';
import { Runtime } from '../runtime.js';
import { logDiagnostics, prepareServer } from '../start.js';
import { runCtl } from '../../ctl/run.js';
import { TestClock } from './clock.js';
import { inject, type InjectReply, type InjectRequest } from './inject.js';

export { TestClock } from './clock.js';
export type { InjectReply, InjectRequest } from './inject.js';

/** The parts of a tap `Test` the kit uses: a fresh folder, and cleanup when the test ends. */
export interface TestContext {
  testdir(): string;
  teardown(fn: () => unknown): void;
}

export interface StartHostOptions {
  /** The config file's text (Prosody's Lua format), written as `prosody.cfg.lua` in the folder. */
  config: string;
  /**
   * Folders holding `mod_<name>/` plugin folders, searched before the built-in modules. They are
   * written at the top of the config, `plugin_paths = { ... }` (a later `plugin_paths` replaces them),
   * after `data_path = "data"` (likewise).
   */
  plugins?: string[];
  /** More files to write, by path relative to the folder (certificates, fixtures, data). */
  files?: Record<string, string | Buffer>;
  /** Where to work; default `t.testdir()`. Relative paths in the config are relative to it. */
  dir?: string;
  /** The clock's start, Unix seconds; default the real time now. */
  now?: number;
  /**
   * Start even if a module fails to load (the server logs the error and goes on); by default
   * `startHost` rejects with the logged errors, since a test host should load what it names.
   */
  allowLoadErrors?: boolean;
}

export interface CtlResult {
  /** Exit code: 0 ok, 1 failed, 2 usage. */
  code: number;
  stdout: string;
  stderr: string;
}

export interface TestHost {
  /** The folder with `prosody.cfg.lua` and (by default) `data/`. */
  readonly dir: string;
  readonly configFile: string;
  /** The time the host's modules and in-process ctl runs see; it moves only when told to. */
  readonly clock: TestClock;
  /**
   * One HTTP request through the real server pipeline, without a socket. A string is a GET of
   * that path. Relative URLs go to the first VirtualHost.
   */
  inject(request: InjectRequest | string): Promise<InjectReply>;
  /**
   * `npx ctl --config <configFile> ...args`, in-process with the test clock. Its stdin is empty,
   * or `input` in the second form (`ctl(['adduser', 'alice@example.com'], { input: 'pw\npw\n' })`).
   */
  ctl(...args: string[]): Promise<CtlResult>;
  ctl(args: readonly string[], options: { input?: string }): Promise<CtlResult>;
  /** What a module's `load` returned on a host (its public API, as `depends` gives it). */
  api<K extends keyof ModuleApis>(host: string, module: K): ModuleApis[K];
  api<T = unknown>(host: string, module: string): T;
  /** Fire an event on a host's bus, as a module's `fireEvent` would. */
  fireEvent(host: string, event: string, data?: unknown): unknown;
  /** Every log line so far (all levels), formatted as the server logs them. */
  logs(): string[];
  /** Unload every module and close storage; run at teardown when not called before. */
  stop(): Promise<void>;
}

/**
 * The log sinks of the hosts alive in this process. What a host's own work logs goes to that
 * host (withLogSinks); what is logged outside any host's context, e.g. by a module API method
 * the test calls directly, goes to every live host, since the test is driving one of them.
 */
const live = new Set<LogSink>();
let processSinks: LogSink[] | undefined;

function addLive(sink: LogSink): () => void {
  live.add(sink);
  processSinks ??= setLogSinks([{ min: 'debug', write: (...args) => live.forEach((s) => s.write(...args)) }]);
  return () => {
    live.delete(sink);
    if (!live.size && processSinks) {
      setLogSinks(processSinks);
      processSinks = undefined;
    }
  };
}

export async function startHost(t: TestContext, options: StartHostOptions): Promise<TestHost> {
  const dir = options.dir ?? t.testdir();
  const configFile = join(dir, 'prosody.cfg.lua');
  const plugins = options.plugins?.length ? `plugin_paths = { ${options.plugins.map(luaString).join(', ')} }\n` : '';
  // A test host keeps its data in its own folder: without data_path a config would use the
  // installed Prosody's (/var/lib/prosody on Debian). A data_path in the config replaces this.
  writeFiles(dir, { ...options.files, 'prosody.cfg.lua': `data_path = "data"\n${plugins}${options.config}` });
  const clock = new TestClock(options.now);
  const lines: string[] = [];
  const errors: string[] = [];
  const sink: LogSink = {
    min: 'debug',
    write: (line, level) => {
      lines.push(line);
      if (level === 'error') errors.push(line);
    },
  };
  const sinks = [sink];
  const removeSink = addLive(sink);

  const { runtime, http } = await withLogSinks(sinks, async () => {
    try {
      const config = readConfig(configFile);
      const runtime = new Runtime(config, 'server', clock);
      logDiagnostics(config, getLogger('general'));
      try {
        return { runtime, http: await prepareServer(runtime) };
      } catch (err) {
        await runtime.shutdown().catch(() => {});
        throw err;
      }
    } catch (err) {
      removeSink();
      throw err;
    }
  });
  if (errors.length && !options.allowLoadErrors) {
    await withLogSinks(sinks, () => runtime.shutdown());
    removeSink();
    throw new Error(`The test host did not start cleanly:\n${errors.join('\n')}`);
  }

  const defaultHost = runtime.hostNames()[0] ?? 'localhost';
  const inFlight = new Set<Promise<unknown>>();
  const track = <R>(p: Promise<R>): Promise<R> => {
    inFlight.add(p);
    void p.then(
      () => inFlight.delete(p),
      () => inFlight.delete(p),
    );
    return p;
  };
  let stopped: Promise<void> | undefined;
  const host: TestHost = {
    dir,
    configFile,
    clock,
    inject: (request) => track(withLogSinks(sinks, () => inject(http as HttpServer, defaultHost, typeof request === 'string' ? { url: request } : request))),
    ctl: (...args: (string | readonly string[] | { input?: string })[]) => {
      const [first, options] = args;
      const words = Array.isArray(first) ? [...(first as readonly string[])] : (args as string[]);
      const input = Array.isArray(first) ? (options as { input?: string } | undefined)?.input : undefined;
      return track(ctl(configFile, dir, clock, words, input ?? ''));
    },
    api: (hostName: string, module: string) => {
      const loaded = runtime.host(hostName)?.loaded.get(module);
      if (!loaded) throw new Error(`mod_${module} is not loaded on ${hostName}`);
      return loaded.exports as never;
    },
    fireEvent: (hostName, event, data) => {
      const h = runtime.host(hostName);
      if (!h) throw new Error(`${hostName} is not a host in the config`);
      return withLogSinks(sinks, () => h.events.fire(event, data));
    },
    logs: () => [...lines],
    stop() {
      stopped ??= withLogSinks(sinks, async () => {
        await Promise.allSettled([...inFlight]);
        await http.stop();
        await runtime.shutdown();
        removeSink();
      });
      return stopped;
    },
  };
  t.teardown(() => host.stop());
  return host;
}

async function ctl(configFile: string, cwd: string, clock: TestClock, args: string[], input: string): Promise<CtlResult> {
  let stdout = '';
  let stderr = '';
  const code = await runCtl(['--config', configFile, ...args], {
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: process.env,
    cwd,
    clock,
    stdin: Readable.from([input]),
  });
  return { code, stdout, stderr };
}

function writeFiles(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

/** A Lua string literal for a path. */
function luaString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`).replace(/\n/g, '\\n')}"`;
}
