/** Lua's basic functions (print, pairs, pcall, error, tostring, ...) as a config needs them. */
import type { Interpreter } from '../interpreter.js';
import { LuaError, LuaFunction, LuaTable, isNumber, luaType, num, parseNumber, truthy, type LuaValue } from '../value.js';
import { argError, checkAny, checkInteger, checkString, checkTable } from './args.js';

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
      if (a[1] === undefined) throw new LuaError('index is nil');
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
      const luaValue = text !== undefined && pos ? `${pos.file}:${pos.line}: ${text}` : value;
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
