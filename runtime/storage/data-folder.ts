/**
 * A data folder that other users can write to is not ours to trust: anyone could plant an API
 * key there, or a symlink, or move the folder away and put their own in its place. Canto (server
 * and ctl alike) refuses to use one: the folder itself must not be writable by others, nor any
 * folder above it unless that one is sticky (like /tmp, where others cannot rename what is ours).
 * Group write is allowed: sharing the folder with the real Prosody through a group is normal.
 *
 * COMPAT: Prosody does not check; it trusts whatever is in data_path.
 */
import { statSync } from 'node:fs';
import { dirname } from 'node:path';
import { CantoError } from '../errors.js';
import { errnoCode } from './durable-fs.js';

const OTHERS_WRITE = 0o002;
const STICKY = 0o1000;

/** Why `dir` (an existing folder) is unsafe, or null. `top`: the data folder itself, where sticky does not help. */
function unsafeReason(dir: string, top: boolean): string | null {
  let mode: number;
  try {
    mode = statSync(dir).mode;
  } catch (err) {
    if (errnoCode(err) === 'ENOENT') return null; // made 0750 on first write
    throw err;
  }
  if ((mode & OTHERS_WRITE) === 0) return null;
  if (!top && (mode & STICKY) !== 0) return null;
  const octal = (mode & 0o7777).toString(8).padStart(4, '0');
  return top ? `the folder is writable by other users (mode ${octal})` : `${dir} above it is writable by other users (mode ${octal})`;
}

/** Throws ERR_STORAGE_UNSAFE when the data folder, or a folder above it, is writable by others. */
export function checkDataFolder(dataPath: string): void {
  for (let dir = dataPath, top = true; ; top = false) {
    const why = unsafeReason(dir, top);
    if (why !== null) throw new CantoError('ERR_STORAGE_UNSAFE', [`data_path ${dataPath}`, why + '; chmod o-w it']);
    const up = dirname(dir);
    if (up === dir) return;
    dir = up;
  }
}

/** The same check for one folder inside the data folder (a host's or a store's), made before its first use. */
export function checkStoreFolder(dir: string): void {
  const why = unsafeReason(dir, true);
  if (why !== null) throw new CantoError('ERR_STORAGE_UNSAFE', [dir, why + '; chmod o-w it']);
}
