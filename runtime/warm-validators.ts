/**
 * Compiled option validators are cached in the install (dist/schema-cache/, see options.ts),
 * which belongs to whoever installed Canto, usually root. A server or ctl that becomes
 * `prosody` cannot write there, and would compile every validator on every start; so while
 * still root they compile those of the built-in modules a config enables (trusted code that
 * ships with the install; plugins are only imported as the service user).
 */
import { hostModules } from './config/index.js';
import type { ParsedConfig } from './config/types.js';
import { BUILTIN_MODULES, ModuleFinder } from './module-finder.js';
import { validateOptions } from './options.js';

export async function warmBuiltinValidators(config: ParsedConfig): Promise<void> {
  const finder = new ModuleFinder([], BUILTIN_MODULES);
  const names = new Set<string>();
  for (const section of config.sections.values()) if (section.kind !== 'global') for (const m of hostModules(config, section.name).enabled) names.add(m);
  for (const name of names) {
    if (!finder.find(name)) continue;
    try {
      const definition = await finder.definition(name);
      if (definition.options) await validateOptions(definition.options, () => undefined, () => undefined);
    } catch {
      // Reported, with its position, where the module is loaded.
    }
  }
}
