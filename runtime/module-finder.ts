/**
 * Finds `mod_<name>` folders and imports their definitions. Built-in modules live in
 * `modules/` and run from their compiled twin in `dist/modules/`; modules in `plugin_paths`
 * run from `index.js`, or from `index.ts` through tsx, so module authors need no build step.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { CantoError } from './errors.js';
import type { ModuleDefinition } from './module-api.js';
import { resolveCantoForModules } from './module-resolution.js';

import { PROJECT_ROOT, RUNNING_COMPILED } from './project.js';

export const BUILTIN_MODULES = join(PROJECT_ROOT, 'modules');
// Each built-in module is bundled into one file by the build (esbuild), so it loads in one import.
const COMPILED_MODULES = join(PROJECT_ROOT, 'dist', 'bundle', 'modules');

export interface FoundModule {
  name: string;
  /** The module's own (source) folder, for its assets. */
  dir: string;
  /** The file to import. */
  entry: string;
}

export class ModuleFinder {
  readonly #paths: string[];
  readonly #cache = new Map<string, FoundModule | null>();
  readonly #definitions = new Map<string, Promise<ModuleDefinition>>();

  /** `pluginPaths` are searched before the built-in modules, relative to `baseDir`. */
  constructor(pluginPaths: readonly string[], baseDir: string) {
    this.#paths = [...pluginPaths.map((p) => (isAbsolute(p) ? p : resolve(baseDir, p))), BUILTIN_MODULES];
  }

  find(name: string): FoundModule | undefined {
    if (!/^[a-z0-9_]+$/i.test(name)) return undefined;
    let found = this.#cache.get(name);
    if (found === undefined) {
      found = null;
      for (const base of this.#paths) {
        const dir = join(base, `mod_${name}`);
        const entry = this.#entryIn(base, dir);
        if (entry) {
          found = { name, dir, entry };
          break;
        }
      }
      this.#cache.set(name, found);
    }
    return found ?? undefined;
  }

  #entryIn(base: string, dir: string): string | undefined {
    if (!existsSync(dir)) return undefined;
    if (base === BUILTIN_MODULES && RUNNING_COMPILED) {
      const compiled = join(COMPILED_MODULES, dir.slice(BUILTIN_MODULES.length + 1), 'index.js');
      if (existsSync(compiled)) return compiled;
    }
    for (const file of ['index.js', 'index.mjs', 'index.ts']) {
      if (existsSync(join(dir, file))) return join(dir, file);
    }
    return undefined;
  }

  /** Every module name available, for `ctl check` and "not available" warnings. */
  available(): string[] {
    const names = new Set<string>();
    for (const base of this.#paths) {
      if (!existsSync(base)) continue;
      for (const entry of readdirSync(base)) {
        if (entry.startsWith('mod_') && statSync(join(base, entry)).isDirectory() && this.find(entry.slice(4))) names.add(entry.slice(4));
      }
    }
    return [...names].sort();
  }

  /** Import a module's definition once per process. */
  definition(name: string): Promise<ModuleDefinition> {
    let promise = this.#definitions.get(name);
    if (!promise) {
      promise = this.#import(name);
      this.#definitions.set(name, promise);
    }
    return promise;
  }

  async #import(name: string): Promise<ModuleDefinition> {
    const found = this.find(name);
    if (!found) throw new CantoError('ERR_MODULE_NOT_FOUND', [name]);
    // A compiled built-in finds canto/module-api by package self-reference; anything else
    // (a plugin, or the TypeScript sources) needs the resolution hook.
    if (!(RUNNING_COMPILED && found.entry.startsWith(COMPILED_MODULES))) resolveCantoForModules();
    if (found.entry.endsWith('.ts')) await registerTsx();
    const exported = (await import(pathToFileURL(found.entry).href)) as { default?: unknown };
    const definition = exported.default as ModuleDefinition | undefined;
    if (!definition || typeof definition !== 'object' || typeof definition.load !== 'function') {
      throw new CantoError('ERR_MODULE_DEFINITION', [name, 'the default export needs a load(module) function (use defineModule)']);
    }
    return definition;
  }
}

let tsxRegistered: Promise<void> | undefined;
/** TypeScript modules from plugin_paths are compiled on import by tsx, registered on first need. */
function registerTsx(): Promise<void> {
  tsxRegistered ??= import('tsx/esm/api').then(({ register }) => {
    register();
  });
  return tsxRegistered;
}
