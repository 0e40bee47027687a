/**
 * The `string` library over byte strings (see value.ts): Lua patterns come from pattern.ts,
 * string.format implements C printf conversions as Lua 5.4 accepts them (%d %i %c %x %X %o %e
 * %E %f %F %g %G %a %A %q %s %%), with flags, width and precision.
 */
import type { Interpreter } from './interpreter.js';
import { captures, doMatch, find, getCapture, newState, SPECIALS, type Capture } from './pattern.js';
import {
  LuaError,
  LuaFunction,
  LuaTable,
  argError,
  checkInteger,
  checkString,
  formatG,
  isFloat,
  isNumber,
  library,
  luaType,
  num,
  numberToString,
  optInteger,
  parseNumber,
  truthy,
  type LuaNumber,
  type LuaValue,
} from './value.js';

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

// ---- string.format ----

const SPEC = /^%([-+ #0]*)(\d{0,2})(?:\.(\d{0,2}))?([diucxXoeEfFgGaAqs])/;

export function luaFormat(fmt: string, args: LuaValue[], tostring: (v: LuaValue) => string): string {
  let out = '';
  let argi = 0;
  let i = 0;
  while (i < fmt.length) {
    const c = fmt[i]!;
    if (c !== '%') {
      out += c;
      i++;
      continue;
    }
    if (fmt[i + 1] === '%') {
      out += '%';
      i += 2;
      continue;
    }
    const m = SPEC.exec(fmt.slice(i));
    if (!m) {
      const conv = fmt.slice(i, i + 8).replace(/^(%[-+ #0\d.]*.).*$/s, '$1');
      throw new LuaError(`invalid conversion '${conv}' to 'format'`);
    }
    i += m[0].length;
    const [, flags = '', widthText = '', precText, conv] = m;
    const index = argi++;
    // Lua counts the format string as argument #1.
    const argn = index + 2;
    if (index >= args.length) throw new LuaError(`bad argument #${argn} to 'format' (no value)`);
    const arg = args[index];
    const width = widthText === '' ? 0 : Number(widthText);
    const prec = precText === undefined ? undefined : precText === '' ? 0 : Number(precText);
    out += convert(conv!, flags, width, prec, arg, argn, tostring);
  }
  return out;
}

function numberArg(arg: LuaValue, argn: number): LuaNumber {
  const n = typeof arg === 'string' ? parseNumber(arg) : isNumber(arg) ? arg : undefined;
  if (n === undefined) {
    const got = arg === undefined ? 'nil' : typeof arg === 'string' ? 'string' : typeof arg === 'boolean' ? 'boolean' : 'table';
    throw new LuaError(`bad argument #${argn} to 'format' (number expected, got ${got})`);
  }
  return n;
}

function integerArg(arg: LuaValue, argn: number): number {
  const n = num(numberArg(arg, argn));
  if (!Number.isInteger(n)) throw new LuaError(`bad argument #${argn} to 'format' (number has no integer representation)`);
  return n;
}

function pad(body: string, flags: string, width: number, numeric: boolean): string {
  if (body.length >= width) return body;
  if (flags.includes('-')) return body + ' '.repeat(width - body.length);
  if (numeric && flags.includes('0')) {
    const sign = /^[-+ ]/.test(body) ? body[0]! : '';
    const rest = sign ? body.slice(1) : body;
    const prefix = /^0[xX]/.test(rest) ? rest.slice(0, 2) : '';
    return sign + prefix + '0'.repeat(width - body.length) + rest.slice(prefix.length);
  }
  return ' '.repeat(width - body.length) + body;
}

function signed(n: number, text: string, flags: string): string {
  if (n < 0 || Object.is(n, -0)) return text;
  if (flags.includes('+')) return '+' + text;
  if (flags.includes(' ')) return ' ' + text;
  return text;
}

function exp(n: number, prec: number, upper: boolean, alt: boolean): string {
  let s = Math.abs(n).toExponential(prec).replace(/e([+-])(\d)$/, 'e$10$2');
  if (alt && prec === 0) s = s.replace('e', '.e');
  if (n < 0 || Object.is(n, -0)) s = '-' + s;
  return upper ? s.toUpperCase() : s;
}

function special(n: number, upper: boolean): string | undefined {
  if (Number.isNaN(n)) return upper ? 'NAN' : n > 0 ? 'nan' : '-nan';
  if (n === Infinity) return upper ? 'INF' : 'inf';
  if (n === -Infinity) return upper ? '-INF' : '-inf';
  return undefined;
}

function convert(
  conv: string,
  flags: string,
  width: number,
  prec: number | undefined,
  arg: LuaValue,
  argn: number,
  tostring: (v: LuaValue) => string,
): string {
  switch (conv) {
    case 'd':
    case 'i': {
      const n = integerArg(arg, argn);
      let digits = String(Math.abs(n));
      if (prec !== undefined) digits = prec === 0 && n === 0 ? '' : digits.padStart(prec, '0');
      return pad(signed(n, (n < 0 ? '-' : '') + digits, flags), prec === undefined ? flags : flags.replace('0', ''), width, true);
    }
    case 'u':
      throw new LuaError(`invalid conversion '%${flags}${conv}' to 'format'`);
    case 'c':
      return pad(String.fromCharCode(integerArg(arg, argn) & 255), flags, width, false);
    case 'x':
    case 'X':
    case 'o': {
      const n = integerArg(arg, argn);
      const big = BigInt.asUintN(64, BigInt(n));
      let digits = big.toString(conv === 'o' ? 8 : 16);
      if (conv === 'X') digits = digits.toUpperCase();
      if (prec !== undefined) digits = digits.padStart(prec, '0');
      if (flags.includes('#') && n !== 0) digits = (conv === 'o' ? '0' : conv === 'x' ? '0x' : '0X') + digits;
      return pad(digits, flags, width, true);
    }
    case 'e':
    case 'E': {
      const n = num(numberArg(arg, argn));
      const sp = special(n, conv === 'E');
      return pad(signed(n, sp ?? exp(n, prec ?? 6, conv === 'E', flags.includes('#')), flags), flags, width, sp === undefined);
    }
    case 'f':
    case 'F': {
      const n = num(numberArg(arg, argn));
      const sp = special(n, conv === 'F');
      let s = sp ?? (n < 0 || Object.is(n, -0) ? '-' : '') + Math.abs(n).toFixed(prec ?? 6);
      if (!sp && flags.includes('#') && prec === 0) s += '.';
      return pad(signed(n, s, flags), flags, width, sp === undefined);
    }
    case 'g':
    case 'G': {
      const n = num(numberArg(arg, argn));
      const sp = special(n, conv === 'G');
      let s = sp ?? formatG(n, prec ?? 6, flags.includes('#'));
      if (conv === 'G') s = s.toUpperCase();
      return pad(signed(n, s, flags), flags, width, sp === undefined);
    }
    case 'a':
    case 'A': {
      const n = num(numberArg(arg, argn));
      let s = special(n, conv === 'A') ?? hexFloat(n);
      if (conv === 'A') s = s.toUpperCase();
      return pad(signed(n, s, flags), flags, width, true);
    }
    case 'q':
      return quote(arg);
    default: {
      // 's'
      let s = tostring(arg);
      if (prec !== undefined) s = s.slice(0, prec);
      return pad(s, flags, width, false);
    }
  }
}

function hexFloat(n: number): string {
  if (n === 0) return (Object.is(n, -0) ? '-' : '') + '0x0p+0';
  const neg = n < 0;
  let m = Math.abs(n);
  let e = Math.floor(Math.log2(m));
  m = m / Math.pow(2, e);
  if (m >= 2) {
    m /= 2;
    e++;
  }
  let frac = '';
  let f = m - 1;
  while (f > 0 && frac.length < 13) {
    f *= 16;
    const d = Math.floor(f);
    frac += d.toString(16);
    f -= d;
  }
  return `${neg ? '-' : ''}0x1${frac ? '.' + frac : ''}p${e >= 0 ? '+' : ''}${e}`;
}

/** %q: a Lua literal that reads back as the same value. */
function quote(arg: LuaValue): string {
  if (typeof arg === 'string') {
    let out = '"';
    for (let i = 0; i < arg.length; i++) {
      const c = arg.charCodeAt(i);
      const ch = arg[i]!;
      // As lstrlib's addquoted: a newline is kept, escaped by a backslash.
      if (ch === '"' || ch === '\\' || ch === '\n') out += '\\' + ch;
      else if (c < 32 || c === 127) out += /\d/.test(arg[i + 1] ?? '') ? '\\' + String(c).padStart(3, '0') : '\\' + c;
      else out += ch;
    }
    return out + '"';
  }
  if (isNumber(arg)) {
    const n = num(arg);
    if (!isFloat(arg)) return numberToString(arg);
    if (n === Infinity) return '1e9999';
    if (n === -Infinity) return '-1e9999';
    if (Number.isNaN(n)) return '(0/0)';
    return hexFloat(n);
  }
  if (arg === undefined) return 'nil';
  if (typeof arg === 'boolean') return arg ? 'true' : 'false';
  throw new LuaError("bad argument #2 to 'format' (value has no literal form)");
}
