/**
 * The environment one config file runs in: Prosody's configmanager `parser.load` env.
 * Assigning a global sets an option in the current section; VirtualHost/Component switch the
 * section; Include reads another file (with its own env, starting in the global section).
 */
import type { SourcePosition } from '../errors.js';
import type { ChunkEnv, Interpreter } from './lua/interpreter.js';
import type { ConfigDiagnostic } from './types.js';
import { LuaError, LuaFunction, LuaTable, fromBytes, isNumber, luaType, numberToString, toBytes, type LuaValue } from './lua/value.js';

/**
 * The config table being built: one section per host, Prosody's `set(config_table, host, k, v)`.
 * Values stay Lua values until read-config.ts converts them at the end.
 */
export interface SectionState {
  readonly name: string;
  /** A VirtualHost line named it (Prosody's `defined` option). */
  defined: boolean;
  position: SourcePosition | undefined;
  readonly options: Map<string, LuaValue>;
  readonly positions: Map<string, SourcePosition>;
}

export class Sections {
  readonly all = new Map<string, SectionState>();

  constructor() {
    this.ensure('*', undefined);
  }

  get(name: string): SectionState | undefined {
    return this.all.get(name);
  }

  ensure(name: string, position: SourcePosition | undefined): SectionState {
    let s = this.all.get(name);
    if (!s) {
      s = { name, defined: false, position, options: new Map(), positions: new Map() };
      this.all.set(name, s);
    }
    return s;
  }

  /** Set (or with nil, remove) an option; a new option goes to the end of the order. */
  set(section: string, key: string, value: LuaValue, at: SourcePosition): void {
    const s = this.ensure(section, undefined);
    if (value === undefined) {
      s.options.delete(key);
      s.positions.delete(key);
      return;
    }
    s.options.set(key, value);
    s.positions.set(key, at);
  }
}

/** What a file's env needs from the reader that runs it. */
export interface ReaderContext {
  readonly interp: Interpreter;
  readonly globals: LuaTable;
  readonly sections: Sections;
  readonly diagnostics: ConfigDiagnostic[];
  readonly env: NodeJS.ProcessEnv;
  /** Run an `Include` from `file` at `at`. */
  include(spec: string, file: string, at: SourcePosition): void;
}

/** Prosody nameprep's the name; for the hosts configs use that is lower-casing. */
function nameprep(name: string): string {
  // COMPAT: Unicode lower-case + NFKC instead of full stringprep; no forbidden-character check.
  return toBytes(fromBytes(name).normalize('NFKC').toLowerCase());
}

function hostName(args: LuaValue[], what: string): string {
  const name = args[0];
  if (name === undefined) throw new LuaError(`${what} must have a name`);
  if (typeof name === 'string') return name;
  if (isNumber(name)) return numberToString(name);
  throw new LuaError(`bad argument #1 to '${what}' (string expected, got ${luaType(name)})`);
}

export class FileEnv implements ChunkEnv {
  readonly file: string;
  #ctx: ReaderContext;
  /** The env table's own fields (VirtualHost, Include, __currenthost, ...). */
  #raw = new Map<string, LuaValue>();
  /** "host/option" already assigned in this file, for the duplicate warning. */
  #setOptions = new Set<string>();

  constructor(ctx: ReaderContext, file: string) {
    this.#ctx = ctx;
    this.file = file;
    const fn = (name: string, call: (args: LuaValue[]) => LuaValue[]): LuaFunction => new LuaFunction(call, name);
    const virtualHost = fn('VirtualHost', (a) => this.#virtualHost(a));
    const component = fn('Component', (a) => this.#component(a));
    const include = fn('Include', (a) => this.#include(a));
    this.#raw.set('VirtualHost', virtualHost).set('Host', virtualHost).set('host', virtualHost);
    this.#raw.set('Component', component).set('component', component);
    this.#raw.set('Include', include).set('include', include);
    this.#raw.set(
      'RunScript',
      // COMPAT: RunScript runs arbitrary Lua unsandboxed in Prosody; Canto cannot run it.
      fn('RunScript', () => {
        throw new LuaError('RunScript is not supported');
      }),
    );
    this.#raw.set('__currenthost', '*');
  }

  get #current(): string {
    const h = this.#raw.get('__currenthost');
    return typeof h === 'string' ? fromBytes(h) : '*';
  }

  #setCurrent(name: string): void {
    this.#raw.set('__currenthost', toBytes(name));
  }

  /** The call site of the native function being run. */
  get #here(): SourcePosition {
    return this.#ctx.interp.callStack.at(-1)!;
  }

  getGlobal(name: string): LuaValue {
    if (this.#raw.has(name)) return this.#raw.get(name);
    if (name.startsWith('ENV_')) {
      const v = this.#ctx.env[fromBytes(name.slice(4))];
      return v === undefined ? undefined : toBytes(v);
    }
    if (name === 'Lua') return this.#ctx.globals;
    // COMPAT: Prosody 0.12 gives nil for an option read back; 13.0 gives its value, and so do we.
    const key = fromBytes(name);
    const own = this.#ctx.sections.get(this.#current)?.options.get(key);
    if (own !== undefined) return own;
    const global = this.#ctx.sections.get('*')?.options.get(key);
    if (global !== undefined) return global;
    return this.#ctx.globals.get(name);
  }

  setGlobal(name: string, value: LuaValue, at: SourcePosition): void {
    if (this.#raw.has(name)) {
      this.#raw.set(name, value);
      return;
    }
    const host = this.#current;
    const key = fromBytes(name);
    const path = `${host}/${key}`;
    if (this.#setOptions.has(path)) {
      this.#ctx.diagnostics.push({ level: 'warning', message: `Duplicate option '${key}'`, position: at });
    }
    this.#setOptions.add(path);
    this.#ctx.sections.set(host, key, value, at);
  }

  /** `{ k = v }` after VirtualHost/Component: set each option, positions from the constructor. */
  #applyTable(host: string, options: LuaTable): void {
    const fields = this.#ctx.interp.fieldPositions.get(options);
    const here = this.#here;
    for (const [k, v] of options.entries()) {
      if (typeof k !== 'string') {
        this.#ctx.diagnostics.push({
          level: 'warning',
          message: `Ignoring option with a non-string name (${luaType(k)}) in the options of '${host}'`,
          position: here,
        });
        continue;
      }
      this.#ctx.sections.set(host, fromBytes(k), v, fields?.get(k) ?? here);
    }
  }

  #virtualHost(args: LuaValue[]): LuaValue[] {
    const name = fromBytes(nameprep(hostName(args, 'Host')));
    const sections = this.#ctx.sections;
    const existing = sections.get(name);
    const module = existing?.options.get('component_module');
    if (module !== undefined) {
      const kind = typeof module === 'string' ? (module === 'component' ? 'external' : module === 'muc' ? 'MUC' : module) : '';
      throw new LuaError(
        `Host "${name}" clashes with previously defined ${kind} Component "${name}", for services use a sub-domain like conference.${name}`,
        undefined,
        this.#here,
      );
    }
    this.#setCurrent(name);
    // COMPAT: Prosody marks the host with a `defined = true` option; we keep it out of the options.
    sections.ensure(name, this.#here).defined = true;
    return [
      new LuaFunction((a) => {
        this.#setCurrent('*');
        const options = a[0];
        if (typeof options === 'string') {
          throw new LuaError(`VirtualHost entries do not accept a module name (module '${fromBytes(options)}' provided for host '${name}')`);
        }
        if (!(options instanceof LuaTable)) {
          throw new LuaError(`Invalid syntax following VirtualHost, expected options but received a ${luaType(options)}`);
        }
        this.#applyTable(name, options);
        return [];
      }, 'VirtualHost_options'),
    ];
  }

  #component(args: LuaValue[]): LuaValue[] {
    const name = fromBytes(nameprep(hostName(args, 'Component')));
    const sections = this.#ctx.sections;
    const existing = sections.get(name);
    const here = this.#here;
    if (existing?.defined && existing.options.get('component_module') === undefined) {
      throw new LuaError(
        `Component "${name}" clashes with previously defined VirtualHost "${name}", for services use a sub-domain like conference.${name}`,
        undefined,
        here,
      );
    }
    sections.ensure(name, here);
    sections.set(name, 'component_module', 'component', here);
    // Components do not load the global modules by default (Prosody sets this option too).
    sections.set(name, 'load_global_modules', false, here);
    this.#setCurrent(name);
    const handleOptions = new LuaFunction((a) => {
      this.#setCurrent('*');
      const options = a[0];
      if (!(options instanceof LuaTable)) {
        throw new LuaError(`Invalid syntax following Component, expected options but received a ${luaType(options)}`);
      }
      this.#applyTable(name, options);
      return [];
    }, 'Component_options');
    return [
      new LuaFunction((a) => {
        const module = a[0];
        if (typeof module === 'string') {
          sections.set(name, 'component_module', module, this.#here);
          return [handleOptions];
        }
        return handleOptions.call(a);
      }, 'Component_module'),
    ];
  }

  #include(args: LuaValue[]): LuaValue[] {
    const spec = args[0];
    if (typeof spec !== 'string') {
      throw new LuaError(`bad argument #1 to 'Include' (string expected, got ${args.length ? luaType(spec) : 'no value'})`);
    }
    this.#ctx.include(fromBytes(spec), this.file, this.#here);
    return [];
  }
}
