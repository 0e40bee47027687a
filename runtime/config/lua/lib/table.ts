/** The `table` library (insert, remove, concat, unpack, pack, sort). */
import type { Interpreter } from '../interpreter.js';
import { LuaError, LuaTable, isNumber, luaType, num, numberToString, truthy, type LuaValue } from '../value.js';
import { argError, checkInteger, checkTable, library, optInteger, optString } from './args.js';

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
