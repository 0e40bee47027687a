/**
 * A small file system of its own for disk-full tests: a tmpfs of `size` mounted on a fresh
 * test folder and unmounted at teardown. Needs root (tests and CI run as root).
 */
import { execFileSync } from 'node:child_process';
import type { Test } from 'tap';

export function smallDisk(t: Test, size = '1m'): string {
  const dir = t.testdir();
  execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0750`, 'tmpfs', dir]);
  t.teardown(() => execFileSync('umount', ['-l', dir]));
  return dir;
}
