/**
 * Prosody's util/json.lua, as mod_storage_sql uses it for table values (`type = "json"`).
 *
 * Encoding follows util.json byte for byte where JS can tell: compact, `{}` for an empty
 * table, a non-empty array as `[...]`, only `"`, `\` and control characters escaped (`\b \f
 * \n \r \t`, else `\u00XX` in upper-case hex; non-ASCII stays raw UTF-8), and the keys util.json
 * treats as special (`__array`, `__hash`) moved into `"__hash":[k,v,...]` as it moves them.
 * Decoding undoes util.json's `__array` / `__hash` folding. Anything util.json could not have
 * written (broken JSON, `null` in a list, non-finite numbers) is a `BadValueError`.
 */
import type { StoreTable, StoreValue } from '../types.js';

export class BadValueError extends Error {
  override readonly name = 'BadValueError';
}

/** util.json's special_keys: a string key with one of these names is written in `__hash`. */
const SPECIAL = new Set(['__array', '__hash']);
const MAX_DEPTH = 127;

const ESCAPES: Record<number, string> = { 0x22: '\\"', 0x5c: '\\\\', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t' };
const NEEDS_ESCAPE = /["\\\x00-\x1f]/;

function stringText(s: string): string {
  if (!NEEDS_ESCAPE.test(s)) return '"' + s + '"';
  let out = '"';
  let run = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c !== 0x22 && c !== 0x5c && c >= 0x20) continue;
    if (i > run) out += s.slice(run, i);
    out += ESCAPES[c] ?? '\\u' + c.toString(16).toUpperCase().padStart(4, '0');
    run = i + 1;
  }
  return out + s.slice(run) + '"';
}

/**
 * A number as Lua's tostring writes it, for the integers util.json meets (Unix times, counts).
 * COMPAT: a fraction is written in the shortest form that reads back exactly (Lua's `%.14g`
 * would round 0.1 + 0.2 to 0.3); Lua's tonumber and JSON both read it.
 */
export function numberText(n: number): string {
  if (!Number.isFinite(n)) throw new BadValueError(`cannot store the number ${String(n)} (Prosody would write invalid JSON)`);
  if (Object.is(n, -0)) return '0';
  return String(n);
}

function valueText(v: StoreValue, depth: number): string {
  switch (typeof v) {
    case 'string':
      return stringText(v);
    case 'number':
      return numberText(v);
    case 'boolean':
      return v ? 'true' : 'false';
    case 'object':
      if (v === null) break;
      if (depth > MAX_DEPTH) throw new BadValueError('table too deep (or a cycle)');
      return Array.isArray(v) ? listText(v, depth) : tableText(v, depth);
  }
  throw new BadValueError(`unsupported value of type ${v === null ? 'null' : typeof v}`);
}

function listText(list: readonly StoreValue[], depth: number): string {
  if (list.length === 0) return '{}'; // an empty Lua table is an object to util.json
  let out = '[';
  for (let i = 0; i < list.length; i++) {
    const item = list[i];
    if (item === undefined || item === null) throw new BadValueError('a list with holes (null or undefined element)');
    out += (i ? ',' : '') + valueText(item, depth + 1);
  }
  return out + ']';
}

function tableText(table: StoreTable, depth: number): string {
  let out = '{';
  let hash = '';
  for (const k of Object.keys(table)) {
    const v = table[k];
    if (v === undefined || v === null) continue; // nil in Lua: no key
    const item = valueText(v, depth + 1);
    if (SPECIAL.has(k)) hash += (hash ? ',' : '') + stringText(k) + ',' + item;
    else out += (out.length > 1 ? ',' : '') + stringText(k) + ':' + item;
  }
  if (hash) out += (out.length > 1 ? ',' : '') + '"__hash":[' + hash + ']';
  return out + '}';
}

/** util.json.encode of a table (or any value) as Prosody writes it. */
export function encodeJson(value: StoreValue): string {
  return valueText(value, 1);
}

// ---------------------------------------------------------------------------------------------

type Parsed = string | number | boolean | null | Parsed[] | { [key: string]: Parsed };

function put(obj: StoreTable, k: string, v: StoreValue): void {
  if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[k] = v;
}

/** A Lua key (from `__hash`) as the string key Canto's tables have; numbers as Lua's tostring. */
function keyString(k: Parsed): string {
  if (typeof k === 'string') return k;
  if (typeof k === 'number') return numberText(k);
  if (typeof k === 'boolean') return String(k);
  throw new BadValueError('a table key that is not a string, number or boolean');
}

function fromParsed(v: Parsed, depth: number): StoreValue {
  if (depth > MAX_DEPTH) throw new BadValueError('table too deep');
  if (v === null) throw new BadValueError('null where a value was expected');
  if (typeof v !== 'object') return v;
  if (Array.isArray(v)) {
    if (v.length === 0) return {}; // `[]` decodes to an empty Lua table, which Canto reads as {}
    return v.map((x) => fromParsed(x, depth + 1));
  }
  const out: StoreTable = {};
  let sequence: StoreValue[] | undefined;
  let others = 0;
  for (const k of Object.keys(v)) {
    const x = v[k]!;
    if (k === '__array') {
      if (!Array.isArray(x)) throw new BadValueError('__array is not a list');
      sequence = x.map((e) => fromParsed(e, depth + 1));
    } else if (k === '__hash') {
      if (!Array.isArray(x)) throw new BadValueError('__hash is not a list');
      for (let i = 0; i + 1 < x.length; i += 2) {
        const hv = x[i + 1]!;
        if (hv === null) continue;
        put(out, keyString(x[i]!), fromParsed(hv, depth + 1));
        others++;
      }
    } else if (x !== null) {
      // json.null as a value: util.json keeps a sentinel Canto cannot hold; the key reads as nil.
      put(out, k, fromParsed(x, depth + 1));
      others++;
    }
  }
  if (!sequence) return out;
  if (others === 0) return sequence.length ? sequence : {};
  // COMPAT: a table mixing a sequence with other keys becomes one string-keyed object (as lua-data reads it).
  sequence.forEach((item, i) => put(out, String(i + 1), item));
  return out;
}

/** util.json.decode plus the `__array` / `__hash` folding, as Canto values. */
export function decodeJson(text: string): StoreValue {
  let parsed: Parsed;
  try {
    parsed = JSON.parse(text) as Parsed;
  } catch (err) {
    throw new BadValueError(`broken JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  return fromParsed(parsed, 1);
}
