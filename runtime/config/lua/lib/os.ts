/** The part of `os` a config may use: getenv, time, clock. No file or process access. */
import { LuaError, LuaTable, fromBytes, makeFloat, toBytes } from '../value.js';
import { checkString, checkTable, library } from './args.js';

export function osLibrary(env: NodeJS.ProcessEnv): LuaTable {
  return library({
    getenv: (a) => {
      const v = env[fromBytes(checkString(a, 0, 'getenv'))];
      return [v === undefined ? undefined : toBytes(v)];
    },
    time: (a) => {
      if (a[0] === undefined) return [Math.floor(Date.now() / 1000)];
      const t = checkTable(a, 0, 'time');
      const field = (k: string, dflt?: number): number => {
        const v = t.get(k);
        if (v === undefined) {
          if (dflt === undefined) throw new LuaError(`field '${k}' missing in date table`);
          return dflt;
        }
        if (typeof v !== 'number') throw new LuaError(`field '${k}' is not an integer`);
        return v;
      };
      const d = new Date(field('year'), field('month') - 1, field('day'), field('hour', 12), field('min', 0), field('sec', 0));
      return [Math.floor(d.getTime() / 1000)];
    },
    clock: () => [makeFloat(process.cpuUsage().user / 1e6)],
  });
}
