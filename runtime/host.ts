/**
 * One VirtualHost (or Component): its event bus, its items and its loaded modules
 * (Prosody's core/modulemanager.lua `do_load_module` / `do_unload_module`, per host).
 */
import { createAccounts, type Accounts } from './accounts/accounts.js';
import { Cron } from './cron.js';
import { CantoError, errorText } from './errors.js';
import { EventBus } from './events.js';
import { getLogger } from './log.js';
import type { ItemEvent, ItemSource, ModuleApi, ModuleDefinition, ModuleStatus } from './module-api.js';
import { createModuleApi, Registrations } from './module-context.js';
import { optionError, validateOptions } from './options.js';
import type { Runtime } from './runtime.js';

export interface LoadedModule {
  name: string;
  definition: ModuleDefinition;
  api: ModuleApi;
  /** What `load` returned: the module's public API. */
  exports: unknown;
  registrations: Registrations;
}

export class Host {
  readonly name: string;
  readonly events: EventBus;
  /** Modules enabled here after modules_enabled/modules_disabled, in config order. */
  readonly enabled: readonly string[];
  readonly disabled: ReadonlySet<string>;
  readonly #runtime: Runtime;
  readonly #loaded = new Map<string, LoadedModule>();
  readonly #loading = new Map<string, Promise<LoadedModule>>();
  readonly #items = new Map<string, ItemEvent[]>();
  /** Modules whose load failed, with the error status `ctl status` shows for them. */
  readonly #failed = new Map<string, ModuleStatus>();
  /** `onReady` callbacks waiting for the server to start. */
  readonly #waitingForReady = new Set<{ module: string; fn: () => void | Promise<void> }>();
  #ready = false;
  #cron: Cron | undefined;
  #accounts: Accounts | undefined;

  constructor(runtime: Runtime, name: string, modules: { enabled: string[]; disabled: Set<string> }) {
    this.#runtime = runtime;
    this.name = name;
    this.events = new EventBus(getLogger(name));
    this.enabled = modules.enabled;
    this.disabled = modules.disabled;
  }

  get loaded(): ReadonlyMap<string, LoadedModule> {
    return this.#loaded;
  }

  /**
   * Each module's status (`module.setStatus`; `core: Loaded` after a clean load), and an
   * `error` for each module that failed to load: what `ctl status` shows.
   */
  statuses(): Map<string, ModuleStatus> {
    const out = new Map(this.#failed);
    for (const [name, mod] of this.#loaded) {
      const status = mod.api.getStatus();
      if (status) out.set(name, status);
    }
    return out;
  }

  /**
   * The server has started (every enabled module on every host loaded): run the `onReady`
   * callbacks, and from now on run new ones as soon as their module has loaded.
   */
  async ready(): Promise<void> {
    if (this.#ready) return;
    this.#ready = true;
    const waiting = [...this.#waitingForReady];
    this.#waitingForReady.clear();
    for (const entry of waiting) await this.#runReady(entry.module, entry.fn);
  }

  async #runReady(module: string, fn: () => void | Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (err) {
      getLogger(`${this.name}:${module}`).error('Error in onReady: %s', errorText(err));
    }
  }

  /** Host section, then global (Prosody: a host value replaces the global one). */
  option(name: string): unknown {
    return this.#runtime.option(this.name, name);
  }

  /** The host's accounts; throws ERR_AUTH_PROVIDER for a provider Canto cannot manage. */
  accounts(): Accounts {
    const rt = this.#runtime;
    return (this.#accounts ??= createAccounts({
      host: this.name,
      option: (o) => this.option(o),
      openAccountsStore: () => rt.storage.open(this.name, 'accounts', 'keyval'),
      fireEvent: (event, data) => this.events.fire(event, data),
      purge: (username) => rt.storage.purge(this.name, username),
    }));
  }

  /**
   * Load a module (and, first, its dependencies) on this host; returns its public API.
   * `chain` is the list of modules waiting for this one, to report cycles.
   */
  async load(name: string, chain: readonly string[] = []): Promise<unknown> {
    const done = this.#loaded.get(name);
    if (done) return done.exports;
    if (chain.includes(name)) throw new CantoError('ERR_MODULE_CYCLE', [[...chain, name].join(' -> ')]);
    if (chain.length && this.disabled.has(name)) throw new CantoError('ERR_MODULE_DISABLED', [name, this.name]);
    let pending = this.#loading.get(name);
    if (!pending) {
      pending = this.#doLoad(name, [...chain, name]);
      this.#loading.set(name, pending);
      pending.then(
        () => this.#loading.delete(name),
        () => this.#loading.delete(name),
      );
    }
    return (await pending).exports;
  }

  async #doLoad(name: string, chain: readonly string[]): Promise<LoadedModule> {
    const rt = this.#runtime;
    const found = rt.finder.find(name);
    if (!found) throw new CantoError('ERR_MODULE_NOT_FOUND', [name]);
    const registrations = new Registrations();
    const afterLoad: { module: string; fn: () => void | Promise<void> }[] = [];
    try {
      const definition = await rt.finder.definition(name);
      let options: Record<string, unknown> = {};
      if (definition.options) {
        const checked = await validateOptions(
          definition.options,
          (option) => this.option(option),
          (option) => rt.optionPosition(this.name, option),
        );
        if (checked.problems.length) throw optionError(checked.problems[0]!);
        options = checked.options;
      }
      for (const dep of definition.dependencies ?? []) await this.load(dep, chain);
      const log = getLogger(`${this.name}:${name}`);
      const api = createModuleApi(
        {
          host: this.name,
          name,
          dir: found.dir,
          processType: rt.processType,
          options,
          enabledModules: this.enabled,
          log,
          clock: rt.clock,
          option: (o) => this.option(o),
          globalOption: (o) => rt.option(null, o),
          hostOption: (o) => rt.hostOption(this.name, o),
          depends: (dep, optional) => (optional && (!rt.finder.find(dep) || this.disabled.has(dep)) ? Promise.resolve(undefined) : this.load(dep, chain)),
          onReady: (fn) => {
            const entry = { module: name, fn };
            if (rt.processType !== 'server') return () => {};
            if (this.#ready) {
              // After this module's own load, which is still running.
              afterLoad.push(entry);
              return () => {
                const i = afterLoad.indexOf(entry);
                if (i >= 0) afterLoad.splice(i, 1);
              };
            }
            this.#waitingForReady.add(entry);
            return () => this.#waitingForReady.delete(entry);
          },
          addCron: (task, when, fn) => (rt.processType === 'server' ? this.#cronJobs().add(name, task, when, fn, log) : () => {}),
          mountHttp: (app) => rt.mountHttp(this, name, app, log),
          httpUrl: (app, path) => rt.httpUrl(this, name, app, path),
          addItem: (kind, item) => this.#addItem(kind, item, { name, host: this.name }),
          getItems: (kind) => (this.#items.get(kind) ?? []).map((e) => e.item),
          itemEvents: (kind) => [...(this.#items.get(kind) ?? [])],
          openStore: (store, type) => rt.storage.open(this.name, store, type),
          openArchive: (store, driverFor) => rt.storage.openArchive(this.name, store, driverFor),
          hook: (event, handler, priority) => this.events.on(event, handler, priority, log),
          fireEvent: (event, data) => this.events.fire(event, data),
          fireEventAsync: (event, data) => this.events.fireAsync(event, data),
          accounts: () => this.accounts(),
          shared: (path) => rt.shared(path.startsWith('/') ? path : path.includes('/') ? `/${this.name}/${path}` : `/${this.name}/${name}/${path}`),
        },
        registrations,
      );
      const exports = await definition.load(api);
      // Its periodic jobs are scheduled (their last runs read) when its load is done.
      await this.#cron?.settled();
      api.setStatus('core', 'Loaded', false);
      const loaded: LoadedModule = { name, definition, api, exports, registrations };
      this.#loaded.set(name, loaded);
      this.#failed.delete(name);
      for (const entry of afterLoad.splice(0)) void this.#runReady(entry.module, entry.fn);
      return loaded;
    } catch (err) {
      registrations.undoAll();
      this.#failed.set(name, { type: 'error', message: `Failed to load: ${errorText(err)}`, time: Math.floor(rt.clock.nowMs() / 1000) });
      // A dependency's failure arrives already tagged; this module's own failure gets tagged here.
      throw new CantoError('ERR_MODULE_LOAD', [name, this.name, errorText(err)], { cause: err });
    }
  }

  #addItem(kind: string, item: Record<string, unknown>, source: ItemSource): () => void {
    const list = this.#items.get(kind) ?? [];
    const event: ItemEvent = { source, item };
    list.push(event);
    this.#items.set(kind, list);
    this.events.fire(`item-added/${kind}`, event);
    return () => {
      const i = list.indexOf(event);
      if (i >= 0) list.splice(i, 1);
      this.events.fire(`item-removed/${kind}`, event);
    };
  }

  /** The host's periodic jobs, made when the first one is added (server only). */
  #cronJobs(): Cron {
    const rt = this.#runtime;
    return (this.#cron ??= new Cron(() => rt.storage.open(this.name, 'cron', 'map'), rt.clock));
  }

  /** Unload one module: undo its registrations, then run its own unload. */
  async unload(name: string): Promise<void> {
    const mod = this.#loaded.get(name);
    if (!mod) return;
    this.#loaded.delete(name);
    mod.registrations.undoAll();
    try {
      await mod.definition.unload?.(mod.api);
    } catch (err) {
      getLogger(`${this.name}:${name}`).error('Error while unloading: %s', errorText(err));
    }
  }

  /** Unload everything, dependants before what they depend on (reverse load order). */
  async unloadAll(): Promise<void> {
    for (const name of [...this.#loaded.keys()].reverse()) await this.unload(name);
    this.#cron?.stop();
  }
}
