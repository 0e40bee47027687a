/**
 * ctl started as root becomes the owner of the data before it touches anything, as prosodyctl
 * becomes prosody_user: every file it writes then belongs to whoever the server runs as. Data
 * that does not exist yet is made for prosody_user (default `prosody`), as the server would.
 */
import { statSync } from 'node:fs';
import type { ParsedConfig } from '../runtime/config/types.js';
import { dropTo, isRoot, prepareDataFolder, PrivilegeError, runAsRoot, serverIdentity, userName, type Identity } from '../runtime/privileges.js';
import { dataPathOf } from '../runtime/runtime.js';

/**
 * The identity switched to, null when none was needed. Throws PrivilegeError saying why it
 * cannot. `prepare: false` (check, status, reload) makes no data folder that is missing.
 */
export function becomeDataOwner(config: ParsedConfig, prepare = true): Identity | null {
  const option = (name: string) => config.sections.get('*')?.options.get(name);
  if (!isRoot() || runAsRoot(option)) return null;
  const dataPath = dataPathOf(config);
  let who: Identity;
  try {
    const st = statSync(dataPath);
    if (st.uid === 0) return null; // root's data stays root's
    const user = userName(st.uid);
    who = { user, group: String(st.gid), uid: st.uid, gid: st.gid };
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    who = serverIdentity(option);
    if (who.uid !== 0 && prepare) prepareDataFolder(dataPath, who);
  }
  if (who.uid === 0) return null;
  dropTo(who);
  return who;
}

export { PrivilegeError };
