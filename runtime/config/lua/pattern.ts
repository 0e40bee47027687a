/**
 * Lua patterns (a port of the matcher in lstrlib.c) over byte strings, for string.find, match,
 * gmatch and gsub. Positions are 0-based here; the string library converts to Lua's 1-based.
 */
import { LuaError } from './value.js';

const MAXCCALLS = 200;
const MAX_CAPTURES = 32;
const CAP_UNFINISHED = -1;
const CAP_POSITION = -2;

export interface MatchState {
  src: string;
  pat: string;
  level: number;
  capture: { start: number; len: number }[];
  depth: number;
}

/** A capture: a substring, or a position (number, 1-based) for `()`. */
export type Capture = string | number;

export function newState(src: string, pat: string): MatchState {
  return { src, pat, level: 0, capture: [], depth: 0 };
}

function classEnd(ms: MatchState, p: number): number {
  const pat = ms.pat;
  const c = pat[p++];
  if (c === '%') {
    if (p >= pat.length) throw new LuaError("malformed pattern (ends with '%')");
    return p + 1;
  }
  if (c === '[') {
    if (pat[p] === '^') p++;
    do {
      if (p >= pat.length) throw new LuaError("malformed pattern (missing ']')");
      const cc = pat[p++];
      if (cc === '%') p++;
    } while (pat[p] !== ']');
    return p + 1;
  }
  return p;
}

function singleClass(c: number, cl: string): boolean {
  let res: boolean;
  switch (cl.toLowerCase()) {
    case 'a':
      res = (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
      break;
    case 'c':
      res = c < 32 || c === 127;
      break;
    case 'd':
      res = c >= 48 && c <= 57;
      break;
    case 'g':
      res = c > 32 && c < 127;
      break;
    case 'l':
      res = c >= 97 && c <= 122;
      break;
    case 'p':
      res = (c >= 33 && c <= 47) || (c >= 58 && c <= 64) || (c >= 91 && c <= 96) || (c >= 123 && c <= 126);
      break;
    case 's':
      res = c === 32 || (c >= 9 && c <= 13);
      break;
    case 'u':
      res = c >= 65 && c <= 90;
      break;
    case 'w':
      res = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
      break;
    case 'x':
      res = (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);
      break;
    default:
      return cl.charCodeAt(0) === c;
  }
  // An upper-case class letter is the complement.
  return cl >= 'A' && cl <= 'Z' ? !res : res;
}

function matchClassSet(ms: MatchState, c: number, p: number, ec: number): boolean {
  const pat = ms.pat;
  let sig = true;
  p++; // skip '['
  if (pat[p] === '^') {
    sig = false;
    p++;
  }
  while (p < ec) {
    if (pat[p] === '%') {
      p++;
      if (singleClass(c, pat[p]!)) return sig;
      p++;
    } else if (pat[p + 1] === '-' && p + 2 < ec) {
      if (pat.charCodeAt(p) <= c && c <= pat.charCodeAt(p + 2)) return sig;
      p += 3;
    } else {
      if (pat.charCodeAt(p) === c) return sig;
      p++;
    }
  }
  return !sig;
}

function singleMatch(ms: MatchState, s: number, p: number, ep: number): boolean {
  if (s >= ms.src.length) return false;
  const c = ms.src.charCodeAt(s);
  switch (ms.pat[p]) {
    case '.':
      return true;
    case '%':
      return singleClass(c, ms.pat[p + 1]!);
    case '[':
      return matchClassSet(ms, c, p, ep - 1);
    default:
      return ms.pat.charCodeAt(p) === c;
  }
}

function matchBalance(ms: MatchState, s: number, p: number): number {
  if (p + 1 >= ms.pat.length) throw new LuaError("malformed pattern (missing arguments to '%b')");
  const src = ms.src;
  if (s >= src.length || src[s] !== ms.pat[p]) return -1;
  const b = ms.pat[p]!;
  const e = ms.pat[p + 1]!;
  let cont = 1;
  while (++s < src.length) {
    if (src[s] === e) {
      if (--cont === 0) return s + 1;
    } else if (src[s] === b) cont++;
  }
  return -1;
}

function maxExpand(ms: MatchState, s: number, p: number, ep: number): number {
  let i = 0;
  while (singleMatch(ms, s + i, p, ep)) i++;
  while (i >= 0) {
    const res = doMatch(ms, s + i, ep + 1);
    if (res !== -1) return res;
    i--;
  }
  return -1;
}

function minExpand(ms: MatchState, s: number, p: number, ep: number): number {
  for (;;) {
    const res = doMatch(ms, s, ep + 1);
    if (res !== -1) return res;
    if (singleMatch(ms, s, p, ep)) s++;
    else return -1;
  }
}

function startCapture(ms: MatchState, s: number, p: number, what: number): number {
  if (ms.level >= MAX_CAPTURES) throw new LuaError('too many captures');
  ms.capture[ms.level] = { start: s, len: what };
  ms.level++;
  const res = doMatch(ms, s, p);
  if (res === -1) ms.level--;
  return res;
}

function endCapture(ms: MatchState, s: number, p: number): number {
  let l = -1;
  for (let level = ms.level - 1; level >= 0; level--) {
    if (ms.capture[level]!.len === CAP_UNFINISHED) {
      l = level;
      break;
    }
  }
  if (l < 0) throw new LuaError('invalid pattern capture');
  ms.capture[l]!.len = s - ms.capture[l]!.start;
  const res = doMatch(ms, s, p);
  if (res === -1) ms.capture[l]!.len = CAP_UNFINISHED;
  return res;
}

function checkCapture(ms: MatchState, l: string): number {
  const n = l.charCodeAt(0) - 49; // '1'
  if (n < 0 || n >= ms.level || ms.capture[n]!.len === CAP_UNFINISHED) {
    throw new LuaError(`invalid capture index %${n + 1}`);
  }
  return n;
}

function matchCapture(ms: MatchState, s: number, l: string): number {
  const n = checkCapture(ms, l);
  const cap = ms.capture[n]!;
  const text = ms.src.substr(cap.start, cap.len);
  if (ms.src.length - s >= text.length && ms.src.startsWith(text, s)) return s + text.length;
  return -1;
}

/** Match the pattern from `p` against the subject from `s`; the end index or -1. */
export function doMatch(ms: MatchState, s: number, p: number): number {
  if (ms.depth++ > MAXCCALLS) throw new LuaError('pattern too complex');
  try {
    const pat = ms.pat;
    for (;;) {
      if (p >= pat.length) return s;
      const c = pat[p];
      if (c === '(') {
        return pat[p + 1] === ')' ? startCapture(ms, s, p + 2, CAP_POSITION) : startCapture(ms, s, p + 1, CAP_UNFINISHED);
      }
      if (c === ')') return endCapture(ms, s, p + 1);
      if (c === '$' && p + 1 === pat.length) return s === ms.src.length ? s : -1;
      if (c === '%' && pat[p + 1] === 'b') {
        s = matchBalance(ms, s, p + 2);
        if (s === -1) return -1;
        p += 4;
        continue;
      }
      if (c === '%' && pat[p + 1] === 'f') {
        p += 2;
        if (pat[p] !== '[') throw new LuaError("missing '[' after '%f' in pattern");
        const ep = classEnd(ms, p);
        const prev = s === 0 ? 0 : ms.src.charCodeAt(s - 1);
        const cur = s < ms.src.length ? ms.src.charCodeAt(s) : 0;
        if (!matchClassSet(ms, prev, p, ep - 1) && matchClassSet(ms, cur, p, ep - 1)) {
          p = ep;
          continue;
        }
        return -1;
      }
      if (c === '%' && pat[p + 1] !== undefined && pat[p + 1]! >= '0' && pat[p + 1]! <= '9') {
        s = matchCapture(ms, s, pat[p + 1]!);
        if (s === -1) return -1;
        p += 2;
        continue;
      }
      const ep = classEnd(ms, p);
      const epc = pat[ep];
      if (!singleMatch(ms, s, p, ep)) {
        if (epc === '*' || epc === '?' || epc === '-') {
          p = ep + 1;
          continue;
        }
        return -1;
      }
      if (epc === '?') {
        const res = doMatch(ms, s + 1, ep + 1);
        if (res !== -1) return res;
        p = ep + 1;
        continue;
      }
      if (epc === '+') return maxExpand(ms, s + 1, p, ep);
      if (epc === '*') return maxExpand(ms, s, p, ep);
      if (epc === '-') return minExpand(ms, s, p, ep);
      s++;
      p = ep;
    }
  } finally {
    ms.depth--;
  }
}

/** Capture i of a match from s to e (the whole match when the pattern has no captures). */
export function getCapture(ms: MatchState, i: number, s: number, e: number): Capture {
  if (i >= ms.level) {
    if (i === 0) return ms.src.slice(s, e);
    throw new LuaError(`invalid capture index %${i + 1}`);
  }
  const cap = ms.capture[i]!;
  if (cap.len === CAP_UNFINISHED) throw new LuaError('unfinished capture');
  if (cap.len === CAP_POSITION) return cap.start + 1;
  return ms.src.substr(cap.start, cap.len);
}

/** All captures of a match (or the whole match). */
export function captures(ms: MatchState, s: number, e: number, wholeIfNone: boolean): Capture[] {
  const n = ms.level === 0 && wholeIfNone ? 1 : ms.level;
  const out: Capture[] = [];
  for (let i = 0; i < n; i++) out.push(getCapture(ms, i, s, e));
  return out;
}

/** Find the first match at or after `init`; [start, end] or undefined. */
export function find(ms: MatchState, init: number): [number, number] | undefined {
  let p = 0;
  const anchor = ms.pat[0] === '^';
  if (anchor) p = 1;
  let s = init;
  do {
    ms.level = 0;
    ms.depth = 0;
    const e = doMatch(ms, s, p);
    if (e !== -1) return [s, e];
    s++;
  } while (s <= ms.src.length && !anchor);
  return undefined;
}

export const SPECIALS = /[\^$*+?.()[\]%-]/;
