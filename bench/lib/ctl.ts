/**
 * ctl start-up: wall time, spawn to exit, of `node -e 0` (the floor), the ctl entry point,
 * `npx ctl` (which adds npm's own start-up) and `npx noop` (npx running a trivial installed bin,
 * the floor of any npx). Runs are interleaved so that a noisy moment on the machine hits every
 * command alike, and each ratio compares figures taken in the same moments.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CTL_BIN, ROOT, type Instance } from './canto.js';
import { childEnv, run } from './processes.js';
import { median } from './stats.js';
import { HOST } from './store.js';

export interface CtlTimings {
  nodeFloor: number;
  ctlDirect: number;
  npxCtl: number;
  npxNoop: number;
  npmFloor: number;
  tsxCtl: number;
}

interface Case {
  name: keyof CtlTimings;
  command: string;
  args: string[];
  cwd: string;
  env?: NodeJS.ProcessEnv;
  runs: number;
  /** Informational only: a failure gives NaN instead of ending the run. */
  optional?: boolean;
}

/** A package whose node_modules/.bin holds `noop`, a script that does nothing. */
function noopPackage(): string {
  const dir = mkdtempSync(join(tmpdir(), 'canto-bench-npx-'));
  mkdirSync(join(dir, 'node_modules', '.bin'), { recursive: true });
  mkdirSync(join(dir, 'node_modules', 'noop'));
  writeFileSync(join(dir, 'package.json'), '{"name":"npx-floor","private":true}\n');
  writeFileSync(join(dir, 'node_modules', 'noop', 'package.json'), '{"name":"noop","version":"1.0.0","bin":{"noop":"noop.js"}}\n');
  writeFileSync(join(dir, 'node_modules', 'noop', 'noop.js'), '#!/usr/bin/env node\n', { mode: 0o755 });
  symlinkSync('../noop/noop.js', join(dir, 'node_modules', '.bin', 'noop'));
  return dir;
}

export async function ctlTimings(instance: Instance, runs: number): Promise<CtlTimings> {
  const noop = noopPackage();
  try {
    return await timings(instance, runs, noop);
  } finally {
    rmSync(noop, { recursive: true, force: true });
  }
}

async function timings(instance: Instance, runs: number, noop: string): Promise<CtlTimings> {
  const list = ['mod_invites_api', 'list', HOST];
  const cases: Case[] = [
    { name: 'nodeFloor', command: process.execPath, args: ['-e', '0'], cwd: instance.dir, runs },
    { name: 'ctlDirect', command: process.execPath, args: [CTL_BIN, '--config', instance.config, ...list], cwd: instance.dir, runs },
    // npx finds `ctl` in this package's own "bin", so it must run from the package folder; the config comes from the environment.
    { name: 'npxCtl', command: 'npx', args: ['ctl', ...list], cwd: ROOT, env: childEnv({ PROSODY_CONFIG: instance.config }), runs },
    { name: 'npxNoop', command: 'npx', args: ['noop'], cwd: noop, runs },
    { name: 'npmFloor', command: 'npm', args: ['--version'], cwd: ROOT, runs },
    // What shipping the TypeScript and compiling it with tsx on every call would cost.
    { name: 'tsxCtl', command: process.execPath, args: ['--import', 'tsx', 'ctl/main.ts', '--config', instance.config, ...list], cwd: ROOT, runs: Math.min(runs, 5), optional: true },
  ];
  const times = new Map<keyof CtlTimings, number[]>(cases.map((c) => [c.name, []]));
  for (let i = -1; i < runs; i++) {
    for (const c of cases) {
      if (i >= c.runs) continue;
      const result = await run(c.command, c.args, { cwd: c.cwd, ...(c.env ? { env: c.env } : {}) });
      if (result.code !== 0 && c.optional) {
        times.get(c.name)!.push(NaN);
        continue;
      }
      if (result.code !== 0) throw new Error(`${c.command} ${c.args.join(' ')} exited ${result.code}:\n${result.stdout}${result.stderr}`);
      if (i >= 0) times.get(c.name)!.push(result.ms); // run -1 warms the disk cache and npx's install
    }
  }
  return Object.fromEntries([...times].map(([name, ms]) => [name, median(ms)])) as unknown as CtlTimings;
}
