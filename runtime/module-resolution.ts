/**
 * Makes `canto/module-api` (and every other `canto/...` entry in package.json `exports`)
 * resolve to the running Canto for every module, wherever its folder is: a plugin in
 * `plugin_paths` has no `node_modules/canto` of its own, and even one that has must share the
 * host's single instance of the API (one `UsageError` class, one `KEEP` symbol).
 *
 * A Node module-resolution hook (node:module `register`) resolves those specifiers as if they
 * were imported from Canto's own package.json. It runs in Node's loader thread, so it is
 * registered only when a module that needs it is about to load: compiled built-in modules
 * find `canto/module-api` by package self-reference already, and ctl start-up stays lean.
 */
import { register } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ResolutionData } from './module-resolution-hooks.js';
import { PROJECT_ROOT, RUNNING_COMPILED } from './project.js';

let registered = false;

/** Install the hook once per process. Idempotent; cheap after the first call. */
export function resolveCantoForModules(): void {
  if (registered) return;
  registered = true;
  const hooks = RUNNING_COMPILED
    ? join(PROJECT_ROOT, 'dist', 'bundle', 'runtime', 'module-resolution-hooks.js')
    : join(PROJECT_ROOT, 'runtime', 'module-resolution-hooks.ts');
  const data: ResolutionData = {
    packageJsonUrl: pathToFileURL(join(PROJECT_ROOT, 'package.json')).href,
    // From the TypeScript sources (tests, tsx), `canto/module-api` is runtime/module-api.ts,
    // the same file the host itself runs, not the build in dist/.
    conditions: RUNNING_COMPILED ? [] : ['canto-source'],
  };
  register(pathToFileURL(hooks).href, { data });
}
