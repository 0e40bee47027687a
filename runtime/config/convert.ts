/**
 * Lua values to ConfigValue (see types.ts). The same Lua table always gives the same JS object,
 * so "the host's modules_enabled is the global table" stays checkable with `===`
 * (host-modules.ts relies on it, as Prosody's modulemanager does).
 */
import type { ConfigTable, ConfigValue } from './types.js';
import { LuaFunction, LuaTable, fromBytes, isNumber, num, numberToString, type LuaValue, type TableKey } from './lua/value.js';

/** A Lua value that has no ConfigValue form; the message reads after "Option 'x' ". */
export class ValueShapeError extends Error {}

/** Deeper than any option's value nests; past it, a table built in a loop is refused, not recursed into. */
export const MAX_VALUE_DEPTH = 100;

export class Converter {
  #memo = new Map<LuaTable, ConfigValue>();
  #active = new Set<LuaTable>();
  /** Called for table keys that have no string form (tables, functions). */
  onSkippedKey: (key: TableKey) => void = () => {};

  convert(v: LuaValue): ConfigValue | undefined {
    if (v === undefined) return undefined;
    if (typeof v === 'string') return fromBytes(v);
    if (typeof v === 'boolean') return v;
    if (isNumber(v)) return num(v);
    if (v instanceof LuaFunction) return v.name === undefined ? { luaFunction: true } : { luaFunction: true, name: v.name };
    return this.#table(v);
  }

  #table(t: LuaTable): ConfigValue {
    const seen = this.#memo.get(t);
    if (seen !== undefined) return seen;
    // COMPAT: Prosody keeps self-referencing tables; JSON-like config values cannot hold them.
    if (this.#active.has(t)) throw new ValueShapeError('contains a table that refers to itself');
    if (this.#active.size >= MAX_VALUE_DEPTH) throw new ValueShapeError(`nests tables more than ${MAX_VALUE_DEPTH} deep`);
    this.#active.add(t);
    try {
      const entries = [...t.entries()];
      let result: ConfigValue;
      if (entries.every(([k], i) => k === i + 1)) {
        result = entries.map(([, v]) => this.convert(v) as ConfigValue);
      } else {
        const obj: ConfigTable = {};
        for (const [k, v] of entries) {
          const key = keyString(k);
          if (key === undefined) {
            this.onSkippedKey(k);
            continue;
          }
          // defineProperty, so a key named "__proto__" stays an ordinary key.
          Object.defineProperty(obj, key, { value: this.convert(v), enumerable: true, writable: true, configurable: true });
        }
        result = obj;
      }
      this.#memo.set(t, result);
      return result;
    } finally {
      this.#active.delete(t);
    }
  }
}

function keyString(k: TableKey): string | undefined {
  if (typeof k === 'string') return fromBytes(k);
  if (typeof k === 'number') return numberToString(k);
  if (typeof k === 'boolean') return String(k);
  return undefined;
}
