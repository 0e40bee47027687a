/**
 * The resolve hook behind runtime/module-resolution.ts, loaded into Node's loader thread.
 * - `canto` and `canto/<entry>` are resolved from Canto's package.json (package
 *   self-reference through its `exports`), whoever imports them.
 * - TypeScript inside a `mod_<name>/` folder is an ES module (a module's entry exports
 *   `default`), also where no package.json says `"type": "module"`: tsx alone would compile a
 *   plugin in a bare folder as CommonJS.
 * Everything else passes through unchanged.
 */
import type { InitializeHook, ResolveHook } from 'node:module';

export interface ResolutionData {
  /** file: URL of Canto's package.json. */
  packageJsonUrl: string;
  /** Export conditions to add (`canto-source` when running from the TypeScript sources). */
  conditions: string[];
}

let settings: ResolutionData | undefined;

export const initialize: InitializeHook<ResolutionData> = (data) => {
  settings = data;
};

const MODULE_FOLDER_TS = /\/mod_[A-Za-z0-9_]+\/(?:(?!node_modules\/)[^?#]*)\.ts(?:[?#]|$)/;

export const resolve: ResolveHook = async (specifier, context, nextResolve) => {
  const fromCanto =
    settings && (specifier === 'canto' || specifier.startsWith('canto/'))
      ? { ...context, parentURL: settings.packageJsonUrl, conditions: [...new Set([...settings.conditions, ...context.conditions])] }
      : context;
  const resolved = await nextResolve(specifier, fromCanto);
  if (resolved.url.startsWith('file:') && MODULE_FOLDER_TS.test(resolved.url)) return { ...resolved, format: 'module' };
  return resolved;
};
