/**
 * string.format: C printf conversions as Lua 5.4 accepts them (%d %i %c %x %X %o %e %E %f %F
 * %g %G %a %A %q %s %%), with flags, width and precision.
 */
import { formatG, isFloat, isNumber, LuaError, num, parseNumber, type LuaNumber, type LuaValue } from './value.js';

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
    const argn = ++argi;
    if (argn > args.length) throw new LuaError(`bad argument #${argn} to 'format' (no value)`);
    const arg = args[argn - 1];
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
    if (!isFloat(arg)) return String(n);
    if (n === Infinity) return '1e9999';
    if (n === -Infinity) return '-1e9999';
    if (Number.isNaN(n)) return '(0/0)';
    return hexFloat(n);
  }
  if (arg === undefined) return 'nil';
  if (typeof arg === 'boolean') return arg ? 'true' : 'false';
  throw new LuaError("bad argument #2 to 'format' (value has no literal form)");
}
