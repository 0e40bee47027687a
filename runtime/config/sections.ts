/**
 * The config table being built: one section per host, Prosody's `set(config_table, host, k, v)`.
 * Values stay Lua values until read-config.ts converts them at the end.
 */
import type { SourcePosition } from '../errors.js';
import type { LuaValue } from './lua/value.js';

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
