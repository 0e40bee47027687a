/**
 * Who a Canto process runs as, the way Prosody decides it (util/startup.lua `switch_user`,
 * mod_posix): started as root, the server works as `prosody_user` / `prosody_group` (default
 * `prosody`) and refuses to stay root unless `run_as_root = true`; ctl started as root becomes
 * the owner of the data before it touches anything. Nothing here runs unless the process is root.
 */
import { chownSync, mkdirSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { dirname } from 'node:path';
import { errorText } from './errors.js';

/** A user and group to work as, resolved to numbers. */
export interface Identity {
  user: string;
  group: string;
  uid: number;
  gid: number;
}

export class PrivilegeError extends Error {
  /** Prosody's wording first, then what to do about it. */
  readonly lines: string[];
  constructor(lines: string[]) {
    super(lines.join('\n'));
    this.name = 'PrivilegeError';
    this.lines = lines;
  }
}

type Option = (name: string) => unknown;

export const isRoot = (): boolean => typeof process.getuid === 'function' && process.getuid() === 0;

/** Whether the config (or `--root`) lets this process stay root, as Prosody's run_as_root. */
export const runAsRoot = (option: Option): boolean => option('run_as_root') === true;

/**
 * Numbers for a user and group name (or number), through the system's own lookup: set the
 * effective ids for a moment and read them back. Only root can do this. Throws PrivilegeError.
 */
export function resolveIdentity(user: string, group: string | undefined): Identity {
  const euid = process.geteuid!();
  const egid = process.getegid!();
  let uid: number;
  let gid: number;
  let groupName: string;
  try {
    process.seteuid!(user);
    uid = process.geteuid!();
    process.seteuid!(euid);
  } catch (err) {
    throw new PrivilegeError([`Couldn't switch to user/group '${user}'/'${group ?? user}': ${credentialText(err, 'user')}`]);
  }
  // Prosody's default group is the one named like the user; a user without one keeps its primary group.
  const candidates = group !== undefined ? [group] : [user, undefined];
  let lastError: unknown;
  for (const g of candidates) {
    try {
      if (g === undefined) {
        gid = primaryGid(uid);
        groupName = String(gid);
      } else {
        process.setegid!(g);
        gid = process.getegid!();
        process.setegid!(egid);
        groupName = g;
      }
      return { user, group: groupName, uid, gid };
    } catch (err) {
      lastError = err;
    }
  }
  throw new PrivilegeError([`Couldn't switch to user/group '${user}'/'${group ?? user}': ${credentialText(lastError, 'group')}`]);
}

function credentialText(err: unknown, what: 'user' | 'group'): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ERR_UNKNOWN_CREDENTIAL' ? `no such ${what}` : errorText(err);
}

/** The primary group of a uid: os.userInfo reads the passwd entry of the effective user. */
function primaryGid(uid: number): number {
  const euid = process.geteuid!();
  process.seteuid!(uid);
  try {
    return userInfo().gid;
  } finally {
    process.seteuid!(euid);
  }
}

/** The user the server works as when started as root: prosody_user, else `prosody`. */
export function serverIdentity(option: Option): Identity {
  const user = optionName(option('prosody_user')) ?? 'prosody';
  const group = optionName(option('prosody_group'));
  return resolveIdentity(user, group);
}

function optionName(value: unknown): string | undefined {
  if (typeof value === 'number') return String(value);
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Make sure the data folder exists and belongs to `who` (creating it, 0750, if it is missing).
 * A folder that belongs to someone else is refused: writing into it as `who` would fail, and
 * writing as root would leave root's files in it.
 */
export function prepareDataFolder(dataPath: string, who: Identity): void {
  let owner: number;
  try {
    owner = statSync(dataPath).uid;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    mkdirSync(dirname(dataPath), { recursive: true, mode: 0o755 });
    mkdirSync(dataPath, { mode: 0o750 });
    chownSync(dataPath, who.uid, who.gid);
    return;
  }
  if (owner !== who.uid) {
    throw new PrivilegeError([
      `The data folder ${dataPath} belongs to ${userName(owner)}, not to '${who.user}', the user Canto runs as`,
      `Give it to that user (chown -R ${who.user}:${who.group} ${dataPath}) or set prosody_user = "${userName(owner)}"`,
    ]);
  }
}

/** A user name for a uid when there is one, else the number. */
export function userName(uid: number): string {
  const euid = process.geteuid!();
  try {
    process.seteuid!(uid);
    return userInfo().username;
  } catch {
    return String(uid);
  } finally {
    process.seteuid!(euid);
  }
}

/** Run `fn` with the effective ids of `who`; root again afterwards (to bind ports, then drop). */
export async function asUser<T>(who: Identity, fn: () => Promise<T>): Promise<T> {
  process.setegid!(who.gid);
  process.seteuid!(who.uid);
  try {
    return await fn();
  } finally {
    process.seteuid!(0);
    process.setegid!(0);
  }
}

/** Become `who` for good: group, supplementary groups, then user. Throws PrivilegeError. */
export function dropTo(who: Identity): void {
  try {
    process.setgid!(who.gid);
    // Node has process.initgroups (the user's supplementary groups); @types/node leaves it out.
    (process as NodeJS.Process & { initgroups(user: string | number, extraGroup: string | number): void }).initgroups(who.uid, who.gid);
    process.setuid!(who.uid);
  } catch (err) {
    throw new PrivilegeError([`Couldn't switch to user/group '${who.user}'/'${who.group}': ${errorText(err)}`]);
  }
  // Prosody's umask: data files 0640, folders 0750, whatever mode a writer asks for.
  process.umask(0o027);
}
