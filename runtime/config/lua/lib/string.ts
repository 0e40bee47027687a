/** The `string` library over byte strings (see value.ts), with Lua patterns from pattern.ts. */
import type { Interpreter } from '../interpreter.js';
import { luaFormat } from '../format.js';
import { captures, doMatch, find, getCapture, newState, SPECIALS, type Capture } from '../pattern.js';
import { LuaError, LuaFunction, LuaTable, isNumber, luaType, numberToString, truthy, type LuaValue } from '../value.js';
import { argError, checkInteger, checkString, library, optInteger } from './args.js';

/** Lua's rule for a start index: negative counts from the end, clamped to [1, len+1]. */
function startIndex(i: number, len: number): number {
  if (i > 0) return i;
  if (i === 0) return 1;
  return i < -len ? 1 : len + i + 1;
}

function endIndex(j: number, len: number): number {
  if (j > len) return len;
  if (j >= 0) return j;
  return j < -len ? 0 : len + j + 1;
}

export function stringLibrary(interp: Interpreter): LuaTable {
  const findAux = (args: LuaValue[], isFind: boolean): LuaValue[] => {
    const fname = isFind ? 'find' : 'match';
    const s = checkString(args, 0, fname);
    const pat = checkString(args, 1, fname);
    const init = startIndex(optInteger(args, 2, fname, 1), s.length) - 1;
    if (init > s.length) return [undefined];
    if (isFind && (truthy(args[3]) || !SPECIALS.test(pat))) {
      const at = s.indexOf(pat, init);
      return at < 0 ? [undefined] : [at + 1, at + pat.length];
    }
    const ms = newState(s, pat);
    const m = find(ms, init);
    if (!m) return [undefined];
    if (isFind) return [m[0] + 1, m[1], ...captures(ms, m[0], m[1], false)];
    return captures(ms, m[0], m[1], true);
  };

  const lib = library(
    {
      len: (a) => [checkString(a, 0, 'len').length],
      sub: (a) => {
        const s = checkString(a, 0, 'sub');
        const i = startIndex(optInteger(a, 1, 'sub', 1), s.length);
        const j = endIndex(optInteger(a, 2, 'sub', -1), s.length);
        return [i > j ? '' : s.slice(i - 1, j)];
      },
      // Byte strings: only ASCII letters change case, as in the C locale.
      upper: (a) => [checkString(a, 0, 'upper').replace(/[a-z]+/g, (m) => m.toUpperCase())],
      lower: (a) => [checkString(a, 0, 'lower').replace(/[A-Z]+/g, (m) => m.toLowerCase())],
      rep: (a) => {
        const s = checkString(a, 0, 'rep');
        const n = checkInteger(a, 1, 'rep');
        const sep = a[2] === undefined ? '' : checkString(a, 2, 'rep');
        if (n <= 0) return [''];
        if ((s.length + sep.length) * n > 1 << 28) throw new LuaError('resulting string too large');
        return [Array(n).fill(s).join(sep)];
      },
      reverse: (a) => [checkString(a, 0, 'reverse').split('').reverse().join('')],
      byte: (a) => {
        const s = checkString(a, 0, 'byte');
        const i = startIndex(optInteger(a, 1, 'byte', 1), s.length);
        const j = endIndex(optInteger(a, 2, 'byte', i), s.length);
        const out: LuaValue[] = [];
        for (let k = i; k <= j; k++) out.push(s.charCodeAt(k - 1));
        return out;
      },
      char: (a) =>
        [
          a
            .map((_, i) => {
              const c = checkInteger(a, i, 'char');
              if (c < 0 || c > 255) throw argError(i, 'char', 'value out of range');
              return String.fromCharCode(c);
            })
            .join(''),
        ],
      format: (a) => [luaFormat(checkString(a, 0, 'format'), a.slice(1), (v) => interp.tostring(v))],
      find: (a) => findAux(a, true),
      match: (a) => findAux(a, false),
      gmatch: (a) => {
        const s = checkString(a, 0, 'gmatch');
        const pat = checkString(a, 1, 'gmatch');
        let pos = startIndex(optInteger(a, 2, 'gmatch', 1), s.length) - 1;
        let lastMatch = -1;
        return [
          new LuaFunction(() => {
            const ms = newState(s, pat);
            for (; pos <= s.length; pos++) {
              ms.level = 0;
              ms.depth = 0;
              const e = doMatch(ms, pos, 0);
              if (e !== -1 && e !== lastMatch) {
                const start = pos;
                pos = lastMatch = e;
                return captures(ms, start, e, true);
              }
            }
            return [undefined];
          }, 'gmatch_iterator'),
        ];
      },
      gsub: (a) => gsub(interp, a),
    },
    '',
  );
  return lib;
}

function gsub(interp: Interpreter, a: LuaValue[]): LuaValue[] {
  const src = checkString(a, 0, 'gsub');
  let pat = checkString(a, 1, 'gsub');
  const repl = a[2];
  if (!(typeof repl === 'string' || isNumber(repl) || repl instanceof LuaTable || repl instanceof LuaFunction)) {
    throw argError(2, 'gsub', `string/function/table expected, got ${a.length > 2 ? luaType(repl) : 'no value'}`);
  }
  const maxN = a[3] === undefined ? Infinity : checkInteger(a, 3, 'gsub');
  const anchor = pat[0] === '^';
  if (anchor) pat = pat.slice(1);
  const ms = newState(src, pat);
  let out = '';
  let s = 0;
  let lastMatch = -1;
  let n = 0;
  while (n < maxN) {
    ms.level = 0;
    ms.depth = 0;
    const e = doMatch(ms, s, 0);
    if (e !== -1 && e !== lastMatch) {
      n++;
      out += replacement(interp, ms, s, e, repl);
      s = lastMatch = e;
    } else if (s < src.length) {
      out += src[s++];
    } else break;
    if (anchor) break;
  }
  return [out + src.slice(s), n];
}

function replacement(interp: Interpreter, ms: ReturnType<typeof newState>, s: number, e: number, repl: LuaValue): string {
  const whole = ms.src.slice(s, e);
  const asValue = (c: Capture): LuaValue => c;
  if (typeof repl === 'string' || isNumber(repl)) {
    const r = typeof repl === 'string' ? repl : numberToString(repl);
    let out = '';
    for (let i = 0; i < r.length; i++) {
      const ch = r[i]!;
      if (ch !== '%') {
        out += ch;
        continue;
      }
      i++;
      const d = r[i];
      if (d === '%') out += '%';
      else if (d !== undefined && d >= '0' && d <= '9') {
        const cap = d === '0' ? whole : getCapture(ms, Number(d) - 1, s, e);
        out += typeof cap === 'number' ? numberToString(cap) : cap;
      } else throw new LuaError("invalid use of '%' in replacement string");
    }
    return out;
  }
  const first = asValue(getCapture(ms, 0, s, e));
  const v =
    repl instanceof LuaTable ? interp.index(repl, first) : interp.call(repl as LuaFunction, captures(ms, s, e, true))[0];
  if (!truthy(v)) return whole;
  if (typeof v === 'string') return v;
  if (isNumber(v)) return numberToString(v);
  throw new LuaError(`invalid replacement value (a ${luaType(v)})`);
}
