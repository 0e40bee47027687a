/** Argument checks for native functions, with Lua's "bad argument" messages. */
import { LuaError, LuaFunction, LuaTable, isNumber, luaType, num, numberToString, parseNumber, type LuaValue } from '../value.js';

function typeName(args: LuaValue[], i: number): string {
  return i >= args.length ? 'no value' : luaType(args[i]);
}

export function argError(i: number, fname: string, message: string): LuaError {
  return new LuaError(`bad argument #${i + 1} to '${fname}' (${message})`);
}

export function checkTable(args: LuaValue[], i: number, fname: string): LuaTable {
  const v = args[i];
  if (!(v instanceof LuaTable)) throw argError(i, fname, `table expected, got ${typeName(args, i)}`);
  return v;
}

export function checkFunction(args: LuaValue[], i: number, fname: string): LuaFunction {
  const v = args[i];
  if (!(v instanceof LuaFunction)) throw argError(i, fname, `function expected, got ${typeName(args, i)}`);
  return v;
}

export function checkAny(args: LuaValue[], i: number, fname: string): LuaValue {
  if (i >= args.length) throw argError(i, fname, 'value expected');
  return args[i];
}

export function checkNumber(args: LuaValue[], i: number, fname: string): number {
  const v = args[i];
  const n = typeof v === 'string' ? parseNumber(v) : isNumber(v) ? v : undefined;
  if (n === undefined) throw argError(i, fname, `number expected, got ${typeName(args, i)}`);
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
  throw argError(i, fname, `string expected, got ${typeName(args, i)}`);
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
