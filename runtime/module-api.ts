/**
 * The module API, published as `canto/module-api`: everything a module may use. The host
 * makes one `ModuleApi` object per (host, module) pair; its names are Prosody's
 * `core/moduleapi.lua` in camelCase, so Prosody's module docs still explain it.
 *
 * Built-in modules and plugins in `plugin_paths` import only this entry (plus `import type`
 * of another module's `types.ts`, for a typed `depends()`). It is built once and shared at run
 * time by the host and every module: a plugin anywhere on disk resolves `canto/module-api` to
 * the running Canto (runtime/module-resolution.ts), so classes and symbols are the host's own.
 *
 * A module is written as:
 *
 * ```ts
 * import { defineModule } from 'canto/module-api';
 *
 * export default defineModule({
 *   options: { type: 'object', properties: { greeting: { type: 'string', default: 'hi' } } },
 *   async load(module) {
 *     module.provides('http', { route: { GET: () => ({ status: 200, body: module.options.greeting }) } });
 *   },
 * });
 * ```
 *
 * Everything a module registers (hooks, routes, timers, items) is recorded by the host
 * and removed when the module unloads; modules write no teardown for registrations.
 */
import type { JSONSchemaType } from 'ajv';

export type { JSONSchemaType } from 'ajv';
import type { HttpApp, RouteHandler } from './http/types.js';
import type { ArchiveStore, KeyvalStore, MapStore, StoreValue } from './storage/types.js';
import type { Accounts } from './accounts/accounts.js';
import type { FamilySnapshot, Metric, MetricOptions, MetricType } from './metrics.js';
import type { FailureThrottle } from './throttle.js';

export type { Accounts, UserEvent } from './accounts/accounts.js';

export type { CorsOptions, HttpApp, RouteHandler, RouteValue } from './http/types.js';
export type { ArchiveItem, ArchiveStore, Keep, KeyvalStore, MapStore, Removal, StoreTable, StoreUser, StoreValue } from './storage/types.js';
export type { XmlElement } from './xml.js';
export { childText } from './xml.js';
/**
 * `KEEP`: return it from `MapStore.update` to write nothing. `REMOVE`: deletes a key in
 * `MapStore.setKeys`. `isStoreTable`: whether a stored value is a table with string keys.
 * @example await store.update(null, token, (invite) => (isStoreTable(invite) ? { ...invite, used: true } : KEEP));
 */
export { isStoreTable, KEEP, REMOVE } from './storage/types.js';
/**
 * A stream sorted in bounded memory (runs sorted on disk, then merged), for listing a store of
 * any size in an order other than the store's.
 * @example for await (const invite of sortedStream(invites(), (a, b) => a.created_at - b.created_at)) ctx.out(invite.token);
 */
export { sortedStream } from './sorted-stream.js';

/**
 * The public APIs of modules, by module name (without `mod_`). A module that exposes an
 * API adds itself here by declaration merging, so `depends('invites')` is typed:
 *
 * ```ts
 * declare module 'canto/module-api' {
 *   interface ModuleApis { invites: InvitesApi }
 * }
 * ```
 */
export interface ModuleApis {}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

/** Where the module is running: the HTTP server, or a one-off `ctl` command. */
export type ProcessType = 'server' | 'ctl';

/**
 * An event handler. A return value other than `undefined` stops the event and is `fireEvent`'s
 * result; a Promise is awaited by `fireEventAsync` only.
 */
export type EventHandler<T = unknown> = (data: T) => unknown;

export interface TimerHandle {
  /** Stop the timer; it will not fire again. */
  stop(): void;
  /** Fire again `delaySeconds` from now instead of when it was due. */
  reschedule(delaySeconds: number): void;
}

/** One positional argument of a ctl command (after the host). */
export interface CtlArgument {
  name: string;
  description: string;
  optional?: boolean;
}

/** One `--flag` of a ctl command. */
export interface CtlFlag {
  description: string;
  /** Placeholder for the flag's value (`PERIOD`); absent for a boolean flag. */
  value?: string;
  /** May be given several times; its values are collected in an array. */
  repeatable?: boolean;
  /** Short alias such as `-g`. */
  alias?: string;
}

export interface CtlContext<Api = unknown, Options = Record<string, unknown>> {
  /** The module's API, bound to the host named on the command line. */
  module: ModuleApi<Options>;
  /** What the module's `load` returned on that host. */
  api: Api;
  /** Positional arguments after the host, in order. */
  args: string[];
  /** Flags by name without dashes: `true` for boolean flags, a string, or an array when repeatable. */
  flags: Record<string, string | true | string[]>;
  /** Write one line of result to stdout. */
  out(line: string): void;
  /**
   * Resolves once stdout has taken what was written (a pipe to a slow reader fills up). A command
   * that prints a long listing awaits it every few lines, so its output is never held in memory.
   * @example for await (const item of items) { ctx.out(line(item)); if (++n % 100 === 0) await ctx.drained(); }
   */
  drained(): Promise<void>;
  /** Write one line of diagnostics to stderr. */
  err(line: string): void;
}

/**
 * A ctl command, declared as data so that ctl can build usage text and check arguments:
 * `npx ctl mod_<name> <command> HOST [args] [flags]`.
 */
export interface CtlCommand<Api = unknown, Options = Record<string, unknown>> {
  description: string;
  args?: CtlArgument[];
  flags?: Record<string, CtlFlag>;
  /** Flags that may not be combined (each inner list names flags without dashes). */
  exclusive?: string[][];
  /** Runs the command. Returns the exit code (0 when nothing is returned). Throw `usageError` for misuse. */
  run(ctx: CtlContext<Api, Options>): Promise<number | void> | number | void;
}

/** `period: true` is declared for number options only. */
type PeriodKeyword<V> = [V] extends [number] ? { period?: boolean } : { period?: never };

/**
 * The JSON Schema of one option whose value has type `V`, checked against `V` by ajv's
 * `JSONSchemaType`. The config may leave out any option, so an option whose type is not
 * optional must have a `default` of that type. On a number, `period: true` also accepts a
 * period such as `"1 week"` or `"12h"` and gives seconds.
 * @example const expiry: OptionSchema<number> = { type: 'number', period: true, exclusiveMinimum: 0, default: 604800 };
 */
export type OptionSchema<V> = undefined extends V
  ? JSONSchemaType<Exclude<V, undefined>> & PeriodKeyword<Exclude<V, undefined>>
  : JSONSchemaType<V> & PeriodKeyword<V> & { default: V };

/**
 * A module's option schema: one `OptionSchema` per member of its `Options` type (Prosody option
 * names), no more and no fewer, so schema and type cannot drift.
 * @example
 * interface Options { greeting: string; site_name?: string }
 * const schema: OptionsSchema<Options> = {
 *   type: 'object',
 *   properties: { greeting: { type: 'string', default: 'hi' }, site_name: { type: 'string' } },
 * };
 */
export interface OptionsSchema<Options> {
  type: 'object';
  properties: { [K in keyof Options]-?: OptionSchema<Options[K]> };
}

/** What a module's entry file exports as default. */
export interface ModuleDefinition<Api = unknown, Options = Record<string, unknown>> {
  /**
   * JSON Schema of the options this module reads (Prosody option names), typed against
   * `Options`. Validated with ajv when the module loads on a host, defaults filled in, and the
   * result frozen as `module.options`.
   * @example options: { type: 'object', properties: { invite_expiry: { type: 'number', period: true, default: 604800 } } }
   */
  options?: OptionsSchema<Options>;
  /** Modules loaded on the same host before this one (as `depends` would). */
  dependencies?: string[];
  /** Runs when the module is loaded on a host. Returns the module's public API, if any. */
  load(module: ModuleApi<Options>): Api | Promise<Api>;
  /** Runs when the module is unloaded, after the host has removed its registrations. */
  unload?(module: ModuleApi<Options>): void | Promise<void>;
  /** ctl commands: `npx ctl mod_<name> <command> HOST ...`. */
  commands?: Record<string, CtlCommand<Api, Options>>;
}

/**
 * Seconds from a number or a period such as `"1 week"`, `"30 days"`, `"12h"` (Prosody 13's
 * rules, as `getOptionPeriod`), `Infinity` for `"never"`, or `undefined` (also for the
 * ambiguous `"1m"`). For ctl flags such as `--expires-after`.
 * @example parsePeriod('2 days') // 172800
 */
export { parsePeriod } from './options.js';

/**
 * Metrics a module measures (`module.measure`), and an address/CIDR set for access rules such
 * as `openmetrics_allow_cidr` (a bad entry throws an option error naming the option).
 * @example const allowed = new AddressList(['127.0.0.1', '10.0.0.0/8'], 'my_allow'); allowed.has(request.ip)
 */
export type { Counter, FamilySnapshot, Gauge, Histogram, Labels, Metric, MetricOptions, MetricType, SeriesSnapshot } from './metrics.js';
export { AddressList } from './http/proxy.js';

/**
 * Random ids (base64url of `bytes` random bytes, as Prosody's util.id), a digest to store in
 * place of a secret, and constant-time comparison; all from sodium-native.
 * @example const token = randomId(18); // 24 characters
 */
export { randomId, secretDigest, secretEquals } from './secrets.js';

/**
 * HTTP for handlers: throw `HttpError` to refuse a request (JSON clients get util.error's
 * `{"type", "condition", "text"}`, browsers the error page), answer JSON with `jsonReply`,
 * and declare routes with a JSON body schema and an authentication step as `RouteSpec`s.
 * @example throw new HttpError(404, 'item-not-found', 'No such invite');
 */
export { HttpError, isHttpError } from './http/http-error.js';
export type { ErrorBody, ErrorType, HttpErrorOptions } from './http/http-error.js';
export { jsonReply } from './http/json-reply.js';
export type { BodySpec, HandlerResult, HttpReply, HttpRequest, RouteRequest, RouteSpec } from './http/types.js';
/** Bytes of body a plain handler takes on methods other than GET/HEAD/OPTIONS (16 KiB); declare `body: { maxSize }` for more. */
export { DEFAULT_BODY_LIMIT } from './http/types.js';

/**
 * Prosody's stringprep for accounts: `nodeprep` prepares a username (`"Alice"` -> `"alice"`),
 * `saslprep` a password; both return `undefined` for what Prosody refuses (or Canto cannot
 * prepare exactly, see runtime/accounts/stringprep.ts).
 * @example const username = nodeprep(form.user); if (username === undefined) return invalid();
 */
export { nodeprep, saslprep } from './accounts/stringprep.js';

/** Canto's version string, e.g. `"0.1.0"` (for a server-info answer). */
export { cantoVersion } from './project.js';

/**
 * Throttles clients that keep failing (wrong keys, guessed invites): after `maxFailures` within
 * `windowSeconds`, `retryAfter` says how long the address must wait (answer 429 with it).
 * `guard` runs a check as one attempt counted before it is checked, so a burst of pipelined or
 * parallel guesses has at most the budget checked, while good requests at once wait their turn
 * instead of failing (`attempt`, `pass` and `fail` are the steps it takes).
 * A module gets its own, kept across reloads, from `module.failureThrottle({ max, window })`.
 * @example const throttle = module.failureThrottle({ max: 10, window: 60 }); const r = await throttle.guard(request.ip, () => module.time(), check); if ('wait' in r) return 429;
 */
export { FailureThrottle } from './throttle.js';

/**
 * Log lines for events a client can repeat at will (failed authentication): the first per key
 * and window is logged, the rest counted into one line at the window's end, off the request path.
 * @example const digest = new LogDigest((line) => module.log('warn', '%s', line), { windowSeconds: 60 }); digest.note(request.ip, `Refused request from ${request.ip}`);
 */
export { LogDigest, type LogDigestOptions } from './log-digest.js';

/** Types a module definition; returns it unchanged. */
export function defineModule<Api = void, Options = Record<string, unknown>>(
  definition: ModuleDefinition<Api, Options>,
): ModuleDefinition<Api, Options> {
  return definition;
}

/** The API a module gets, bound to one host. */
export interface ModuleApi<Options = Record<string, unknown>> {
  /**
   * The module's name without `mod_`.
   * @example module.name // "invites_api"
   */
  readonly name: string;
  /**
   * The host this instance is bound to.
   * @example module.host // "example.com"
   */
  readonly host: string;
  /**
   * `server` under `npm start`, `ctl` under `npx ctl`.
   * @example if (module.processType === 'server') module.provides('http', app);
   */
  readonly processType: ProcessType;
  /**
   * The module's options, validated against its schema with defaults applied, frozen.
   * @example const ttl = module.options.invite_expiry;
   */
  readonly options: Readonly<Options>;
  /**
   * Names of all modules enabled on this host (after modules_enabled/modules_disabled).
   * @example if (module.enabledModules.includes('invites_page')) link = pageUrl;
   */
  readonly enabledModules: readonly string[];

  /**
   * Raw option value: host section, then global, then `fallback`.
   * @example module.getOption('site_name', module.host)
   */
  getOption<T = unknown>(name: string, fallback?: T): T | undefined;
  /** @example module.getOptionString('site_name') ?? module.host */
  getOptionString(name: string, fallback?: string): string | undefined;
  /** Accepts numbers and numeric strings. @example module.getOptionNumber('http_max_content_size', 10485760) */
  getOptionNumber(name: string, fallback?: number): number | undefined;
  /** Accepts true/"true"/1 and false/"false"/0, as Prosody. @example module.getOptionBoolean('invites_page_external', false) */
  getOptionBoolean(name: string, fallback?: boolean): boolean | undefined;
  /** A scalar becomes a one-item array. @example module.getOptionArray('site_apps_show') */
  getOptionArray(name: string, fallback?: string[]): string[];
  /** @example module.getOptionSet('modules_enabled').has('invites_page') */
  getOptionSet(name: string, fallback?: string[]): Set<string>;
  /** Host set ∪ global set (Prosody's get_option_inherited_set). @example module.getOptionInheritedSet('modules_disabled').has('invites') */
  getOptionInheritedSet(name: string, fallback?: string[]): Set<string>;
  /**
   * A duration in seconds, as Prosody 13's get_option_period: a number, a string such as
   * `"1 week"`, `"12 hours"`, `"30 minutes"`, or `"never"` (`Infinity`). An ambiguous `"1m"`
   * or anything else is logged as an error and gives `fallback`.
   * @example module.getOptionPeriod('invite_expiry', 7 * 86400) // 604800
   */
  getOptionPeriod(name: string, fallback?: number): number | undefined;

  /**
   * Log tagged `host:mod_name`, printf-style.
   * @example module.log('info', 'Created invite via API key %s', keyId)
   */
  log(level: LogLevel, message: string, ...args: unknown[]): void;

  /**
   * Load another module on this host (if it is not loaded) and return its public API.
   * Fails if it is missing or in modules_disabled. With `{ optional: true }` (a soft
   * dependency) a missing or disabled module gives `undefined` instead; one that fails to
   * load still fails this one.
   * @example const invites = await module.depends('invites');
   * @example const page = await module.depends('invites_page', { optional: true }); // undefined if absent
   */
  depends<K extends keyof ModuleApis>(name: K, options?: { optional?: false }): Promise<ModuleApis[K]>;
  depends<K extends keyof ModuleApis>(name: K, options: { optional: true }): Promise<ModuleApis[K] | undefined>;
  depends(name: string, options?: { optional?: boolean }): Promise<unknown>;

  /**
   * Run `fn` once the server has started: every enabled module on every host is loaded. A
   * module loaded after that runs it as soon as its own `load` has finished. Under ctl it
   * never runs (ctl does not start the server). Prosody's `module:on_ready`.
   * @example module.onReady(() => { apps = module.getItems('site-app'); });
   */
  onReady(fn: () => void | Promise<void>): void;

  /**
   * Set this module's status, as Prosody's `module:set_status`: `ctl status` shows it. An
   * `error` is replaced only by another `error` unless `override` is true; `override: false`
   * keeps a more severe status. Fires `module-status/updated` with `{ name }`.
   * @example module.setStatus('warn', 'No landing page configured; links are xmpp: URIs');
   */
  setStatus(type: ModuleStatusType, message: string, override?: boolean): void;
  /**
   * Set the status and log the same message at that level (Prosody's `module:log_status`).
   * @example module.logStatus('error', 'Cannot read %s', file);
   */
  logStatus(level: Exclude<ModuleStatusType, 'core'>, message: string, ...args: unknown[]): void;
  /**
   * The status last set, or `undefined` before any.
   * @example module.getStatus()?.type // "warn"
   */
  getStatus(): ModuleStatus | undefined;

  /**
   * Publish an item. `provides('http', app)` mounts the app's routes at its base path; any
   * other kind is added to the host's items and fires `item-added/<kind>` with
   * `{ source, item }` (`source` names this module and host, as Prosody's event carries it);
   * unloading fires `item-removed/<kind>` the same way.
   * @example module.provides('http', { route: { 'GET': handler, 'GET /static/*': serveStatic } })
   * @example module.provides('site-app', { name: 'Our Client', platforms: ['Linux'] })
   */
  provides(kind: 'http', app: HttpApp): void;
  provides(kind: string, item: Record<string, unknown>): void;
  /**
   * Items of a kind provided by all modules on this host, e.g. `'site-app'`.
   * @example const apps = module.getItems<AppSpec>('site-app');
   */
  getItems<T = Record<string, unknown>>(kind: string): T[];
  /**
   * Follow the items of a kind (Prosody's `module:handle_items`): `added` for each item that
   * is provided from now on and, unless `existing` is false, for those already there;
   * `removed` when one goes.
   * @example module.handleItems<AppSpec>('site-app', ({ item }) => index(item), ({ item }) => unindex(item));
   */
  handleItems<T = Record<string, unknown>>(kind: string, added: (event: ItemEvent<T>) => void, removed: (event: ItemEvent<T>) => void, existing?: boolean): void;

  /**
   * Open one of this host's stores. The name defaults to the module name.
   * @example const keys = module.openStore('invite_api_keys', 'map');
   */
  openStore(name: string | undefined, type: 'map'): MapStore<StoreValue>;
  openStore(name?: string, type?: 'keyval'): KeyvalStore;
  /**
   * An archive store, read only (Prosody `archive`: a stanza per item). `driverFor` names the
   * store whose `storage` entry picks the driver, when that is not the store itself: mod_pep
   * keeps `pep_<node>` archives on the driver of `pep_data`.
   * @example const nicks = module.openStore('pep_http://jabber.org/protocol/nick', 'archive', { driverFor: 'pep_data' });
   */
  openStore(name: string, type: 'archive', options?: { driverFor?: string }): ArchiveStore;

  /**
   * Handle an event on this host's bus. Higher priority runs first (default 0). Returns the
   * function that removes the handler (also removed when the module unloads). A handler that
   * throws is logged with module, host and event, and the others still run. An async handler
   * runs only where the event is fired with `fireEventAsync` (from `fireEvent` its Promise is
   * logged as an error and skipped); the host's own `item-added/...` events refuse one here.
   * @example module.hook('invite-created', (invite) => { invite.landing_page = url; })
   * @example const unhook = module.hook('user-deleted', forget); unhook();
   */
  hook<T = unknown>(event: string, handler: EventHandler<T>, priority?: number): () => void;
  /**
   * Fire an event on this host's bus; returns the first handler result that is not `undefined`.
   * @example module.fireEvent('invite-created', invite)
   */
  fireEvent<T = unknown>(event: string, data: T): unknown;
  /**
   * Fire an event whose handlers may be async: each is awaited in priority order, and the first
   * result that is not `undefined` stops the event and is the result.
   * @example await module.fireEventAsync('invite-created', invite)
   */
  fireEventAsync<T = unknown>(event: string, data: T): Promise<unknown>;

  /**
   * A process-wide object that survives reloads: `"x"` is `/<host>/<module>/x`,
   * `"m/x"` is `/<host>/m/x`, `"/*\/..."` is absolute.
   * @example const apps = module.shared<{ list: App[] }>('register_apps/apps');
   */
  shared<T extends object = Record<string, unknown>>(path: string): T;

  /**
   * This module's failed-authentication throttle (see FailureThrottle), with the limits given:
   * one per host and module, kept across reloads (a reload neither forgets who is throttled nor
   * keeps limits the new config changed). `window` is in seconds.
   * @example const throttle = module.failureThrottle({ max: module.options.max_failures, window: 60 });
   */
  failureThrottle(limits: { max: number; window: number }): FailureThrottle;

  /**
   * Call `fn` after `delaySeconds`; if it returns a number, call it again that many seconds later.
   * Timers never keep a ctl process alive.
   * @example module.addTimer(3600, () => { purge(); return 3600; })
   */
  addTimer(delaySeconds: number, fn: (now: number) => number | void | Promise<number | void>): TimerHandle;

  /**
   * A periodic job, as Prosody 0.12's `module:hourly` (mod_cron): runs about once an hour in
   * the server (never under ctl), at the latest an hour after the last run, which is kept in
   * the host's `cron` store (`<module>/<name>`), so a restart does not run it early. `fn` gets
   * the start time; an error is logged and the job runs again at the next period.
   * @example module.hourly('Purge expired invites', async () => { await invites.purgeExpired(); });
   */
  hourly(name: string, fn: (now: number) => void | Promise<void>): void;
  /** As `hourly`, once a day. @example module.daily('Rotate logs', rotate); */
  daily(name: string, fn: (now: number) => void | Promise<void>): void;
  /** As `hourly`, once a week. @example module.weekly('Send the digest', sendDigest); */
  weekly(name: string, fn: (now: number) => void | Promise<void>): void;

  /**
   * The public URL of this module's HTTP app plus `path`: `http_external_url` if set,
   * else the first HTTPS (then HTTP) port with the host's `http_host`.
   * @example module.httpUrl() // "https://example.com:5281/invites_api"
   */
  httpUrl(path?: string): string;

  /**
   * The module's own folder (for templates and static files).
   * @example readFileSync(join(module.getDirectory(), 'templates', 'mail.txt'), 'utf8')
   */
  getDirectory(): string;

  /**
   * A route handler for `"GET /prefix/*"` that serves the files under `path` (relative to the
   * module's folder) from memory, with Content-Type, ETag/304 and a day of caching.
   * @example module.provides('http', { route: { 'GET /static/*': module.serveStatic('static') } })
   */
  serveStatic(path: string): RouteHandler;

  /**
   * This host's accounts (Prosody's usermanager), in Prosody's `accounts` store. Throws
   * `ERR_AUTH_PROVIDER` when `authentication` names a provider other than `internal_hashed`
   * (the default) or `internal_plain`: call it in `load` so such a module refuses to load.
   * @example const accounts = module.accounts(); if (await accounts.create('alice', pw)) ...
   */
  accounts(): Accounts;

  /**
   * The current time in whole Unix seconds (the runtime's clock; tests may move it).
   * @example const expires = module.time() + 86400;
   */
  time(): number;

  /**
   * A metric of this module (Prosody's module:measure), labelled with this host and shown by
   * `GET /metrics` as `canto_mod_<module>__<name>` (`_total` for a counter, `_bucket`/`_sum`/
   * `_count` for a histogram). The same name gives the same metric, across reloads too.
   * @example const created = module.measure('created', 'counter', { description: 'Invites created' }); created.add();
   * @example const took = module.measure('lookup', 'histogram', { unit: 'seconds' }); took.sample(0.002);
   */
  measure<T extends MetricType>(name: string, type: T, options?: MetricOptions): Metric<T>;

  /**
   * Every metric of the process in the OpenMetrics text format (what `GET /metrics` serves).
   * @example return { status: 200, headers: { 'Content-Type': 'application/openmetrics-text; version=1.0.0; charset=utf-8' }, body: module.renderMetrics() };
   */
  renderMetrics(): string;

  /**
   * One metric family of the process as it stands now, by its full name (what `GET /metrics`
   * shows before `_total`/`_bucket`: `process_cpu_seconds`, `canto_http_requests`), with each
   * series' labels, value and creation time; `undefined` when nothing measures it. Prosody's
   * `statsmanager.get_metric_registry():get_metric_families()[name]`.
   * @example const rss = module.readMetric('process_resident_memory_bytes')?.series[0]?.value;
   */
  readMetric(name: string): FamilySnapshot | undefined;
}

/** Status levels, least severe first (Prosody's `status_priorities`). */
export type ModuleStatusType = 'core' | 'info' | 'warn' | 'error';

/** What `module.setStatus` set, as `ctl status` shows it. */
export interface ModuleStatus {
  type: ModuleStatusType;
  message: string;
  /** Unix seconds when it was set. */
  time: number;
}

/** The module that provided an item: who, on which host. */
export interface ItemSource {
  readonly name: string;
  readonly host: string;
}

/** The payload of `item-added/<kind>` and `item-removed/<kind>` (Prosody's `{ source, item }`). */
export interface ItemEvent<T = Record<string, unknown>> {
  source: ItemSource;
  item: T;
}

/**
 * Thrown by a ctl command for misuse the declared args/flags cannot express; ctl prints the
 * message and the command's usage on stderr and exits 2.
 * @example if (!isValidUsername(user)) throw new UsageError(`invalid username '${user}'`);
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

