/**
 * Builds the module API object for one (host, module) pair (Prosody's core/moduleapi.lua).
 * Every registration goes through `Registrations`, so the host can undo all of it on unload.
 */
import { resolve } from 'node:path';
import { format } from 'node:util';
import type { Clock } from './clock.js';
import type { CronPeriod } from './cron.js';
import type { EventHandler, ItemEvent, LogLevel, ModuleApi, ModuleStatus, ProcessType, TimerHandle } from './module-api.js';
import { isStatusType, nextStatus } from './module-status.js';
import type { HttpApp } from './http/types.js';
import { staticFiles } from './http/static-files.js';
import type { ArchiveStore, KeyvalStore, MapStore } from './storage/types.js';
import type { Accounts } from './accounts/accounts.js';
import type { Logger } from './log.js';
import { metrics } from './metrics.js';
import { FailureThrottle } from './throttle.js';
import { readPeriod, toArrayOption, toBooleanOption, toNumberOption, toScalarOption, toStringOption } from './options.js';

/** What the host gives a module context: the services it binds to (host, module). */
export interface ContextServices {
  host: string;
  name: string;
  dir: string;
  processType: ProcessType;
  options: Readonly<Record<string, unknown>>;
  enabledModules: readonly string[];
  log: Logger;
  /** The runtime's clock: `time()` and timers. */
  clock: Clock;
  /** Host section, then global. */
  option(name: string): unknown;
  /** Global section only. */
  globalOption(name: string): unknown;
  /** Host section only. */
  hostOption(name: string): unknown;
  /** `optional`: a missing or disabled module gives undefined. */
  depends(name: string, optional: boolean): Promise<unknown>;
  /** Run `fn` once the server has started (at once, after this load, if it has); returns the remover. */
  onReady(fn: () => void | Promise<void>): () => void;
  /** Add a periodic job; returns the remover. */
  addCron(name: string, when: CronPeriod, fn: (now: number) => void | Promise<void>): () => void;
  mountHttp(app: HttpApp): () => void;
  httpUrl(app: HttpApp | undefined, path: string): string;
  addItem(kind: string, item: Record<string, unknown>): () => void;
  getItems(kind: string): Record<string, unknown>[];
  /** The items of a kind with the module that provided each. */
  itemEvents(kind: string): ItemEvent[];
  openStore(name: string, type: 'keyval' | 'map'): KeyvalStore | MapStore;
  openArchive(name: string, driverFor: string | undefined): ArchiveStore;
  hook(event: string, handler: EventHandler, priority: number): () => void;
  fireEvent(event: string, data: unknown): unknown;
  fireEventAsync(event: string, data: unknown): Promise<unknown>;
  shared(path: string): object;
  accounts(): Accounts;
}

/** Everything a module registered, undone in reverse order on unload. */
export class Registrations {
  #undo: (() => void)[] = [];
  #closed = false;

  add(undo: () => void): void {
    if (this.#closed) {
      undo();
      return;
    }
    this.#undo.push(undo);
  }

  get closed(): boolean {
    return this.#closed;
  }

  undoAll(): void {
    this.#closed = true;
    for (const undo of this.#undo.reverse()) {
      try {
        undo();
      } catch {
        // One failing undo must not keep the rest registered.
      }
    }
    this.#undo = [];
  }
}

export function createModuleApi(s: ContextServices, reg: Registrations): ModuleApi {
  let httpApp: HttpApp | undefined;

  const time = () => Math.floor(s.clock.nowMs() / 1000);
  let status: ModuleStatus | undefined;
  const addTimer = (delaySeconds: number, fn: (time: number) => number | void | Promise<number | void>): TimerHandle => {
    let cancel: (() => void) | undefined;
    let stopped = false;
    const arm = (seconds: number) => {
      cancel?.();
      cancel = undefined;
      if (stopped || reg.closed) return;
      // A ctl command never waits for a module's timers.
      cancel = s.clock.setTimer(seconds * 1000, fire, s.processType !== 'ctl');
    };
    const fire = async () => {
      cancel = undefined;
      try {
        const again = await fn(time());
        if (typeof again === 'number') arm(again);
      } catch (err) {
        s.log.error('Error in timer: %s', err instanceof Error ? err.message : String(err));
      }
    };
    const handle: TimerHandle = {
      stop() {
        stopped = true;
        cancel?.();
        cancel = undefined;
      },
      reschedule: (seconds) => arm(seconds),
    };
    arm(delaySeconds);
    reg.add(() => handle.stop());
    return handle;
  };

  const api: ModuleApi = {
    name: s.name,
    host: s.host,
    processType: s.processType,
    options: s.options,
    enabledModules: s.enabledModules,

    getOption: <T>(name: string, fallback?: T) => (s.option(name) as T | undefined) ?? fallback,
    getOptionString: (name, fallback) => toStringOption(s.option(name)) ?? fallback,
    getOptionNumber: (name, fallback) => {
      const raw = s.option(name);
      const value = toNumberOption(raw);
      if (raw !== undefined && value === undefined) s.log.error("Option '%s' is expecting a number", name);
      return value ?? fallback;
    },
    getOptionBoolean: (name, fallback) => {
      const raw = s.option(name);
      const value = toBooleanOption(raw);
      if (raw !== undefined && value === undefined) s.log.error("Option '%s' is expecting a boolean", name);
      return value ?? fallback;
    },
    getOptionArray: (name, fallback = []) => toArrayOption(s.option(name)) ?? [...fallback],
    getOptionSet: (name, fallback = []) => new Set(toArrayOption(s.option(name)) ?? fallback),
    getOptionInheritedSet: (name, fallback = []) => {
      const global = toArrayOption(s.globalOption(name)) ?? [];
      const host = toArrayOption(s.hostOption(name)) ?? [];
      const all = [...global, ...host];
      return new Set(all.length ? all : fallback);
    },
    getOptionPeriod: (name, fallback) => {
      const raw = toScalarOption(s.option(name));
      if (raw === undefined) return fallback;
      const period = readPeriod(raw);
      if ('seconds' in period) return period.seconds;
      s.log.error("Config option '%s' %s", name, period.problem);
      return fallback;
    },

    log: (level: LogLevel, message: string, ...args: unknown[]) => s.log.log(level, args.length ? format(message, ...args) : message),

    depends: ((name: string, options?: { optional?: boolean }) => s.depends(name, options?.optional === true)) as ModuleApi['depends'],
    onReady: (fn) => reg.add(s.onReady(fn)),

    setStatus(type, message, override) {
      if (!isStatusType(type)) {
        s.log.error("setStatus: invalid status type '%s', assuming 'info'", String(type));
        type = 'info';
      }
      const next = nextStatus(status, type, message, time(), override);
      if (next === status) {
        s.log.debug('ignoring status %s (override %s): %s', type, String(override), message);
        return;
      }
      status = next;
      s.fireEvent('module-status/updated', { name: s.name });
    },
    logStatus(level, message, ...args) {
      const text = args.length ? format(message, ...args) : message;
      api.setStatus(level, text);
      s.log.log(level, text);
    },
    getStatus: () => status,

    provides: ((kind: string, item: Record<string, unknown>) => {
      if (kind === 'http') {
        httpApp = item as unknown as HttpApp;
        reg.add(s.mountHttp(httpApp));
      } else {
        reg.add(s.addItem(kind, item));
      }
    }) as ModuleApi['provides'],
    getItems: <T>(kind: string) => s.getItems(kind) as T[],
    handleItems: <T>(kind: string, added: (event: ItemEvent<T>) => void, removed: (event: ItemEvent<T>) => void, existing = true) => {
      // Wrapped: a callback's return value must not stop the event for other handlers.
      reg.add(s.hook(`item-added/${kind}`, (event) => void added(event as ItemEvent<T>), 0));
      reg.add(s.hook(`item-removed/${kind}`, (event) => void removed(event as ItemEvent<T>), 0));
      if (existing) for (const event of s.itemEvents(kind)) added(event as ItemEvent<T>);
    },

    openStore: ((name?: string, type: 'keyval' | 'map' | 'archive' = 'keyval', options?: { driverFor?: string }) =>
      type === 'archive' ? s.openArchive(name ?? s.name, options?.driverFor) : s.openStore(name ?? s.name, type)) as ModuleApi['openStore'],

    hook: (event, handler, priority = 0) => {
      const unhook = s.hook(event, handler as EventHandler, priority);
      reg.add(unhook);
      return unhook;
    },
    fireEvent: (event, data) => s.fireEvent(event, data),
    fireEventAsync: (event, data) => s.fireEventAsync(event, data),

    shared: <T extends object>(path: string) => s.shared(path) as T,
    failureThrottle: ({ max, window }) => FailureThrottle.kept(s.shared('failure-throttle') as { throttle?: FailureThrottle }, max, window),
    addTimer,
    hourly: (name, fn) => reg.add(s.addCron(name, 'hourly', fn)),
    daily: (name, fn) => reg.add(s.addCron(name, 'daily', fn)),
    weekly: (name, fn) => reg.add(s.addCron(name, 'weekly', fn)),
    httpUrl: (path = '') => s.httpUrl(httpApp, path),
    getDirectory: () => s.dir,
    serveStatic: (path) => staticFiles(resolve(s.dir, path)),
    accounts: () => s.accounts(),
    time,
    measure: (name, type, options) => metrics.measure(type, `canto_mod_${s.name}/${name}`, options, { host: s.host }),
    renderMetrics: () => metrics.render(),
    readMetric: (name) => metrics.read(name),
  };
  return api;
}
