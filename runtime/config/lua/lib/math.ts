/** The `math` library. */
import { LuaTable, LFloat, isFloat, isNumber, makeFloat, num, parseNumber, type LuaValue } from '../value.js';
import { argError, checkInteger, checkNumber, library } from './args.js';

const float = (n: number): LuaValue => makeFloat(n);

/** floor/ceil give integers when the result fits, as Lua's math.floor does. */
const toInt = (n: number): LuaValue => (Number.isFinite(n) && Math.abs(n) <= Number.MAX_SAFE_INTEGER ? n : makeFloat(n));

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
  lib.set('maxinteger', Number.MAX_SAFE_INTEGER);
  lib.set('mininteger', Number.MIN_SAFE_INTEGER);
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
