/**
 * Which modules a host loads: Prosody's get_modules_for_host (core/modulemanager.lua).
 *   global = global.modules_enabled - global.modules_disabled
 *   (components keep only the component-inheritable ones)
 *   host   = global + host.modules_enabled - host.modules_disabled
 * A host value that is the very global table (e.g. `modules_enabled = modules_enabled`) is
 * ignored, as in Prosody; convert.ts keeps that identity.
 */
import type { ConfigValue, ParsedConfig } from './types.js';

// COMPAT: no autoload list (posix, presence, c2s, s2s, ...): Canto has no such modules.
const COMPONENT_INHERITABLE = new Set(['tls', 'saslauth', 'dialback', 'iq', 's2s', 's2s_bidi', 'smacks', 'server_contact_info']);

export interface HostModules {
  /** In load order: the component module first, then first-seen order, no duplicates. */
  enabled: string[];
  /** global ∪ host modules_disabled (module:depends refuses these). */
  disabled: Set<string>;
}

/** The string items of a Lua list, as Prosody's set.new(list) sees them via ipairs. */
function moduleNames(v: ConfigValue | undefined): string[] {
  if (v === undefined) return [];
  let items: ConfigValue[] = [];
  if (Array.isArray(v)) items = v;
  else if (typeof v === 'object' && !('luaFunction' in v && v.luaFunction === true)) {
    for (let i = 1; String(i) in v; i++) items.push((v as Record<string, ConfigValue>)[String(i)]!);
  }
  return items.filter((x): x is string => typeof x === 'string');
}

export function hostModules(config: ParsedConfig, host: string): HostModules {
  const global = config.sections.get('*')?.options;
  const section = config.sections.get(host);
  const globalEnabled = global?.get('modules_enabled');
  const globalDisabled = global?.get('modules_disabled');
  let hostEnabled = section?.options.get('modules_enabled');
  let hostDisabled = section?.options.get('modules_disabled');
  if (hostEnabled === globalEnabled) hostEnabled = undefined;
  if (hostDisabled === globalDisabled) hostDisabled = undefined;

  const gOff = new Set(moduleNames(globalDisabled));
  const hOff = new Set(moduleNames(hostDisabled));
  const component = section?.kind === 'component' ? section.componentModule : undefined;

  let globalModules = moduleNames(globalEnabled).filter((m) => !gOff.has(m));
  if (component !== undefined) globalModules = globalModules.filter((m) => COMPONENT_INHERITABLE.has(m));

  const modules = new Set<string>();
  for (const m of [...globalModules, ...moduleNames(hostEnabled)]) if (!hOff.has(m)) modules.add(m);
  if (modules.has('vcard') && modules.has('vcard_legacy')) modules.delete('vcard');

  const enabled = component !== undefined ? [component, ...[...modules].filter((m) => m !== component)] : [...modules];
  return { enabled, disabled: new Set([...gOff, ...hOff]) };
}
