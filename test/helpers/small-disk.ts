/**
 * A small file system of its own for disk-full tests: a tmpfs of `size` mounted on a fresh
 * test folder and unmounted at teardown. Needs root (tests and CI run as root).
 */
import { execFileSync } from 'node:child_process';
import { chownSync } from 'node:fs';
import type { Test } from 'tap';
import { SERVICE_USER } from './canto.js';

export function smallDisk(t: Test, size = '1m'): string {
  const dir = t.testdir();
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0750`, 'tmpfs', dir]);
  t.teardown(() => execFileSync('umount', ['-l', dir]));
  // Run as root, server and ctl work as the service user: the folder is theirs, as /var/lib/prosody.
  if (SERVICE_USER) chownSync(dir, SERVICE_USER.uid, SERVICE_USER.gid);
  return dir;
}
