/**
 * Prosody's data file format: `return <table>;` written by util.serialization with its
 * default options, and read back by a small Lua table-literal parser (no Lua runtime).
 *
 * The writer is byte-exact with Prosody 0.12 for the same key order. The reader accepts the
 * whole table-literal subset of Lua (both quote styles, long strings, every escape, comments,
 * `[k]=`, `name=`, `,`/`;`, hex and negative numbers, `(1/0)`), because older or hand-edited
 * files may not look like ours. It is a single pass over char codes so a 4 MB invite file
 * parses in a few tens of milliseconds.
 */
import { CantoError } from '../errors.js';
import type { StoreTable, StoreValue } from './types.js';

// ---------------------------------------------------------------------------------------------
// Writing

/** Prosody's maxdepth: deeper nesting is almost surely a cycle. */
const MAX_DEPTH = 127;

const NAMED_ESCAPES: Record<number, string> = {
  0x07: '\\a', 0x08: '\\b', 0x0c: '\\f', 0x0a: '\\n', 0x0d: '\\r', 0x09: '\\t', 0x0b: '\\v',
  0x5c: '\\\\', 0x22: '\\"', 0x27: "\\'",
};

/** Strings that need no escaping at all: printable ASCII without quotes or backslash. */
const PLAIN = /^[\x20-\x21\x23-\x26\x28-\x5b\x5d-\x7e]*$/;

/** A Lua string literal as Prosody writes it: named escapes, `\ddd` for every other control or non-ASCII byte. */
export function quoteString(s: string): string {
  if (PLAIN.test(s)) return '"' + s + '"';
  const bytes = Buffer.from(s, 'utf8');
  let out = '"';
  let run = 0; // start of the current run of bytes that need no escape
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i]!;
    const named = NAMED_ESCAPES[b];
    if (named === undefined && b >= 0x20 && b < 0x7f) continue;
    if (i > run) out += bytes.toString('latin1', run, i);
    out += named ?? '\\' + String(b).padStart(3, '0');
    run = i + 1;
  }
  if (bytes.length > run) out += bytes.toString('latin1', run, bytes.length);
  return out + '"';
}

/** Lua's `%.18g`, which Prosody uses for every non-integer number. */
function formatG18(v: number): string {
  const [mantissa, expText] = v.toExponential(17).split('e') as [string, string];
  const exp = Number(expText);
  if (exp < -4 || exp >= 18) {
    const m = mantissa.replace(/0+$/, '').replace(/\.$/, '');
    return `${m}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  const fixed = v.toFixed(17 - exp);
  return fixed.includes('.') ? fixed.replace(/0+$/, '').replace(/\.$/, '') : fixed;
}

const INT64_LIMIT = 2 ** 63;

/** A number as Prosody writes it: `%d` for integers, `%.18g` for floats, `(1/0)` style for the rest. */
export function formatNumber(v: number): string {
  if (Number.isNaN(v)) return '(0/0)';
  if (v === Infinity) return '(1/0)';
  if (v === -Infinity) return '(-1/0)';
  // COMPAT: JS cannot tell Lua's float 2.0 from integer 2; both are written `2`, as Prosody writes both.
  if (Number.isInteger(v) && Math.abs(v) < INT64_LIMIT) {
    return Number.isSafeInteger(v) ? String(v === 0 ? 0 : v) : BigInt(v).toString();
  }
  return formatG18(v);
}

function valueError(why: string): CantoError {
  return new CantoError('ERR_STORAGE_VALUE', [why]);
}

function isPlainTable(v: object): boolean {
  const proto = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

/**
 * One value serialized as it appears at nesting depth `depth` (1 = the file's top table).
 * `undefined`/`null` properties are skipped, as assigning nil in Lua removes the key.
 */
export function serializeValue(value: StoreValue, depth: number): string {
  switch (typeof value) {
    case 'string':
      return quoteString(value);
    case 'number':
      return formatNumber(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'object':
      if (value !== null) return serializeTable(value, depth);
  }
  throw valueError(`unsupported type ${value === null ? 'null' : typeof value}`);
}

function serializeTable(t: StoreValue[] | StoreTable, depth: number): string {
  if (depth > MAX_DEPTH) throw valueError('table too deep (or a cycle)');
  const indent = '\t'.repeat(depth);
  let out = '{';
  let items = 0;
  if (Array.isArray(t)) {
    for (let i = 0; i < t.length; i++) {
      const v = t[i];
      if (v === undefined || v === null) throw valueError('array with holes (null or undefined element)');
      out += '\n' + indent + serializeValue(v, depth + 1) + ';';
      items++;
    }
  } else {
    if (!isPlainTable(t)) throw valueError(`unsupported object ${Object.prototype.toString.call(t)}`);
    for (const k of Object.keys(t)) {
      const v = t[k];
      if (v === undefined || v === null) continue;
      out += '\n' + indent + '[' + quoteString(k) + '] = ' + serializeValue(v, depth + 1) + ';';
      items++;
    }
  }
  return items === 0 ? '{}' : out + '\n' + '\t'.repeat(depth - 1) + '}';
}

/** `serialize(value)` of Prosody's util.serialization with default options. */
export function serialize(value: StoreValue): string {
  return serializeValue(value, 1);
}

/** One top-level item of a data file: `\n\t["key"] = value;`. A file is `return {` + items + `\n};\n`. */
export function entryText(key: string, value: StoreValue): string {
  const text = '\n\t[' + quoteString(key) + '] = ' + serializeValue(value, 2) + ';';
  // Reading one char makes V8 flatten the rope built by `+` once, here, instead of walking it
  // on every rewrite of the file that contains this entry.
  text.charCodeAt(0);
  return text;
}

/** The whole file for pre-serialized items (see `entryText`); `return {};\n` when there are none. */
export function fileText(items: readonly string[]): string {
  return items.length === 0 ? 'return {};\n' : 'return {' + items.join('') + '\n};\n';
}

/** What comes before and after the items of a non-empty file (see `fileText`). */
export const FILE_HEAD = Buffer.from('return {');
export const FILE_TAIL = Buffer.from('\n};\n');

// ---------------------------------------------------------------------------------------------
// Reading

/** One top-level field of a data file, with its source text when it can be reused verbatim. */
export interface ParsedField {
  key: string;
  value: StoreValue;
  /** `\n\t<field source>;` for `["string"] = v` / `name = v` fields, else null (re-serialize). */
  text: string | null;
}

type LuaKey = string | number | boolean;

const C_TAB = 9, C_LF = 10, C_VT = 11, C_FF = 12, C_CR = 13, C_SPACE = 32;
const C_DQ = 34, C_SQ = 39, C_LPAREN = 40, C_RPAREN = 41, C_COMMA = 44, C_MINUS = 45, C_DOT = 46, C_SLASH = 47;
const C_0 = 48, C_9 = 57, C_SEMI = 59, C_EQ = 61, C_LBRACK = 91, C_BSLASH = 92, C_RBRACK = 93;
const C_LBRACE = 123, C_RBRACE = 125;

function isDigit(c: number): boolean {
  return c >= C_0 && c <= C_9;
}
function isNameStart(c: number): boolean {
  return (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
}
function isNameChar(c: number): boolean {
  return isNameStart(c) || isDigit(c);
}
function hexValue(c: number): number {
  if (c >= C_0 && c <= C_9) return c - C_0;
  if (c >= 97 && c <= 102) return c - 87;
  if (c >= 65 && c <= 70) return c - 55;
  return -1;
}

/** Lua's tostring for a non-string key, so a mixed table still fits a string-keyed object. */
function keyString(k: LuaKey): string {
  return typeof k === 'number' ? formatNumber(k) : String(k);
}

/** Assign without ever touching the prototype (a data file may hold a `__proto__` key). */
function put(obj: StoreTable, k: string, v: StoreValue): void {
  if (k === '__proto__') Object.defineProperty(obj, k, { value: v, enumerable: true, writable: true, configurable: true });
  else obj[k] = v;
}

class Parser {
  pos = 0;
  nextBackslash = -1;
  /** Check the syntax but build no tables and no string values (a data file's entries, skimmed). */
  discard = false;
  readonly src: string;
  readonly file: string;
  /**
   * When set, `src` is these bytes read as latin1 (one char per byte, so positions are byte
   * offsets) and strings are decoded from them as UTF-8, as Lua's bytes would be.
   */
  readonly bytes: Buffer | null;

  constructor(src: string, file: string, bytes: Buffer | null = null) {
    this.src = src;
    this.file = file;
    this.bytes = bytes;
  }

  /** The text between two positions as a string value. */
  text(from: number, to: number): string {
    return this.bytes ? this.bytes.toString('utf8', from, to) : this.src.slice(from, to);
  }

  /** Skip a byte order mark (U+FEFF, or its UTF-8 bytes when reading bytes). */
  skipBom(): void {
    if (this.bytes) {
      if (this.src.startsWith('\xef\xbb\xbf', this.pos)) this.pos += 3;
    } else if (this.src.charCodeAt(this.pos) === 0xfeff) this.pos++;
  }

  fail(why: string, at = this.pos): never {
    let line = 1;
    for (let i = this.src.indexOf('\n'); i !== -1 && i < at; i = this.src.indexOf('\n', i + 1)) line++;
    throw new CantoError('ERR_STORAGE_PARSE', [this.file, `line ${line}: ${why}`]);
  }

  /** Skip whitespace and comments. */
  skip(): void {
    const s = this.src;
    for (;;) {
      const c = s.charCodeAt(this.pos);
      if (c === C_SPACE || c === C_LF || c === C_TAB || c === C_CR || c === C_VT || c === C_FF) {
        this.pos++;
      } else if (c === C_MINUS && s.charCodeAt(this.pos + 1) === C_MINUS) {
        this.pos += 2;
        if (s.charCodeAt(this.pos) === C_LBRACK) {
          const level = this.longBracketLevel();
          if (level >= 0) {
            this.readLong(level);
            continue;
          }
        }
        const nl = s.indexOf('\n', this.pos);
        this.pos = nl === -1 ? s.length : nl + 1;
      } else {
        return;
      }
    }
  }

  /** At `[`: the level of `[==[`, or -1 when it is not a long bracket. Does not move. */
  longBracketLevel(): number {
    let p = this.pos + 1;
    while (this.src.charCodeAt(p) === C_EQ) p++;
    return this.src.charCodeAt(p) === C_LBRACK ? p - this.pos - 1 : -1;
  }

  /** At `[==[`: read to the matching `]==]`, return the content (first newline dropped, as Lua does). */
  readLong(level: number): string {
    const start = this.pos;
    let p = this.pos + level + 2;
    if (this.src.charCodeAt(p) === C_CR) p += this.src.charCodeAt(p + 1) === C_LF ? 2 : 1;
    else if (this.src.charCodeAt(p) === C_LF) p += this.src.charCodeAt(p + 1) === C_CR ? 2 : 1;
    const close = ']' + '='.repeat(level) + ']';
    const end = this.src.indexOf(close, p);
    if (end === -1) this.fail('unfinished long string or comment', start);
    this.pos = end + close.length;
    return this.discard ? '' : this.text(p, end);
  }

  expect(c: number, what: string): void {
    this.skip();
    if (this.src.charCodeAt(this.pos) !== c) this.fail(`'${what}' expected`);
    this.pos++;
  }

  readName(): string {
    const start = this.pos;
    while (isNameChar(this.src.charCodeAt(this.pos))) this.pos++;
    return this.src.slice(start, this.pos);
  }

  /** The top of a chunk: `return <value> [;]` and nothing after. */
  chunkValue(): StoreValue {
    this.skip();
    this.skipBom();
    if (this.src.startsWith('#', this.pos)) {
      const nl = this.src.indexOf('\n', this.pos); // shebang line, allowed by Lua's loader
      this.pos = nl === -1 ? this.src.length : nl;
      this.skip();
    }
    if (this.readName() !== 'return') this.fail("'return' expected");
    const value = this.value();
    if (value === undefined) this.fail('nil is not a storable value');
    this.end();
    return value;
  }

  end(): void {
    this.skip();
    if (this.src.charCodeAt(this.pos) === C_SEMI) {
      this.pos++;
      this.skip();
    }
    if (this.pos < this.src.length) this.fail("'<eof>' expected");
  }

  /** Any value; `undefined` for `nil`. */
  value(): StoreValue | undefined {
    this.skip();
    const c = this.src.charCodeAt(this.pos);
    if (c === C_LBRACE) return this.table();
    if (c === C_DQ || c === C_SQ) return this.quoted(c);
    if (c === C_LBRACK) {
      const level = this.longBracketLevel();
      if (level < 0) this.fail('unexpected symbol');
      return this.readLong(level);
    }
    if (c === C_MINUS) {
      this.pos++;
      const v = this.value();
      if (typeof v !== 'number') this.fail('number expected after unary minus');
      return -v;
    }
    if (c === C_LPAREN) return this.parenthesized();
    if (isDigit(c) || (c === C_DOT && isDigit(this.src.charCodeAt(this.pos + 1)))) return this.number();
    if (isNameStart(c)) {
      const start = this.pos;
      const name = this.readName();
      if (name === 'true') return true;
      if (name === 'false') return false;
      if (name === 'nil') return undefined;
      this.fail('unexpected name', start); // not quoted: a corrupt file's text may be secret
    }
    this.fail(Number.isNaN(c) ? 'unexpected end of file' : 'unexpected symbol');
  }

  /** `(1/0)`, `(-1/0)`, `(0/0)` and, more generally, `(number [/ number])`. */
  parenthesized(): number {
    this.pos++;
    const a = this.value();
    if (typeof a !== 'number') this.fail('number expected');
    this.skip();
    let result = a;
    if (this.src.charCodeAt(this.pos) === C_SLASH) {
      this.pos++;
      const b = this.value();
      if (typeof b !== 'number') this.fail('number expected');
      result = a / b;
    }
    this.expect(C_RPAREN, ')');
    return result;
  }

  number(): number {
    const s = this.src;
    const start = this.pos;
    if (s.charCodeAt(start) === C_0 && (s.charCodeAt(start + 1) | 0x20) === 120) {
      this.pos += 2;
      return this.hexNumber(start);
    }
    while (isDigit(s.charCodeAt(this.pos))) this.pos++;
    if (s.charCodeAt(this.pos) === C_DOT) {
      this.pos++;
      while (isDigit(s.charCodeAt(this.pos))) this.pos++;
    }
    if ((s.charCodeAt(this.pos) | 0x20) === 101) {
      this.pos++;
      const sign = s.charCodeAt(this.pos);
      if (sign === 43 || sign === C_MINUS) this.pos++;
      if (!isDigit(s.charCodeAt(this.pos))) this.fail('malformed number', start);
      while (isDigit(s.charCodeAt(this.pos))) this.pos++;
    }
    if (isNameChar(s.charCodeAt(this.pos))) this.fail('malformed number', start);
    return Number(s.slice(start, this.pos));
  }

  /** `0x1F`, `0xA.8p1`: Lua hex integers and hex floats. */
  hexNumber(start: number): number {
    const s = this.src;
    let mantissa = 0;
    let exp = 0;
    let digits = 0;
    for (let h = hexValue(s.charCodeAt(this.pos)); h >= 0; h = hexValue(s.charCodeAt(++this.pos))) {
      mantissa = mantissa * 16 + h;
      digits++;
    }
    if (s.charCodeAt(this.pos) === C_DOT) {
      for (let h = hexValue(s.charCodeAt(++this.pos)); h >= 0; h = hexValue(s.charCodeAt(++this.pos))) {
        mantissa = mantissa * 16 + h;
        exp -= 4;
        digits++;
      }
    }
    if (digits === 0) this.fail('malformed number', start);
    if ((s.charCodeAt(this.pos) | 0x20) === 112) {
      this.pos++;
      let sign = 1;
      const c = s.charCodeAt(this.pos);
      if (c === 43 || c === C_MINUS) {
        sign = c === C_MINUS ? -1 : 1;
        this.pos++;
      }
      const eStart = this.pos;
      while (isDigit(s.charCodeAt(this.pos))) this.pos++;
      if (eStart === this.pos) this.fail('malformed number', start);
      exp += sign * Number(s.slice(eStart, this.pos));
    }
    if (isNameChar(s.charCodeAt(this.pos))) this.fail('malformed number', start);
    return mantissa * 2 ** exp;
  }

  /** A quoted string. Fast path: no backslash, so the text is the value. */
  quoted(q: number): string {
    const s = this.src;
    const start = this.pos + 1;
    const close = s.indexOf(q === C_DQ ? '"' : "'", start);
    if (close === -1) this.fail('unfinished string');
    // The next backslash is cached: searching from each string would be quadratic in a big file.
    if (this.nextBackslash < start) {
      this.nextBackslash = s.indexOf('\\', start);
      if (this.nextBackslash === -1) this.nextBackslash = Infinity;
    }
    if (this.nextBackslash > close) {
      const nl = s.indexOf('\n', start);
      if (nl !== -1 && nl < close) this.fail('unfinished string', nl);
      this.pos = close + 1;
      return this.discard ? '' : this.text(start, close);
    }
    return this.escapedString(q, start);
  }

  /**
   * A string with escapes. Lua strings are bytes: `\ddd` and `\x` give bytes that together form
   * UTF-8, so the value is collected as bytes and decoded once at the end.
   */
  escapedString(q: number, start: number): string {
    const s = this.src;
    const bytes: number[] = [];
    const raw = this.bytes;
    const pushText = (from: number, to: number) => {
      if (raw) for (let i = from; i < to; i++) bytes.push(raw[i]!);
      else for (const b of Buffer.from(s.slice(from, to), 'utf8')) bytes.push(b);
    };
    let p = start;
    let run = start;
    for (;;) {
      const c = s.charCodeAt(p);
      if (c === q) break;
      if (Number.isNaN(c) || c === C_LF || c === C_CR) this.fail('unfinished string', p);
      if (c !== C_BSLASH) {
        p++;
        continue;
      }
      pushText(run, p);
      p++;
      const e = s.charCodeAt(p);
      switch (e) {
        case 97: bytes.push(7); p++; break; // \a
        case 98: bytes.push(8); p++; break; // \b
        case 102: bytes.push(12); p++; break; // \f
        case 110: bytes.push(10); p++; break; // \n
        case 114: bytes.push(13); p++; break; // \r
        case 116: bytes.push(9); p++; break; // \t
        case 118: bytes.push(11); p++; break; // \v
        case C_BSLASH: case C_DQ: case C_SQ: bytes.push(e); p++; break;
        case C_LF: case C_CR: {
          // A backslash before a line break keeps the break (\r\n and \n\r count as one).
          bytes.push(10);
          const n = s.charCodeAt(p + 1);
          p += (n === C_LF || n === C_CR) && n !== e ? 2 : 1;
          break;
        }
        case 120: { // \xXX
          const h1 = hexValue(s.charCodeAt(p + 1));
          const h2 = hexValue(s.charCodeAt(p + 2));
          if (h1 < 0 || h2 < 0) this.fail('hexadecimal digit expected', p);
          bytes.push(h1 * 16 + h2);
          p += 3;
          break;
        }
        case 122: { // \z skips the following whitespace
          p++;
          for (let w = s.charCodeAt(p); w === C_SPACE || (w >= C_TAB && w <= C_CR); w = s.charCodeAt(++p));
          break;
        }
        case 117: { // \u{XXX}
          if (s.charCodeAt(p + 1) !== C_LBRACE) this.fail("missing '{' in \\u{xxxx}", p);
          let cp = 0;
          let q2 = p + 2;
          for (let h = hexValue(s.charCodeAt(q2)); h >= 0; h = hexValue(s.charCodeAt(++q2))) cp = cp * 16 + h;
          if (q2 === p + 2 || s.charCodeAt(q2) !== C_RBRACE || cp > 0x7fffffff) this.fail('invalid \\u escape', p);
          for (const b of Buffer.from(String.fromCodePoint(Math.min(cp, 0x10ffff)), 'utf8')) bytes.push(b);
          p = q2 + 1;
          break;
        }
        default: {
          if (!isDigit(e)) this.fail('invalid escape sequence', p);
          let n = 0;
          let k = 0;
          for (; k < 3 && isDigit(s.charCodeAt(p + k)); k++) n = n * 10 + s.charCodeAt(p + k) - C_0;
          if (n > 255) this.fail('decimal escape too large', p);
          bytes.push(n);
          p += k;
        }
      }
      run = p;
    }
    pushText(run, p);
    this.pos = p + 1;
    return Buffer.from(bytes).toString('utf8');
  }

  /**
   * A field's key: `[k] =` or `name =` (then `this.named` says whether it is a string key), or
   * null for a positional field, with nothing consumed.
   */
  fieldKey(): LuaKey | null {
    const s = this.src;
    this.skip();
    const c = s.charCodeAt(this.pos);
    const fieldStart = this.pos;
    this.named = false;
    if (c === C_LBRACK && this.longBracketLevel() < 0) {
      this.pos++;
      // While discarding, a string key reads as '' and a table as {}: still enough to refuse
      // `[{}]` and `[nil]`, without decoding every key of a value nobody asked for.
      const k = this.value();
      if (k === undefined || (typeof k === 'number' && Number.isNaN(k))) this.fail('table index is nil or NaN', fieldStart);
      if (typeof k === 'object') this.fail('table keys must be strings, numbers or booleans', fieldStart);
      this.named = typeof k === 'string';
      this.expect(C_RBRACK, ']');
      this.expect(C_EQ, '=');
      return k;
    }
    if (isNameStart(c)) {
      // `name = value`, unless the name is a value keyword (`true`, `nil`, ...).
      const name = this.readName();
      this.skip();
      if (s.charCodeAt(this.pos) === C_EQ && s.charCodeAt(this.pos + 1) !== C_EQ) {
        this.pos++;
        this.named = true;
        return this.bytes ? this.text(fieldStart, fieldStart + name.length) : name;
      }
      this.pos = fieldStart;
    }
    return null;
  }

  /** Set by fieldKey: the key it read is a string. */
  named = false;

  /** After a field: `,` or `;`, or the `}` that ends the table (left for the caller). */
  separator(): void {
    this.skip();
    const sep = this.src.charCodeAt(this.pos);
    if (sep === C_COMMA || sep === C_SEMI) this.pos++;
    else if (sep !== C_RBRACE) this.fail("'}' expected");
  }

  /**
   * A table constructor. A pure sequence 1..n becomes an array; anything with other keys an
   * object (non-string keys as Lua's tostring); `{}` an empty object.
   */
  table(): StoreValue[] | StoreTable {
    const s = this.src;
    this.pos++; // {
    let obj: StoreTable | undefined;
    let nums: Map<number, StoreValue> | undefined;
    let nextIndex = 1;
    for (;;) {
      this.skip();
      if (s.charCodeAt(this.pos) === C_RBRACE) {
        this.pos++;
        break;
      }
      const key = this.fieldKey() ?? nextIndex++;
      const v = this.value();
      if (this.discard) {
        // syntax only: the table itself is not wanted
      } else if (v !== undefined) {
        if (typeof key === 'number') (nums ??= new Map()).set(key, v);
        else put((obj ??= {}), keyString(key), v);
      } else if (typeof key === 'number') {
        nums?.delete(key);
      } else if (obj) {
        delete obj[keyString(key)];
      }
      this.separator();
    }
    if (!nums || this.discard) return obj ?? {};
    if (!obj) {
      const arr: StoreValue[] = [];
      for (let i = 1; nums.has(i); i++) arr.push(nums.get(i)!);
      if (arr.length === nums.size) return arr;
    }
    // COMPAT: a table mixing a sequence with other keys becomes one string-keyed object.
    const out = obj ?? {};
    for (const [k, v] of nums) put(out, keyString(k), v);
    return out;
  }

  /** At the start of a data file: `return {`, else the error reading the chunk gives. */
  openTop(): void {
    this.skip();
    this.skipBom();
    const at = this.pos;
    if (this.readName() !== 'return') this.fail("'return' expected", at);
    this.skip();
    if (this.src.charCodeAt(this.pos) !== C_LBRACE) {
      this.pos = 0;
      this.chunkValue(); // reports a syntax error if there is one
      this.fail('the data is not a table', at);
    }
    this.pos++;
    this.topIndex = 1;
  }

  topIndex = 1;

  /**
   * The next field of the file's table (see openTop), or null once the table and the chunk have
   * ended. The value of a string-keyed field is built only when `build`; it is always checked.
   */
  topField(build: boolean): TopField | null {
    this.skip();
    if (this.src.charCodeAt(this.pos) === C_RBRACE) {
      this.pos++;
      this.end();
      return null;
    }
    const start = this.pos;
    const key = this.fieldKey() ?? this.topIndex++;
    const named = this.named;
    this.discard = named && !build;
    let value;
    try {
      value = this.value();
    } finally {
      this.discard = false;
    }
    const end = this.pos;
    this.separator();
    return { key: keyString(key), named, start, end, value: value === undefined ? undefined : named && !build ? null : value };
  }
}

/**
 * One field of a data file's table as topField reads it: its key (as Lua's tostring), where its
 * source starts and ends (`start`..`end`, without the separator), whether it is a string key
 * (`["k"] = v`, `k = v`: its source can be kept as it is), and its value: `undefined` for
 * `k = nil` (which removes k), `null` when it was checked but not built.
 */
export interface TopField {
  key: string;
  named: boolean;
  start: number;
  end: number;
  value: StoreValue | null | undefined;
}

/** Read a `return <value>;` chunk (a Prosody data file). Errors are ERR_STORAGE_PARSE with the line. */
export function parseData(text: string, file: string): StoreTable | StoreValue {
  return new Parser(text, file).chunkValue();
}

/**
 * Read a data file into its top-level fields, keeping each string-keyed field's source so an
 * unchanged entry can be written back without serializing it again.
 */
export function parseFields(text: string, file: string): ParsedField[] {
  const p = new Parser(text, file);
  p.openTop();
  // Later fields win, and `k = nil` removes k, as when Lua runs the constructor.
  const fields = new Map<string, ParsedField>();
  for (let f = p.topField(true); f; f = p.topField(true)) {
    fields.delete(f.key); // keep file order for the last definition
    if (f.value === undefined || f.value === null) continue;
    fields.set(f.key, { key: f.key, value: f.value, text: f.named ? '\n\t' + text.slice(f.start, f.end) + ';' : null });
  }
  return [...fields.values()];
}

/**
 * Read a data file's bytes field by field, for a caller that keeps their source and parses
 * values when they are asked for (see FileImage). String-keyed values are checked, not built.
 */
export class FieldReader {
  readonly #parser: Parser;

  constructor(bytes: Buffer, file: string) {
    this.#parser = new Parser(bytes.toString('latin1'), file, bytes);
    this.#parser.openTop();
  }

  /** The next field, or null at the end of the file (which has then been checked whole). */
  next(): TopField | null {
    return this.#parser.topField(false);
  }
}

/** The value of one item `\n\t[key] = value;` of a data file, from its bytes (see FieldReader). */
export function parseItem(bytes: Buffer, start: number, end: number, file: string): StoreValue {
  const p: Parser = new Parser(bytes.toString('latin1', start, end), file, bytes.subarray(start, end));
  if (p.fieldKey() === null) p.fail('field expected');
  const value = p.value();
  if (value === undefined) p.fail('nil is not a storable value');
  p.end();
  return value;
}

/**
 * The items of a list file (`<store>/<user>.list`, Prosody's datamanager.list_load): a chunk of
 * `item(<value>);` calls (`item{...}` too), in file order. Errors are ERR_STORAGE_PARSE with the
 * line; as Lua would, a broken file yields no items at all.
 */
export function parseList(bytes: Buffer, file: string): StoreValue[] {
  const p: Parser = new Parser(bytes.toString('latin1'), file, bytes);
  const items: StoreValue[] = [];
  p.skip();
  p.skipBom();
  for (p.skip(); p.pos < p.src.length; p.skip()) {
    const start = p.pos;
    if (p.readName() !== 'item') p.fail("'item' expected", start);
    p.skip();
    let value: StoreValue | undefined;
    if (p.src.charCodeAt(p.pos) === C_LBRACE) value = p.value();
    else {
      p.expect(C_LPAREN, '(');
      value = p.value();
      p.expect(C_RPAREN, ')');
    }
    if (value === undefined) p.fail('nil is not a storable value');
    items.push(value);
    p.skip();
    if (p.src.charCodeAt(p.pos) === C_SEMI) p.pos++;
  }
  return items;
}
