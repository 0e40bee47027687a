/**
 * ctl start-up: wall time, spawn to exit, of `node -e 0` (the floor), the ctl entry point, and
 * `npx ctl` (which adds npm's own start-up). Runs are interleaved so that a noisy moment on the
 * machine hits every command alike.
 */
import { CTL_BIN, ROOT, type Instance } from './canto.js';
import { childEnv, run } from './processes.js';
import { median } from './stats.js';
import { HOST } from './store.js';

export interface CtlTimings {
  nodeFloor: number;
  ctlDirect: number;
  npxCtl: number;
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

export async function ctlTimings(instance: Instance, runs: number): Promise<CtlTimings> {
  const list = ['mod_invites_api', 'list', HOST];
  const cases: Case[] = [
    { name: 'nodeFloor', command: process.execPath, args: ['-e', '0'], cwd: instance.dir, runs },
    { name: 'ctlDirect', command: process.execPath, args: [CTL_BIN, '--config', instance.config, ...list], cwd: instance.dir, runs },
    // npx finds `ctl` in this package's own "bin", so it must run from the package folder; the config comes from the environment.
    { name: 'npxCtl', command: 'npx', args: ['ctl', ...list], cwd: ROOT, env: childEnv({ PROSODY_CONFIG: instance.config }), runs },
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
