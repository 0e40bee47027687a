/**
 * The process-wide host: the parsed config, the hosts it defines, storage, the HTTP server
 * (server only) and the shared tables. Both entry points (server, ctl) build one of these.
 */
import { dirname, isAbsolute, resolve } from 'node:path';
import { systemClock, type Clock } from './clock.js';
import type { ConfigValue, ParsedConfig } from './config/types.js';
import { hostModules, prosodyDataDir } from './config/index.js';
import type { SourcePosition } from './errors.js';
import { Host } from './host.js';
import type { HttpApp } from './http/types.js';
import { resolveCors } from './http/cors.js';
import { basePathFor } from './http/paths.js';
import { Router } from './http/router.js';
import type { HttpServer } from './http/server.js';
import type { Logger } from './log.js';
import type { ProcessType } from './module-api.js';
import { ModuleFinder } from './module-finder.js';
import { toArrayOption, toStringOption } from './options.js';
import { StorageManager } from './storage/manager.js';
import { checkDataFolder } from './storage/data-folder.js';
import { getLogger } from './log.js';

/** The absolute data_path of a config: relative to the config file's folder, default `data`. */
export function dataPathOf(config: ParsedConfig): string {
  // Prosody's util/startup.lua: data_path, else the installed Prosody's CFG_DATADIR, else "data".
  const option = toStringOption(config.sections.get('*')?.options.get('data_path')) ?? prosodyDataDir() ?? 'data';
  // COMPAT: Prosody resolves data_path against its working directory; the config's folder is predictable.
  return isAbsolute(option) ? option : resolve(dirname(config.file), option);
}

export class Runtime {
  readonly config: ParsedConfig;
  readonly processType: ProcessType;
  readonly configDir: string;
  readonly dataPath: string;
  readonly finder: ModuleFinder;
  readonly storage: StorageManager;
  /** Module time and timers: the system clock, or a test's own (canto/testing). */
  readonly clock: Clock;
  /** Set by the server entry point once listeners are configured; null under ctl. */
  http: HttpServer | null = null;
  /** This config's routes; the server answers from it once this runtime is the live one. */
  readonly router = new Router();
  readonly #hosts = new Map<string, Host>();
  readonly #shared: Map<string, object>;
  /** Whose config the storage manager reads (the newest runtime sharing it). */
  readonly #storageView: { runtime: Runtime };
  readonly #log = getLogger('general');

  /**
   * `previous` is the running runtime when a reloaded config replaces it: the storage (same
   * data_path) and the shared tables carry over, as they do across a Prosody reload.
   */
  constructor(config: ParsedConfig, processType: ProcessType, clock: Clock = systemClock, previous?: Runtime) {
    this.config = config;
    this.processType = processType;
    this.clock = clock;
    this.configDir = dirname(config.file);
    this.dataPath = dataPathOf(config);
    checkDataFolder(this.dataPath);
    this.finder = new ModuleFinder(toArrayOption(this.option(null, 'plugin_paths')) ?? [], this.configDir);
    this.#shared = previous ? previous.#shared : new Map();
    if (previous && previous.dataPath === this.dataPath) {
      this.storage = previous.storage;
      this.#storageView = previous.#storageView;
    } else {
      const view = { runtime: this as Runtime };
      this.#storageView = view;
      this.storage = new StorageManager({
        dataPath: this.dataPath,
        option: (host, name) => view.runtime.option(host, name),
        position: (host, name) => (host === null ? view.runtime.config.sections.get('*')?.positions.get(name) : view.runtime.optionPosition(host, name)),
        log: (level, message) => getLogger('storage').log(level, message),
      });
    }
  }

  /** Whether the storage is the running runtime's (a reload), still reading that config. */
  get storageShared(): boolean {
    return this.#storageView.runtime !== this;
  }

  /** A storage manager on this config alone: a reload checks its drivers with it, then closes it. */
  ownStorage(): StorageManager {
    return new StorageManager({
      dataPath: this.dataPath,
      option: (host, name) => this.option(host, name),
      position: (host, name) => (host === null ? this.config.sections.get('*')?.positions.get(name) : this.optionPosition(host, name)),
      log: (level, message) => getLogger('storage').log(level, message),
    });
  }

  /** This runtime's config now decides which driver a newly opened store gets. */
  takeStorage(): void {
    this.#storageView.runtime = this;
  }

  /** A path from the config, relative to the config file's folder. */
  resolvePath(path: string): string {
    // COMPAT: Prosody resolves data_path against its working directory; the config's folder is predictable.
    return isAbsolute(path) ? path : resolve(this.configDir, path);
  }

  /** Host section (when `host` is given and sets it), then global. */
  option(host: string | null, name: string): unknown {
    if (host !== null) {
      const section = this.config.sections.get(host);
      if (section?.options.has(name)) return section.options.get(name);
    }
    return this.config.sections.get('*')?.options.get(name);
  }

  hostOption(host: string, name: string): ConfigValue | undefined {
    return this.config.sections.get(host)?.options.get(name);
  }

  optionPosition(host: string, name: string): SourcePosition | undefined {
    return this.config.sections.get(host)?.positions.get(name) ?? this.config.sections.get('*')?.positions.get(name);
  }

  /** Names of the VirtualHosts and Components that are not `enabled = false`. */
  hostNames(): string[] {
    return [...this.config.sections.values()]
      .filter((s) => s.kind !== 'global' && s.options.get('enabled') !== false)
      .map((s) => s.name);
  }

  /** The Host object for a configured host; undefined for anything else. */
  host(name: string): Host | undefined {
    let host = this.#hosts.get(name);
    if (!host && this.hostNames().includes(name)) {
      host = new Host(this, name, hostModules(this.config, name));
      this.#hosts.set(name, host);
    }
    return host;
  }

  /**
   * A Host for a name the config does not list (prosodyctl adduser makes one, so an account can
   * be prepared before the host is added): global options, no modules.
   */
  unlistedHost(name: string): Host {
    let host = this.#hosts.get(name);
    if (!host) {
      host = new Host(this, name, { enabled: [], disabled: new Set() });
      this.#hosts.set(name, host);
    }
    return host;
  }

  get hosts(): Host[] {
    return [...this.#hosts.values()];
  }

  shared(path: string): object {
    let table = this.#shared.get(path);
    if (!table) {
      table = {};
      this.#shared.set(path, table);
    }
    return table;
  }

  /** The app's base path on this host: http_paths (host, then global), default_path, `/<name>`. */
  basePath(host: Host, moduleName: string, app: HttpApp | undefined): string {
    const appName = app?.name ?? moduleName;
    return basePathFor(appName, app?.default_path, (n) => this.option(host.name, n), host.name);
  }

  mountHttp(host: Host, moduleName: string, app: HttpApp, log: Logger): () => void {
    // ctl has no HTTP; ctl check gives the runtime an HTTP server that never listens, so that
    // routes are checked as the server checks them.
    if (!this.http) return () => {};
    const appName = app.name ?? moduleName;
    return this.http.mount(
      {
        host: (toStringOption(host.option('http_host')) ?? host.name).toLowerCase(),
        basePath: this.basePath(host, moduleName, app),
        name: appName,
        routes: app.route,
        cors: resolveCors(appName, app.cors, (n) => this.option(null, n)),
        log,
      },
      this.router,
    );
  }

  /**
   * Prosody's module:http_url(): http_external_url + base path, else the first HTTPS (then
   * HTTP) port with http_host, leaving out the scheme's default port.
   */
  httpUrl(host: Host, moduleName: string, app: HttpApp | undefined, path: string): string {
    const base = this.basePath(host, moduleName, app);
    const external = toStringOption(host.option('http_external_url'));
    if (external) return external.replace(/\/+$/, '') + base + path;
    const name = toStringOption(host.option('http_host')) ?? host.name;
    let live = this.http?.addresses();
    if (live && !live.http.length && !live.https.length) live = undefined; // not listening yet
    const https = live ? live.https[0]?.port : this.#firstPort('https_ports', 5281);
    const http = live ? live.http[0]?.port : this.#firstPort('http_ports', 5280);
    if (https !== undefined && !Number.isNaN(https)) return `https://${name}${https === 443 ? '' : `:${https}`}${base}${path}`;
    if (http !== undefined && !Number.isNaN(http)) return `http://${name}${http === 80 ? '' : `:${http}`}${base}${path}`;
    return `http://disabled.invalid${base}${path}`;
  }

  #firstPort(option: string, fallback: number): number | undefined {
    const ports = toArrayOption(this.option(null, option));
    if (!ports) return fallback;
    return ports.length ? Number(ports[0]) : undefined;
  }

  /** Start the storage drivers every enabled host can use (connect, create tables); rejects with the first problem. */
  startStorage(hosts: readonly string[] = this.hostNames()): Promise<void> {
    return this.storage.start(hosts);
  }

  /**
   * Load every enabled module on every host; a failing module is logged as an error naming
   * host, module and cause, and the rest keep running. Returns the failures.
   */
  async loadAll(): Promise<{ host: string; module: string; cause: string }[]> {
    const failed: { host: string; module: string; cause: string }[] = [];
    // A module that is not there was reported by the builder (runtime/build.ts) as a warning.
    const available = new Set(this.finder.available());
    for (const name of this.hostNames()) {
      const host = this.host(name)!;
      for (const mod of host.enabled) {
        if (!available.has(mod)) continue;
        try {
          await host.load(mod);
        } catch (err) {
          const cause = err instanceof Error ? err.message : String(err);
          getLogger(`${name}:${mod}`).error('%s', cause);
          failed.push({ host: name, module: mod, cause });
        }
      }
    }
    return failed;
  }

  /** Unload every module (a reload does this to the runtime it replaces). */
  async unloadAll(): Promise<void> {
    for (const host of this.hosts) await host.unloadAll();
  }

  async shutdown(): Promise<void> {
    await this.unloadAll();
    await this.storage.close();
  }
}
