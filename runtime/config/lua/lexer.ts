/**
 * Lua 5.4 tokenizer over a byte string (see value.ts). Columns count characters, not bytes,
 * so they match what an editor shows for UTF-8 files.
 */
import type { SourcePosition } from '../../errors.js';
import { parseNumber, utf8Bytes, type LuaNumber } from './value.js';

export type TokenType = 'name' | 'string' | 'number' | 'eof' | string;

export interface Token {
  /** 'name', 'string', 'number', 'eof', or the keyword / symbol itself. */
  type: TokenType;
  /** The name, the string's bytes, or the number. */
  value: string | LuaNumber | undefined;
  /** Source text, for "near '...'" in messages. */
  raw: string;
  line: number;
  column: number;
}

/** A Lua syntax error with where it happened; read-config turns it into ERR_CONFIG_PARSE. */
export class LuaSyntaxError extends Error {
  constructor(
    message: string,
    readonly position: SourcePosition,
  ) {
    super(message);
  }
}

const KEYWORDS = new Set([
  'and', 'break', 'do', 'else', 'elseif', 'end', 'false', 'for', 'function', 'goto', 'if', 'in',
  'local', 'nil', 'not', 'or', 'repeat', 'return', 'then', 'true', 'until', 'while',
]);

// Longest first, so that '...' wins over '..' and '.'.
const SYMBOLS = [
  '...', '..', '==', '~=', '<=', '>=', '<<', '>>', '//', '::',
  '+', '-', '*', '/', '%', '^', '#', '&', '~', '|', '<', '>', '=', '(', ')', '{', '}', '[', ']', ';', ':', ',', '.',
];

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isHex = (c: number): boolean => isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70);
const isAlpha = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95;
const isAlnum = (c: number): boolean => isAlpha(c) || isDigit(c);
const isSpace = (c: number): boolean => c === 32 || (c >= 9 && c <= 13);

export class Lexer {
  #src: string;
  #file: string;
  #pos = 0;
  #line = 1;
  #lineStart = 0;

  constructor(src: string, file: string) {
    this.#src = src;
    this.#file = file;
  }

  #column(offset: number, lineStart: number): number {
    let col = 1;
    // UTF-8 continuation bytes (0x80-0xBF) do not start a character.
    for (let i = lineStart; i < offset; i++) {
      const c = this.#src.charCodeAt(i);
      if (c < 0x80 || c > 0xbf) col++;
    }
    return col;
  }

  #fail(message: string, line: number, column: number): never {
    throw new LuaSyntaxError(message, { file: this.#file, line, column });
  }

  #newline(): void {
    // \n, \r, \r\n and \n\r each count as one line break, as in llex.c.
    const src = this.#src;
    const c = src.charCodeAt(this.#pos);
    this.#pos++;
    const d = src.charCodeAt(this.#pos);
    if ((d === 10 || d === 13) && d !== c) this.#pos++;
    this.#line++;
    this.#lineStart = this.#pos;
  }

  next(): Token {
    const src = this.#src;
    for (;;) {
      const c = src.charCodeAt(this.#pos);
      if (c === 10 || c === 13) {
        this.#newline();
      } else if (isSpace(c)) {
        this.#pos++;
      } else if (c === 45 && src.charCodeAt(this.#pos + 1) === 45) {
        this.#comment();
      } else {
        break;
      }
    }
    const start = this.#pos;
    const line = this.#line;
    const column = this.#column(start, this.#lineStart);
    const tok = (type: TokenType, value?: string | LuaNumber): Token => ({
      type,
      value,
      raw: src.slice(start, this.#pos),
      line,
      column,
    });
    if (start >= src.length) return { type: 'eof', value: undefined, raw: '<eof>', line, column };
    const c = src.charCodeAt(start);
    if (isAlpha(c)) {
      let p = start + 1;
      while (p < src.length && isAlnum(src.charCodeAt(p))) p++;
      this.#pos = p;
      const word = src.slice(start, p);
      return KEYWORDS.has(word) ? tok(word) : tok('name', word);
    }
    if (isDigit(c) || (c === 46 && isDigit(src.charCodeAt(start + 1)))) return this.#number(start, line, column);
    if (c === 34 || c === 39) {
      const value = this.#shortString(c, line, column);
      return tok('string', value);
    }
    if (c === 91) {
      const level = this.#longBracketLevel();
      if (level >= 0) {
        const value = this.#longString(level, line, column, 'string');
        return tok('string', value);
      }
      if (level === -2) this.#fail("invalid long string delimiter near '[='", line, column);
    }
    for (const s of SYMBOLS) {
      if (src.startsWith(s, start)) {
        this.#pos = start + s.length;
        return tok(s);
      }
    }
    this.#pos++;
    const shown = c < 32 || c > 126 ? `<\\${c}>` : src[start]!;
    return this.#fail(`unexpected symbol near '${shown}'`, line, column);
  }

  #comment(): void {
    const line = this.#line;
    const column = this.#column(this.#pos, this.#lineStart);
    this.#pos += 2;
    if (this.#src.charCodeAt(this.#pos) === 91) {
      const level = this.#longBracketLevel();
      if (level >= 0) {
        this.#longString(level, line, column, 'comment');
        return;
      }
    }
    const src = this.#src;
    while (this.#pos < src.length) {
      const c = src.charCodeAt(this.#pos);
      if (c === 10 || c === 13) break;
      this.#pos++;
    }
  }

  /** At '[': the level of `[==[`, -1 if not a long bracket, -2 for `[=` without the second '['. */
  #longBracketLevel(): number {
    const src = this.#src;
    let p = this.#pos + 1;
    let level = 0;
    while (src.charCodeAt(p) === 61) {
      level++;
      p++;
    }
    if (src.charCodeAt(p) === 91) {
      this.#pos = p + 1;
      return level;
    }
    return level === 0 ? -1 : -2;
  }

  #longString(level: number, line: number, column: number, what: 'string' | 'comment'): string {
    const src = this.#src;
    // A newline right after the opening bracket is not part of the string.
    const first = src.charCodeAt(this.#pos);
    if (first === 10 || first === 13) this.#newline();
    let out = '';
    let chunkStart = this.#pos;
    for (;;) {
      if (this.#pos >= src.length) {
        this.#fail(`unfinished long ${what} (starting at line ${line}) near '<eof>'`, line, column);
      }
      const c = src.charCodeAt(this.#pos);
      if (c === 93) {
        let p = this.#pos + 1;
        let l = 0;
        while (src.charCodeAt(p) === 61) {
          l++;
          p++;
        }
        if (l === level && src.charCodeAt(p) === 93) {
          out += src.slice(chunkStart, this.#pos);
          this.#pos = p + 1;
          return out;
        }
        this.#pos++;
      } else if (c === 10 || c === 13) {
        out += src.slice(chunkStart, this.#pos) + '\n';
        this.#newline();
        chunkStart = this.#pos;
      } else {
        this.#pos++;
      }
    }
  }

  #shortString(quote: number, line: number, column: number): string {
    const src = this.#src;
    const start = this.#pos;
    this.#pos++;
    let out = '';
    const unfinished = (): never => {
      const near = this.#pos >= src.length ? '<eof>' : src.slice(start, this.#pos);
      return this.#fail(`unfinished string near '${near}'`, line, column);
    };
    for (;;) {
      if (this.#pos >= src.length) unfinished();
      const c = src.charCodeAt(this.#pos);
      if (c === quote) {
        this.#pos++;
        return out;
      }
      if (c === 10 || c === 13) unfinished();
      if (c !== 92) {
        out += src[this.#pos];
        this.#pos++;
        continue;
      }
      // Escape sequence.
      const escLine = this.#line;
      const escCol = this.#column(this.#pos, this.#lineStart);
      const badEscape = (text: string): never =>
        this.#fail(`invalid escape sequence '${text}'`, escLine, escCol);
      this.#pos++;
      const e = src.charCodeAt(this.#pos);
      const simple: Record<number, string> = {
        97: '\x07', 98: '\b', 102: '\f', 110: '\n', 114: '\r', 116: '\t', 118: '\v', 92: '\\', 34: '"', 39: "'",
      };
      if (simple[e] !== undefined) {
        out += simple[e];
        this.#pos++;
      } else if (e === 10 || e === 13) {
        out += '\n';
        this.#newline();
      } else if (e === 120) {
        const h = src.slice(this.#pos + 1, this.#pos + 3);
        if (!/^[0-9a-fA-F]{2}$/.test(h)) {
          // Like Lua, show the escape up to and including the first bad character.
          const good = isHex(src.charCodeAt(this.#pos + 1)) ? 1 : 0;
          badEscape('\\x' + src.slice(this.#pos + 1, this.#pos + 2 + good));
        }
        out += String.fromCharCode(parseInt(h, 16));
        this.#pos += 3;
      } else if (e === 122) {
        this.#pos++;
        for (;;) {
          const w = src.charCodeAt(this.#pos);
          if (w === 10 || w === 13) this.#newline();
          else if (isSpace(w)) this.#pos++;
          else break;
        }
      } else if (isDigit(e)) {
        let p = this.#pos;
        let v = 0;
        while (p < this.#pos + 3 && isDigit(src.charCodeAt(p))) v = v * 10 + src.charCodeAt(p++) - 48;
        if (v > 255) badEscape('\\' + src.slice(this.#pos, p));
        out += String.fromCharCode(v);
        this.#pos = p;
      } else if (e === 117) {
        let p = this.#pos + 1;
        if (src.charCodeAt(p) !== 123) badEscape('\\u' + (src[p] ?? ''));
        p++;
        let v = 0;
        const digitsStart = p;
        while (isHex(src.charCodeAt(p))) {
          v = v * 16 + parseInt(src[p]!, 16);
          if (v > 0x7fffffff) badEscape('\\u{' + src.slice(digitsStart, p + 1));
          p++;
        }
        if (p === digitsStart || src.charCodeAt(p) !== 125) badEscape('\\u{' + src.slice(digitsStart, p + 1));
        out += utf8Bytes(v);
        this.#pos = p + 1;
      } else {
        if (this.#pos >= src.length) unfinished();
        badEscape('\\' + src[this.#pos]);
      }
    }
  }

  #number(start: number, line: number, column: number): Token {
    const src = this.#src;
    let p = start;
    let expChars = 'Ee';
    if (src.charCodeAt(p) === 48 && (src[p + 1] === 'x' || src[p + 1] === 'X')) {
      p += 2;
      expChars = 'Pp';
    }
    // Like llex.c: take everything that could belong to a numeral, then convert it whole.
    for (;;) {
      const ch = src[p];
      if (ch !== undefined && expChars.includes(ch) && (src[p + 1] === '+' || src[p + 1] === '-')) p += 2;
      else if (ch !== undefined && (isAlnum(src.charCodeAt(p)) || ch === '.')) p++;
      else break;
    }
    const raw = src.slice(start, p);
    this.#pos = p;
    const value = parseNumber(raw);
    if (value === undefined) this.#fail(`malformed number near '${raw}'`, line, column);
    return { type: 'number', value, raw, line, column };
  }
}
