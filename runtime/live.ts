/**
 * The running server between start and stop: which runtime is live, how a reload replaces it
 * (SIGHUP and `ctl reload`), and what `ctl status` reports. A reload builds the new config
 * beside the running one with the same builder as start and `ctl check`; only a build without
 * errors, whose modules are loaded, takes over, and the old modules are unloaded after the
 * switch, so no request goes unanswered.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFromFile, refuses, loadModules, where, type LoadReport, type Problem } from './build.js';
import { errorText } from './errors.js';
import type { HttpServer } from './http/server.js';
import { getLogger } from './log.js';
import { reopenLogs } from './logging.js';
import { PROJECT_ROOT } from './project.js';
import type { Runtime } from './runtime.js';

/** Options a running server cannot change: they take effect at the next start. */
const RESTART_ONLY = ['http_ports', 'http_interfaces', 'https_ports', 'https_interfaces', 'interfaces', 'local_interfaces', 'prosody_user', 'prosody_group', 'run_as_root', 'pidfile', 'umask'];

export const VERSION: string = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

export interface ReloadResult {
  ok: boolean;
  problems: Problem[];
  /** What a restart would still change. */
  restartNeeded: string[];
  loaded?: number;
  failed?: LoadReport['failed'];
}

export interface Status {
  pid: number;
  version: string;
  startedAt: number;
  uptime: number;
  config: string;
  listeners: { scheme: string; address: string; port: number }[];
  hosts: { name: string; modules: { name: string; status: 'loaded' | 'failed'; cause?: string }[] }[];
}

export class LiveServer {
  runtime: Runtime;
  readonly http: HttpServer;
  readonly file: string;
  readonly startedAt = Date.now();
  #failed: LoadReport['failed'];
  #reloading: Promise<ReloadResult> | undefined;
  #log = getLogger('general');

  constructor(runtime: Runtime, http: HttpServer, file: string, report: LoadReport) {
    this.runtime = runtime;
    this.http = http;
    this.file = file;
    this.#failed = report.failed;
  }

  /** One reload at a time; a second request while one runs waits for it and then runs its own. */
  reload(why: string): Promise<ReloadResult> {
    const previous = this.#reloading ?? Promise.resolve();
    const next = previous.then(() => this.#reload(why));
    this.#reloading = next;
    void next.finally(() => {
      if (this.#reloading === next) this.#reloading = undefined;
    });
    return next;
  }

  async #reload(why: string): Promise<ReloadResult> {
    const log = this.#log;
    const old = this.runtime;
    // Log files first: logrotate's SIGHUP is about them, whatever the config says; so this
    // reload's own lines go to the new files, not the rotated ones.
    reopenLogs();
    log.info('%s: reloading config %s', why, this.file);
    let built;
    try {
      built = await buildFromFile(this.file, { processType: 'server', writeCertificates: true, previous: old });
    } catch (err) {
      built = { problems: [{ level: 'error' as const, message: errorText(err) }] };
    }
    const { build, problems } = built;
    for (const p of problems) log.log(p.level === 'error' ? 'error' : 'warn', `${where(p.position)}${p.message}`);
    if (!build || refuses(problems)) {
      const errors = problems.filter((p) => p.level === 'error' && !p.module).length;
      log.error('The config has %d error%s; keeping the running config', errors, errors === 1 ? '' : 's');
      return { ok: false, problems, restartNeeded: [] };
    }
    const next = build.runtime;
    const restartNeeded = RESTART_ONLY.filter((name) => JSON.stringify(old.option(null, name)) !== JSON.stringify(next.option(null, name)));
    for (const name of restartNeeded) log.warn("Option '%s' changed: restart Canto to apply it (the running server keeps the old value)", name);
    reopenLogs(next.option(null, 'log'), next.configDir, { syslog_facility: next.option(null, 'syslog_facility'), debug: next.option(null, 'debug') });

    next.http = this.http;
    const report = await loadModules(next);
    this.http.reconfigure(build.http, next.router);
    next.takeStorage();
    this.runtime = next;
    this.#failed = report.failed;
    this.#logChanges(old, next);
    await old.unloadAll();
    if (old.storage !== next.storage) await old.storage.close();
    log.info(
      'Config reloaded: hosts: %s; %d module%s loaded, %d failed',
      next.hostNames().join(', ') || '(none)',
      report.loaded,
      report.loaded === 1 ? '' : 's',
      report.failed.length,
    );
    return { ok: true, problems, restartNeeded, loaded: report.loaded, failed: report.failed };
  }

  #logChanges(old: Runtime, next: Runtime): void {
    const oldHosts = new Map(old.hosts.map((h) => [h.name, h]));
    const newHosts = new Map(next.hosts.map((h) => [h.name, h]));
    for (const name of newHosts.keys()) if (!oldHosts.has(name)) this.#log.info('Host %s added', name);
    for (const name of oldHosts.keys()) if (!newHosts.has(name)) this.#log.info('Host %s removed', name);
    for (const [name, host] of newHosts) {
      const before = oldHosts.get(name);
      if (!before) continue;
      for (const mod of host.loaded.keys()) if (!before.loaded.has(mod)) this.#log.info('Module %s loaded on %s', mod, name);
      for (const mod of before.loaded.keys()) if (!host.loaded.has(mod)) this.#log.info('Module %s unloaded from %s', mod, name);
    }
  }

  status(): Status {
    const addresses = this.http.addresses();
    const failed = this.#failed;
    return {
      pid: process.pid,
      version: VERSION,
      startedAt: this.startedAt,
      uptime: Math.floor((Date.now() - this.startedAt) / 1000),
      config: this.file,
      listeners: Object.entries(addresses).flatMap(([scheme, list]) => list.map((a) => ({ scheme, address: a.address, port: a.port }))),
      hosts: this.runtime.hostNames().map((name) => {
        const host = this.runtime.host(name)!;
        const modules: Status['hosts'][number]['modules'] = [...host.loaded.keys()].map((m) => ({ name: m, status: 'loaded' }));
        for (const f of failed) if (f.host === name) modules.push({ name: f.module, status: 'failed', cause: f.cause });
        return { name, modules };
      }),
    };
  }
}
