/**
 * mod_storage_sql's serialize/deserialize: a value is a row's (`type`, `value`) pair, `type`
 * one of "string", "number", "boolean" (`tostring(v)`) or "json" (a table, via util.json).
 */
import type { StoreValue } from '../types.js';
import { decodeJson, encodeJson, BadValueError, numberText } from './json.js';

/** One stored value: the `type` and `value` columns. */
export interface Row {
  readonly type: string;
  readonly value: string;
}

export function serializeValue(v: StoreValue): Row {
  switch (typeof v) {
    case 'string':
      // COMPAT: PostgreSQL's TEXT cannot hold NUL and LuaDBI's SQLite reader stops at it; as a
      // JSON string ("\u0000") the value survives both, and Prosody's deserialize reads it back.
      return v.includes('\0') ? { type: 'json', value: encodeJson(v) } : { type: 'string', value: v };
    case 'number':
      return { type: 'number', value: numberText(v) };
    case 'boolean':
      return { type: 'boolean', value: v ? 'true' : 'false' };
    default:
      return { type: 'json', value: encodeJson(v) };
  }
}

/** Lua's tonumber on a string: decimal (with exponent) or hex integers, surrounding space allowed. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const HEX = /^([+-]?)0[xX]([0-9a-fA-F]+)$/;

function luaNumber(text: string): number | undefined {
  const s = text.trim();
  if (DECIMAL.test(s)) return Number(s);
  const hex = HEX.exec(s);
  if (hex) return (hex[1] === '-' ? -1 : 1) * parseInt(hex[2]!, 16);
  return undefined;
}

/** A row back to a value; throws `BadValueError` for what Prosody could not have written. */
export function deserializeValue(row: Row): StoreValue {
  switch (row.type) {
    case 'string':
      return row.value;
    case 'boolean':
      if (row.value === 'true') return true;
      if (row.value === 'false') return false;
      throw new BadValueError(`invalid boolean ${JSON.stringify(row.value)}`);
    case 'number': {
      const n = luaNumber(row.value);
      if (n === undefined) throw new BadValueError(`invalid number ${JSON.stringify(row.value)}`);
      return n;
    }
    case 'json':
      return decodeJson(row.value);
    case 'xml':
      throw new BadValueError('an XML stanza, which no Canto module stores');
    default:
      throw new BadValueError(`unknown type ${JSON.stringify(row.type)}`);
  }
}

