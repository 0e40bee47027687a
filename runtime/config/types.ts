/**
 * What reading a Prosody config file produces. The reader (runtime/config/index.ts) evaluates
 * the Lua file the way Prosody's core/configmanager.lua does and hands back plain JS values.
 */
import type { SourcePosition } from '../errors.js';

/**
 * A config value as JS sees it. Lua strings, numbers and booleans map directly.
 * A Lua table that is a sequence 1..n (or empty) becomes an array; any other table
 * becomes a plain object whose keys are the Lua keys as strings. A Lua function
 * becomes a `LuaFunctionValue` marker (options can hold functions in Prosody; we keep
 * them only so that a warning can name them).
 */
export type ConfigValue = string | number | boolean | ConfigValue[] | ConfigTable | LuaFunctionValue;
export interface ConfigTable {
  [key: string]: ConfigValue;
}
export interface LuaFunctionValue {
  readonly luaFunction: true;
  readonly name?: string;
}

export type SectionKind = 'global' | 'host' | 'component';

export interface ConfigSection {
  /** `*` for the global section, else the (lower-cased) host name. */
  readonly name: string;
  readonly kind: SectionKind;
  /** For `Component "x" "muc"`: "muc"; for a bare `Component "x"`: "component". */
  readonly componentModule?: string;
  /** Where the VirtualHost/Component line is (absent for the global section). */
  readonly position?: SourcePosition;
  /** Options set in this section, in the order first assigned. Setting nil removes. */
  readonly options: Map<string, ConfigValue>;
  /** Where each option was (last) assigned. */
  readonly positions: Map<string, SourcePosition>;
}

export interface ConfigDiagnostic {
  readonly level: 'error' | 'warning';
  readonly message: string;
  readonly position?: SourcePosition;
}

export interface ParsedConfig {
  /** The absolute path of the main config file. */
  readonly file: string;
  /** Every file read, main file first, then includes in the order read. */
  readonly files: readonly string[];
  /** `*` first, then hosts and components in the order they appear. */
  readonly sections: Map<string, ConfigSection>;
  /** Warnings found while reading (duplicate options, ...). Errors are thrown as CantoError. */
  readonly diagnostics: ConfigDiagnostic[];
}
