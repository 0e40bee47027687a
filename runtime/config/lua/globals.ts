/**
 * The Lua standard globals a config sees (`_G`): base functions, string, table, math and a
 * restricted os. COMPAT: no io, require, load, dofile or debug; Prosody configs do not need them
 * and they would let a config file reach outside itself.
 */
import type { Interpreter } from './interpreter.js';
import { baseFunctions } from './lib/base.js';
import { library } from './lib/args.js';
import { mathLibrary } from './lib/math.js';
import { osLibrary } from './lib/os.js';
import { stringLibrary } from './lib/string.js';
import { tableLibrary } from './lib/table.js';
import { LuaTable } from './value.js';

export interface GlobalsOptions {
  env: NodeJS.ProcessEnv;
  /** Where print() writes; Prosody's config print goes to the console, ours to stderr. */
  print: (line: string) => void;
}

export function createGlobals(interp: Interpreter, options: GlobalsOptions): LuaTable {
  const G = library(baseFunctions(interp, options.print));
  const string = stringLibrary(interp);
  interp.stringLib = string;
  const stringMeta = new LuaTable();
  stringMeta.set('__index', string);
  interp.stringMeta = stringMeta;
  G.set('string', string);
  G.set('table', tableLibrary(interp));
  G.set('math', mathLibrary());
  G.set('os', osLibrary(options.env));
  G.set('_G', G);
  G.set('_VERSION', 'Lua 5.4');
  return G;
}
