/** Which config file to read, in Prosody's order (plus the example file for a fresh checkout). */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

/**
 * `--config PATH`, else `$PROSODY_CONFIG`, else `./prosody.cfg.lua` if it exists, else
 * `./prosody.cfg.example`. Relative paths are taken from `cwd`; the result is absolute.
 */
export function resolveConfigPath(explicit: string | undefined, env: NodeJS.ProcessEnv, cwd: string): string {
  if (explicit) return resolve(cwd, explicit);
  const fromEnv = env.PROSODY_CONFIG;
  if (fromEnv) return resolve(cwd, fromEnv);
  const local = resolve(cwd, 'prosody.cfg.lua');
  // COMPAT: Prosody's default is CFG_CONFIGDIR (/etc/prosody); Canto runs from its own folder.
  return existsSync(local) ? local : resolve(cwd, 'prosody.cfg.example');
}
