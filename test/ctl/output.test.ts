/**
 * ctl's stdout is complete however slowly it is read: a pipe's writes are asynchronous, so ctl
 * must wait for them before it exits. A reader that goes away (EPIPE) is not an error; any
 * other write error is exit 1.
 */
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { CTL_BIN, testConfig } from '../helpers/canto.js';
import { entryText, fileText } from '../../runtime/storage/lua-data.js';

const COUNT = 40_000;
const NOW = 1_800_000_000;

function folderWithInvites(t: { testdir(): string }): string {
  const dir = t.testdir();
  const hostDir = join(dir, 'data', 'example%2ecom');
  mkdirSync(hostDir, { recursive: true, mode: 0o750 });
  writeFileSync(join(dir, 'prosody.cfg.lua'), testConfig(['invites']));
  const items: string[] = [];
  for (let i = 0; i < COUNT; i++) {
    const token = `tok${String(i).padStart(21, '0')}`;
    items.push(entryText(token, { type: 'register', jid: 'example.com', token, allow_registration: true, created_at: NOW, expires: NOW + 86400 }));
  }
  writeFileSync(join(hostDir, 'invite_token.dat'), fileText(items), { mode: 0o640 });
  return dir;
}

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `sh -c SCRIPT` with $CTL set to the ctl command line; stdout and stderr collected. */
function shell(dir: string, script: string, stdout: 'pipe' | number = 'pipe'): Promise<Run> {
  const ctl = `${process.execPath} ${CTL_BIN} --config ${join(dir, 'prosody.cfg.lua')}`;
  return new Promise((resolve, reject) => {
    const child = spawn('sh', ['-c', script], { cwd: dir, env: { ...process.env, CTL: ctl, CANTO_NOW: String(NOW) }, stdio: ['ignore', stdout, 'pipe'] });
    let out = '';
    let err = '';
    child.stdout?.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: out, stderr: err }));
  });
}

// POSIX sh has no PIPESTATUS: ctl's exit code travels to stderr through descriptor 3.
const STATUS = (ctl: string, reader: string) => `{ { ${ctl}; echo "ctl $?" >&3; } | ${reader}; } 3>&2`;

t.test('ctl output through pipes', async (t) => {
  const dir = folderWithInvites(t);

  t.test('40,000 lines through a pipe whose reader starts late are all there, exit 0', async (t) => {
    // The reader sleeps first, so the pipe's 64 KiB buffer is full long before ctl is done:
    // exiting without waiting for the writes would lose the rest.
    const run = await shell(dir, STATUS('$CTL mod_invites list example.com', '(sleep 1; cat)'));
    const lines = run.stdout.split('\n');
    t.equal(lines.length, COUNT + 2, 'every invite, the count line and the final newline');
    t.match(lines[COUNT - 1], /^tok0*39999\tregister\t/);
    t.equal(lines[COUNT], `${COUNT} pending invites`);
    t.equal(run.stderr, 'ctl 0\n');
  });

  t.test('a reader that stops early (EPIPE) is not an error: exit 0, nothing on stderr', async (t) => {
    const run = await shell(dir, STATUS('$CTL mod_invites list example.com', 'head -n 1'));
    t.match(run.stdout, /^tok0+\tregister\t[^\n]*\n$/);
    t.equal(run.stderr, 'ctl 0\n');
  });

  t.test('any other write error is exit 1 with a message', async (t) => {
    const full = openSync('/dev/full', 'w');
    t.teardown(() => closeSync(full));
    const run = await shell(dir, '$CTL mod_invites list example.com', full);
    t.equal(run.code, 1);
    t.equal(run.stderr, 'Error: writing the output: ENOSPC: no space left on device, write\n');
  });
});
