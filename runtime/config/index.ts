/**
 * Reading Prosody's config file. The file is Lua; runtime/config/lua/ is our own interpreter
 * for it (exact file:line:column errors, no start-up cost), and config-env.ts gives it
 * Prosody's configmanager semantics.
 */
import type { SourcePosition } from '../errors.js';
import type { ParsedConfig } from './types.js';

export { readConfig, type ReadConfigOptions } from './read-config.js';
export { resolveConfigPath } from './resolve-path.js';
export { prosodyDataDir } from './data-path.js';
export { hostModules, type HostModules } from './host-modules.js';
export type * from './types.js';

/** Where `name` was set in `section` (a host name or `*`), if it was. */
export function optionPosition(config: ParsedConfig, section: string, name: string): SourcePosition | undefined {
  return config.sections.get(section)?.positions.get(name);
}
