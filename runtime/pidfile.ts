/**
 * Prosody's `pidfile` (mod_posix): the server's PID, written once it runs as its own user and
 * removed when it stops. Relative to data_path, as Prosody's get_option_path("pidfile", nil,
 * "data"). A pidfile naming a live process means another instance runs: refuse, as Prosody does
 * when it cannot lock the file.
 */
import { readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { CantoError, errorText } from './errors.js';

export function pidfilePath(option: unknown, dataPath: string): string | undefined {
  if (typeof option !== 'string' || option === '') return undefined;
  return isAbsolute(option) ? option : resolve(dataPath, option);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Write our PID (atomically); throws ERR_PIDFILE_IN_USE or ERR_PIDFILE_WRITE. */
export function writePidfile(path: string): void {
  let old: number | undefined;
  try {
    old = Number.parseInt(readFileSync(path, 'utf8'), 10);
  } catch {
    // None yet.
  }
  if (old !== undefined && Number.isInteger(old) && old > 0 && old !== process.pid && alive(old)) {
    throw new CantoError('ERR_PIDFILE_IN_USE', [path, old]);
  }
  const scratch = `${path}.${process.pid}~`;
  try {
    writeFileSync(scratch, `${process.pid}\n`, { mode: 0o640 });
    renameSync(scratch, path);
  } catch (err) {
    try {
      unlinkSync(scratch);
    } catch {
      // Never written.
    }
    throw new CantoError('ERR_PIDFILE_WRITE', [path, errorText(err)], { cause: err });
  }
}

/** Remove the pidfile if it is still ours. */
export function removePidfile(path: string): void {
  try {
    if (Number.parseInt(readFileSync(path, 'utf8'), 10) === process.pid) unlinkSync(path);
  } catch {
    // Already gone.
  }
}
