/**
 * Lua values as the config interpreter holds them.
 *
 * Strings are *byte strings*: JS strings whose every char is one byte (0-255), the file having
 * been read as latin1. That keeps `#s`, `s:sub()`, patterns and `\ddd` escapes byte-exact like
 * Lua; convert.ts decodes them as UTF-8 when handing values to JS.
 *
 * Numbers: Lua 5.4 has integers and floats. An integer is a JS number that is an integer; a float
 * is either a non-integral JS number or an `LFloat` box (needed only for integral floats such as
 * `4/2`, which Lua prints as `2.0`).
 */
import type { SourcePosition } from '../../errors.js';

export class LFloat {
  constructor(readonly n: number) {}
}

export type LuaNumber = number | LFloat;
export type LuaValue = undefined | boolean | number | LFloat | string | LuaTable | LuaFunction;

/** A native function gets its arguments and returns its results. */
export type NativeFn = (args: LuaValue[]) => LuaValue[];

export class LuaFunction {
  /** For error messages and the LuaFunctionValue marker. */
  name: string | undefined;
  constructor(
    readonly call: NativeFn,
    name?: string,
  ) {
    this.name = name;
  }
}

/**
 * Thrown for Lua errors. `value` is what `pcall` hands back (for runtime errors a string with
 * Lua's `file:line: ` prefix); `message` is the same text without the prefix; `position` is
 * filled in by the interpreter at the nearest call site when a native function threw.
 */
export class LuaError extends Error {
  value: LuaValue;
  position: SourcePosition | undefined;
  constructor(message: string, value?: LuaValue, position?: SourcePosition) {
    super(message);
    this.value = value === undefined ? message : value;
    this.position = position;
  }
}

export function makeFloat(n: number): LuaNumber {
  return Number.isInteger(n) ? new LFloat(n) : n;
}

export function isNumber(v: LuaValue): v is LuaNumber {
  return typeof v === 'number' || v instanceof LFloat;
}

export function isFloat(v: LuaValue): boolean {
  return v instanceof LFloat || (typeof v === 'number' && !Number.isInteger(v));
}

/** The JS number inside a Lua number. */
export function num(v: LuaNumber): number {
  return typeof v === 'number' ? v : v.n;
}

/** Table keys: integral floats are the same key as the integer (Lua normalises them). */
export type TableKey = string | number | boolean | LuaTable | LuaFunction;

export function toKey(k: LuaValue): TableKey | undefined {
  if (k instanceof LFloat) return k.n;
  return k;
}

/**
 * A Lua table: an array part for keys 1..n and an ordered hash part. Removing a hash key leaves a
 * tombstone so `next` keeps working while a loop clears fields, as Lua allows.
 */
export class LuaTable {
  arr: LuaValue[] = [];
  #keys: TableKey[] = [];
  #index = new Map<TableKey, number>();
  #vals: LuaValue[] = [];
  metatable: LuaTable | undefined;

  get(key: LuaValue): LuaValue {
    const k = toKey(key);
    if (typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= this.arr.length) return this.arr[k - 1];
    if (k === undefined) return undefined;
    const i = this.#index.get(k);
    return i === undefined ? undefined : this.#vals[i];
  }

  /** Caller checks for nil and NaN keys. */
  set(key: LuaValue, value: LuaValue): void {
    const k = toKey(key) as TableKey;
    const arr = this.arr;
    if (typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= arr.length + 1) {
      if (k <= arr.length) {
        arr[k - 1] = value;
        if (value === undefined && k === arr.length) {
          while (arr.length > 0 && arr[arr.length - 1] === undefined) arr.pop();
        }
        return;
      }
      if (value === undefined) {
        this.#setHash(k, undefined);
        return;
      }
      this.#setHash(k, undefined);
      arr.push(value);
      // Pull following integer keys out of the hash part so `#t` and ipairs see them.
      for (;;) {
        const next = arr.length + 1;
        const i = this.#index.get(next);
        if (i === undefined || this.#vals[i] === undefined) break;
        arr.push(this.#vals[i]);
        this.#vals[i] = undefined;
      }
      return;
    }
    this.#setHash(k, value);
  }

  #setHash(k: TableKey, value: LuaValue): void {
    const i = this.#index.get(k);
    if (i !== undefined) {
      this.#vals[i] = value;
    } else if (value !== undefined) {
      this.#index.set(k, this.#keys.length);
      this.#keys.push(k);
      this.#vals.push(value);
    }
  }

  /** The border `#t` (no __len). */
  length(): number {
    return this.arr.length;
  }

  /** Lua's `next`: array part first, then hash keys in insertion order. `null` = bad key. */
  next(key: LuaValue): [LuaValue, LuaValue] | undefined | null {
    const arr = this.arr;
    let start = 0;
    const k = toKey(key);
    if (k !== undefined) {
      if (typeof k === 'number' && Number.isInteger(k) && k >= 1 && k <= arr.length) {
        for (let i = k; i < arr.length; i++) if (arr[i] !== undefined) return [i + 1, arr[i]];
        start = 0;
      } else {
        const i = this.#index.get(k);
        if (i === undefined) return null;
        start = i + 1;
      }
    } else {
      for (let i = 0; i < arr.length; i++) if (arr[i] !== undefined) return [i + 1, arr[i]];
    }
    for (let i = start; i < this.#keys.length; i++) {
      if (this.#vals[i] !== undefined) return [this.#keys[i], this.#vals[i]];
    }
    return undefined;
  }

  /** Every live pair, array part first. */
  *entries(): Generator<[TableKey, LuaValue]> {
    for (let i = 0; i < this.arr.length; i++) if (this.arr[i] !== undefined) yield [i + 1, this.arr[i]];
    for (let i = 0; i < this.#keys.length; i++) if (this.#vals[i] !== undefined) yield [this.#keys[i]!, this.#vals[i]];
  }
}

export function luaType(v: LuaValue): string {
  if (v === undefined) return 'nil';
  if (typeof v === 'boolean') return 'boolean';
  if (typeof v === 'string') return 'string';
  if (typeof v === 'number' || v instanceof LFloat) return 'number';
  if (v instanceof LuaTable) return 'table';
  return 'function';
}

export function truthy(v: LuaValue): boolean {
  return v !== undefined && v !== false;
}

/** Lua's `%.14g` for floats, with `.0` added when the result looks like an integer. */
export function numberToString(v: LuaNumber): string {
  if (typeof v === 'number' && Number.isInteger(v)) {
    // Beyond 2^53, print the double's exact integer value, as Lua prints its 64-bit integer.
    return Math.abs(v) <= Number.MAX_SAFE_INTEGER ? String(v) : BigInt(v).toString();
  }
  const n = num(v);
  if (Number.isNaN(n)) return n > 0 ? 'nan' : '-nan';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  const s = formatG(n, 14);
  return /^-?\d+$/.test(s) ? s + '.0' : s;
}

/** C's `%.<p>g`. */
export function formatG(n: number, precision: number, alt = false): string {
  if (!Number.isFinite(n)) return Number.isNaN(n) ? 'nan' : n > 0 ? 'inf' : '-inf';
  const p = precision === 0 ? 1 : precision;
  if (n === 0) return (Object.is(n, -0) ? '-' : '') + (alt ? '0.' + '0'.repeat(p - 1) : '0');
  const exp = Math.floor(Math.log10(Math.abs(Number(n.toPrecision(p)))));
  let s: string;
  if (exp < -4 || exp >= p) {
    s = n.toExponential(p - 1);
    if (!alt) s = s.replace(/\.?0+e/, 'e');
    s = s.replace(/e([+-])(\d)$/, 'e$10$2');
  } else {
    s = n.toFixed(Math.max(0, p - 1 - exp));
    if (!alt && s.includes('.')) s = s.replace(/\.?0+$/, '');
  }
  return s;
}

const tableIds = new WeakMap<object, number>();
let nextId = 0x55550000;
function addressOf(o: object): string {
  let id = tableIds.get(o);
  if (id === undefined) {
    id = nextId += 0x40;
    tableIds.set(o, id);
  }
  return '0x' + id.toString(16).padStart(12, '0');
}
/** tostring without metamethods. */
export function rawToString(v: LuaValue): string {
  if (v === undefined) return 'nil';
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || v instanceof LFloat) return numberToString(v);
  if (v instanceof LuaTable) return 'table: ' + addressOf(v);
  return 'function: ' + addressOf(v);
}

/**
 * Lua's string-to-number conversion (tonumber without base, and arithmetic coercion).
 * Returns undefined when the string is not a numeral.
 */
export function parseNumber(text: string): LuaNumber | undefined {
  const s = text.replace(/^[ \f\n\r\t\v]+|[ \f\n\r\t\v]+$/g, '');
  let m = /^(-)?0[xX]([0-9a-fA-F]*)(?:\.([0-9a-fA-F]*))?(?:[pP]([+-]?\d+))?$/.exec(s);
  if (m) {
    const [, neg, intPart = '', frac, exp] = m;
    if (intPart === '' && !frac) return undefined;
    if (frac === undefined && exp === undefined) {
      // Hex integers wrap around modulo 2^64 in Lua.
      let v = 0n;
      for (const c of intPart) v = (v * 16n + BigInt(parseInt(c, 16))) & 0xffffffffffffffffn;
      let n = Number(BigInt.asIntN(64, v));
      if (neg) n = -n;
      return n;
    }
    let v = 0;
    for (const c of intPart) v = v * 16 + parseInt(c, 16);
    let scale = 1 / 16;
    for (const c of frac ?? '') {
      v += parseInt(c, 16) * scale;
      scale /= 16;
    }
    if (exp !== undefined) v *= Math.pow(2, Number(exp));
    return makeFloat(neg ? -v : v);
  }
  m = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.exec(s);
  if (!m) return undefined;
  const n = Number(s);
  if (!m[1]!.includes('.') && m[2] === undefined && Number.isSafeInteger(n)) return n;
  return makeFloat(n);
}

/** Encode a code point as UTF-8 bytes in a byte string (Lua's `\u{}` and utf8.char). */
export function utf8Bytes(cp: number): string {
  if (cp < 0x80) return String.fromCharCode(cp);
  if (cp < 0x800) return String.fromCharCode(0xc0 | (cp >> 6), 0x80 | (cp & 63));
  if (cp < 0x10000) return String.fromCharCode(0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  if (cp < 0x200000) {
    return String.fromCharCode(0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63));
  }
  if (cp < 0x4000000) {
    return String.fromCharCode(
      0xf8 | (cp >> 24), 0x80 | ((cp >> 18) & 63), 0x80 | ((cp >> 12) & 63), 0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63),
    );
  }
  return String.fromCharCode(
    0xfc | (cp >>> 30), 0x80 | ((cp >> 24) & 63), 0x80 | ((cp >> 18) & 63), 0x80 | ((cp >> 12) & 63),
    0x80 | ((cp >> 6) & 63), 0x80 | (cp & 63),
  );
}

/** Byte string <-> JS (UTF-16) string. */
export function fromBytes(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}
export function toBytes(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

// ---- Argument checks for native functions, with Lua's "bad argument" messages ----

function argTypeName(args: LuaValue[], i: number): string {
  return i >= args.length ? 'no value' : luaType(args[i]);
}

export function argError(i: number, fname: string, message: string): LuaError {
  return new LuaError(`bad argument #${i + 1} to '${fname}' (${message})`);
}

export function checkTable(args: LuaValue[], i: number, fname: string): LuaTable {
  const v = args[i];
  if (!(v instanceof LuaTable)) throw argError(i, fname, `table expected, got ${argTypeName(args, i)}`);
  return v;
}

export function checkFunction(args: LuaValue[], i: number, fname: string): LuaFunction {
  const v = args[i];
  if (!(v instanceof LuaFunction)) throw argError(i, fname, `function expected, got ${argTypeName(args, i)}`);
  return v;
}

export function checkAny(args: LuaValue[], i: number, fname: string): LuaValue {
  if (i >= args.length) throw argError(i, fname, 'value expected');
  return args[i];
}

export function checkNumber(args: LuaValue[], i: number, fname: string): number {
  const v = args[i];
  const n = typeof v === 'string' ? parseNumber(v) : isNumber(v) ? v : undefined;
  if (n === undefined) throw argError(i, fname, `number expected, got ${argTypeName(args, i)}`);
  return num(n);
}

export function checkInteger(args: LuaValue[], i: number, fname: string): number {
  const n = checkNumber(args, i, fname);
  if (!Number.isInteger(n)) throw argError(i, fname, 'number has no integer representation');
  return n;
}

export function optInteger(args: LuaValue[], i: number, fname: string, dflt: number): number {
  return args[i] === undefined ? dflt : checkInteger(args, i, fname);
}

/** Strings, and numbers converted to strings, as Lua's string functions accept. */
export function checkString(args: LuaValue[], i: number, fname: string): string {
  const v = args[i];
  if (typeof v === 'string') return v;
  if (isNumber(v)) return numberToString(v);
  throw argError(i, fname, `string expected, got ${argTypeName(args, i)}`);
}

export function optString(args: LuaValue[], i: number, fname: string, dflt: string): string {
  return args[i] === undefined ? dflt : checkString(args, i, fname);
}

/** Build a library table from native functions. */
export function library(fns: Record<string, (args: LuaValue[]) => LuaValue[]>, prefix = ''): LuaTable {
  const t = new LuaTable();
  for (const [name, fn] of Object.entries(fns)) t.set(name, new LuaFunction(fn, prefix + name));
  return t;
}
