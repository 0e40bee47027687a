/**
 * The Lua standard globals a config sees (`_G`): base functions, string, table, math and a
 * restricted os. COMPAT: no io, require, load, dofile or debug; Prosody configs do not need them
 * and they would let a config file reach outside itself.
 */
import type { Interpreter } from './interpreter.js';
import { stringLibrary } from './string-lib.js';
import {
  LFloat,
  LuaError,
  LuaFunction,
  LuaTable,
  argError,
  checkAny,
  checkInteger,
  checkNumber,
  checkString,
  checkTable,
  fromBytes,
  isFloat,
  isNumber,
  library,
  luaType,
  makeFloat,
  num,
  numberToString,
  optInteger,
  optString,
  parseNumber,
  toBytes,
  truthy,
  type LuaValue,
} from './value.js';

export interface GlobalsOptions {
  env: NodeJS.ProcessEnv;
  /** Where print() writes; Prosody's config print goes to the console, ours to stderr. */
  print: (line: string) => void;
}

export function createGlobals(interp: Interpreter, options: GlobalsOptions): LuaTable {
  const G = library(baseFunctions(interp, options.print));
  const string = stringLibrary(interp);
  interp.stringLib = string;
  const stringMeta = new LuaTable();
  stringMeta.set('__index', string);
  interp.stringMeta = stringMeta;
  G.set('string', string);
  G.set('table', tableLibrary(interp));
  G.set('math', mathLibrary());
  G.set('os', osLibrary(options.env));
  G.set('_G', G);
  G.set('_VERSION', 'Lua 5.4');
  return G;
}

// ---- Basic functions ----

export function baseFunctions(interp: Interpreter, print: (line: string) => void): Record<string, (a: LuaValue[]) => LuaValue[]> {
  const next = (a: LuaValue[]): LuaValue[] => {
    const t = checkTable(a, 0, 'next');
    const r = t.next(a[1]);
    if (r === null) throw new LuaError("invalid key to 'next'");
    return r ?? [undefined];
  };
  const nextFn = new LuaFunction(next, 'next');
  const ipairsIter = new LuaFunction((a) => {
    const i = (a[1] as number) + 1;
    const v = interp.index(a[0], i);
    return v === undefined ? [undefined] : [i, v];
  }, 'ipairs_iterator');

  return {
    print: (a) => {
      print(a.map((v) => interp.tostring(v)).join('\t'));
      return [];
    },
    type: (a) => [luaType(checkAny(a, 0, 'type'))],
    tostring: (a) => [interp.tostring(checkAny(a, 0, 'tostring'))],
    tonumber: (a) => {
      if (a[1] === undefined) {
        const v = checkAny(a, 0, 'tonumber');
        if (isNumber(v)) return [v];
        return [typeof v === 'string' ? parseNumber(v) : undefined];
      }
      const base = checkInteger(a, 1, 'tonumber');
      if (base < 2 || base > 36) throw argError(1, 'tonumber', 'base out of range');
      const s = checkString(a, 0, 'tonumber').trim().toLowerCase();
      const m = /^(-)?([0-9a-z]+)$/.exec(s);
      if (!m) return [undefined];
      let n = 0;
      for (const c of m[2]!) {
        const d = parseInt(c, 36);
        if (d >= base) return [undefined];
        n = n * base + d;
      }
      return [m[1] ? -n : n];
    },
    ipairs: (a) => [ipairsIter, checkAny(a, 0, 'ipairs'), 0],
    pairs: (a) => {
      const t = checkAny(a, 0, 'pairs');
      const mm = interp.metamethod(t, '__pairs');
      if (mm !== undefined) return interp.call(mm, [t]).slice(0, 3);
      if (!(t instanceof LuaTable)) throw argError(0, 'pairs', `table expected, got ${luaType(t)}`);
      return [nextFn, t, undefined];
    },
    next,
    select: (a) => {
      const n = a[0];
      if (n === '#') return [a.length - 1];
      const i = checkInteger(a, 0, 'select');
      if (i < 0) {
        if (-i > a.length - 1) throw argError(0, 'select', 'index out of range');
        return a.slice(a.length + i);
      }
      if (i === 0) throw argError(0, 'select', 'index out of range');
      return a.slice(i);
    },
    rawget: (a) => [checkTable(a, 0, 'rawget').get(a[1])],
    rawset: (a) => {
      const t = checkTable(a, 0, 'rawset');
      if (a[1] === undefined) throw new LuaError('table index is nil');
      t.set(a[1], a[2]);
      return [t];
    },
    rawequal: (a) => [a[0] === a[1] || (isNumber(a[0]) && isNumber(a[1]) && num(a[0]) === num(a[1]))],
    rawlen: (a) => {
      const v = a[0];
      if (v instanceof LuaTable) return [v.length()];
      if (typeof v === 'string') return [v.length];
      throw argError(0, 'rawlen', 'table or string expected');
    },
    setmetatable: (a) => {
      const t = checkTable(a, 0, 'setmetatable');
      const mt = a[1];
      if (mt !== undefined && !(mt instanceof LuaTable)) throw argError(1, 'setmetatable', 'nil or table expected');
      if (t.metatable?.get('__metatable') !== undefined) throw new LuaError('cannot change a protected metatable');
      t.metatable = mt;
      return [t];
    },
    getmetatable: (a) => {
      const v = a[0];
      const mt = v instanceof LuaTable ? v.metatable : typeof v === 'string' ? interp.stringMeta : undefined;
      if (!mt) return [undefined];
      const protectedMt = mt.get('__metatable');
      return [protectedMt !== undefined ? protectedMt : mt];
    },
    assert: (a) => {
      if (truthy(a[0])) return a;
      if (a.length === 0) throw argError(0, 'assert', 'value expected');
      if (a.length < 2) throw new LuaError('assertion failed!');
      throw new LuaError(typeof a[1] === 'string' ? a[1] : `(error object is a ${luaType(a[1])} value)`, a[1]);
    },
    error: (a) => {
      const value = a[0];
      const level = a[1] === undefined ? 1 : checkInteger(a, 1, 'error');
      const stack = interp.callStack;
      // callStack ends with this call to error(); level 1 is where error was called.
      const pos = level > 0 ? stack[stack.length - level] : undefined;
      const text = typeof value === 'string' ? value : isNumber(value) ? interp.tostring(value) : undefined;
      const message = text ?? `(error object is a ${luaType(value)} value)`;
      // Lua adds the position to string messages only.
      const luaValue = typeof value === 'string' && pos ? `${pos.file}:${pos.line}: ${value}` : value;
      // The config error still points at the error() call even for level 0.
      throw new LuaError(message, luaValue, pos ?? stack.at(-1));
    },
    pcall: (a) => {
      const fn = checkAny(a, 0, 'pcall');
      const depth = interp.callStack.length;
      try {
        return [true, ...interp.call(fn, a.slice(1))];
      } catch (err) {
        interp.callStack.length = depth;
        if (err instanceof LuaError) return [false, err.value];
        if (err instanceof RangeError) return [false, 'stack overflow'];
        throw err;
      }
    },
    xpcall: (a) => {
      const fn = checkAny(a, 0, 'xpcall');
      const handler = a[1];
      const depth = interp.callStack.length;
      try {
        return [true, ...interp.call(fn, a.slice(2))];
      } catch (err) {
        interp.callStack.length = depth;
        if (err instanceof LuaError) return [false, ...interp.call(handler, [err.value])];
        throw err;
      }
    },
  };
}

// ---- table ----

export function tableLibrary(interp: Interpreter): LuaTable {
  return library({
    insert: (a) => {
      const t = checkTable(a, 0, 'insert');
      const e = t.length() + 1;
      if (a.length === 2) {
        t.set(e, a[1]);
        return [];
      }
      if (a.length !== 3) throw new LuaError("wrong number of arguments to 'insert'");
      const pos = checkInteger(a, 1, 'insert');
      if (pos < 1 || pos > e) throw argError(1, 'insert', 'position out of bounds');
      for (let i = e; i > pos; i--) t.set(i, t.get(i - 1));
      t.set(pos, a[2]);
      return [];
    },
    remove: (a) => {
      const t = checkTable(a, 0, 'remove');
      const size = t.length();
      let pos = optInteger(a, 1, 'remove', size);
      if (a.length > 1 && size + 1 !== pos && (pos < 1 || pos > size + 1)) {
        if (!(size === 0 && pos === 0)) throw argError(1, 'remove', 'position out of bounds');
      }
      const v = t.get(pos);
      for (; pos < size; pos++) t.set(pos, t.get(pos + 1));
      if (pos <= size || a.length > 1) t.set(pos, undefined);
      return [v];
    },
    concat: (a) => {
      const t = checkTable(a, 0, 'concat');
      const sep = optString(a, 1, 'concat', '');
      const i = optInteger(a, 2, 'concat', 1);
      const j = optInteger(a, 3, 'concat', t.length());
      const parts: string[] = [];
      for (let k = i; k <= j; k++) {
        const v = t.get(k);
        if (typeof v === 'string') parts.push(v);
        else if (isNumber(v)) parts.push(numberToString(v));
        else throw new LuaError(`invalid value (at index ${k}) in table for 'concat'`);
      }
      return [parts.join(sep)];
    },
    unpack: (a) => {
      const t = checkTable(a, 0, 'unpack');
      const i = optInteger(a, 1, 'unpack', 1);
      const j = optInteger(a, 2, 'unpack', t.length());
      if (j - i >= 1e6) throw new LuaError("too many results to unpack");
      const out: LuaValue[] = [];
      for (let k = i; k <= j; k++) out.push(t.get(k));
      return out;
    },
    pack: (a) => {
      const t = new LuaTable();
      a.forEach((v, i) => t.set(i + 1, v));
      t.set('n', a.length);
      return [t];
    },
    sort: (a) => {
      const t = checkTable(a, 0, 'sort');
      const comp = a[1];
      const n = t.length();
      const items: LuaValue[] = [];
      for (let k = 1; k <= n; k++) items.push(t.get(k));
      const less = (x: LuaValue, y: LuaValue): boolean => {
        if (comp !== undefined) return truthy(interp.call(comp, [x, y])[0]);
        if (isNumber(x) && isNumber(y)) return num(x) < num(y);
        if (typeof x === 'string' && typeof y === 'string') return x < y;
        const tx = luaType(x);
        const ty = luaType(y);
        throw new LuaError(tx === ty ? `attempt to compare two ${tx} values` : `attempt to compare ${tx} with ${ty}`);
      };
      items.sort((x, y) => (less(x, y) ? -1 : less(y, x) ? 1 : 0));
      items.forEach((v, k) => t.set(k + 1, v));
      return [];
    },
  });
}

// ---- math ----

const float = (n: number): LuaValue => makeFloat(n);

/** floor/ceil give integers when the result fits in 64 bits, as Lua's math.floor does. */
const toInt = (n: number): LuaValue => (Number.isFinite(n) && Math.abs(n) < 2 ** 63 ? n : makeFloat(n));

export function mathLibrary(): LuaTable {
  const lib = library({
    abs: (a) => {
      const v = a[0];
      const n = checkNumber(a, 0, 'abs');
      return [isFloat(v ?? 0) ? float(Math.abs(n)) : Math.abs(n)];
    },
    ceil: (a) => [toInt(Math.ceil(checkNumber(a, 0, 'ceil')))],
    floor: (a) => [toInt(Math.floor(checkNumber(a, 0, 'floor')))],
    sqrt: (a) => [float(Math.sqrt(checkNumber(a, 0, 'sqrt')))],
    exp: (a) => [float(Math.exp(checkNumber(a, 0, 'exp')))],
    log: (a) => {
      const x = checkNumber(a, 0, 'log');
      if (a[1] === undefined) return [float(Math.log(x))];
      const b = checkNumber(a, 1, 'log');
      if (b === 2) return [float(Math.log2(x))];
      if (b === 10) return [float(Math.log10(x))];
      return [float(Math.log(x) / Math.log(b))];
    },
    sin: (a) => [float(Math.sin(checkNumber(a, 0, 'sin')))],
    cos: (a) => [float(Math.cos(checkNumber(a, 0, 'cos')))],
    tan: (a) => [float(Math.tan(checkNumber(a, 0, 'tan')))],
    asin: (a) => [float(Math.asin(checkNumber(a, 0, 'asin')))],
    acos: (a) => [float(Math.acos(checkNumber(a, 0, 'acos')))],
    atan: (a) => [float(Math.atan2(checkNumber(a, 0, 'atan'), a[1] === undefined ? 1 : checkNumber(a, 1, 'atan')))],
    fmod: (a) => {
      const x = checkNumber(a, 0, 'fmod');
      const y = checkNumber(a, 1, 'fmod');
      const ints = !isFloat(a[0]) && !isFloat(a[1]);
      if (ints && y === 0) throw argError(1, 'fmod', 'zero');
      return [ints ? x % y : float(x % y)];
    },
    modf: (a) => {
      const x = checkNumber(a, 0, 'modf');
      const i = x >= 0 ? Math.floor(x) : Math.ceil(x);
      return [float(i), float(Number.isFinite(x) ? x - i : 0)];
    },
    tointeger: (a) => {
      const v = a[0];
      const n = typeof v === 'string' ? parseNumber(v) : v;
      return [isNumber(n) && Number.isInteger(num(n)) ? num(n) : undefined];
    },
    type: (a) => {
      if (a.length === 0) throw argError(0, 'type', 'value expected');
      const v = a[0];
      return [isNumber(v) ? (isFloat(v) ? 'float' : 'integer') : undefined];
    },
    max: (a) => extreme(a, 'max', (x, y) => y > x),
    min: (a) => extreme(a, 'min', (x, y) => y < x),
    ult: (a) => [BigInt.asUintN(64, BigInt(checkInteger(a, 0, 'ult'))) < BigInt.asUintN(64, BigInt(checkInteger(a, 1, 'ult')))],
    random: (a) => {
      if (a.length === 0) return [float(Math.random())];
      const lo = a.length >= 2 ? checkInteger(a, 0, 'random') : 1;
      const hi = a.length >= 2 ? checkInteger(a, 1, 'random') : checkInteger(a, 0, 'random');
      if (lo > hi) throw argError(a.length >= 2 ? 1 : 0, 'random', 'interval is empty');
      return [lo + Math.floor(Math.random() * (hi - lo + 1))];
    },
    // COMPAT: Math.random cannot be seeded; configs have no use for reproducible randomness.
    randomseed: () => [],
  });
  lib.set('pi', new LFloat(Math.PI));
  lib.set('huge', Infinity);
  // COMPAT: as JS numbers; maxinteger rounds up to 2^63.
  lib.set('maxinteger', 2 ** 63 - 1);
  lib.set('mininteger', -(2 ** 63));
  return lib;
}

function extreme(a: LuaValue[], fname: string, better: (x: number, y: number) => boolean): LuaValue[] {
  let best = checkNumber(a, 0, fname);
  let bestValue = a[0];
  for (let i = 1; i < a.length; i++) {
    const n = checkNumber(a, i, fname);
    if (better(best, n)) {
      best = n;
      bestValue = a[i];
    }
  }
  return [typeof bestValue === 'string' ? parseNumber(bestValue) : bestValue];
}

// ---- os: getenv, time, clock; no file or process access ----

export function osLibrary(env: NodeJS.ProcessEnv): LuaTable {
  return library({
    getenv: (a) => {
      const v = env[fromBytes(checkString(a, 0, 'getenv'))];
      return [v === undefined ? undefined : toBytes(v)];
    },
    time: (a) => {
      if (a[0] === undefined) return [Math.floor(Date.now() / 1000)];
      const t = checkTable(a, 0, 'time');
      const field = (k: string, dflt?: number): number => {
        const v = t.get(k);
        if (v === undefined) {
          if (dflt === undefined) throw new LuaError(`field '${k}' missing in date table`);
          return dflt;
        }
        if (typeof v !== 'number') throw new LuaError(`field '${k}' is not an integer`);
        return v;
      };
      const d = new Date(field('year'), field('month') - 1, field('day'), field('hour', 12), field('min', 0), field('sec', 0));
      return [Math.floor(d.getTime() / 1000)];
    },
    clock: () => [makeFloat(process.cpuUsage().user / 1e6)],
  });
}
