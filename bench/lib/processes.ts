/**
 * Child processes of a bench run. Every process started here is remembered and killed when the
 * run ends, however it ends (normal exit, an exception, Ctrl-C), so a failed run never leaves a
 * server holding a port or a CPU.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { readFileSync } from 'node:fs';

const live = new Set<ChildProcess>();

function killAll(): void {
  for (const child of live) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

process.on('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
  process.on(signal, () => {
    killAll();
    process.exit(130);
  });
}

/** An environment for children: the bench's own loader hooks and config must not leak in. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_OPTIONS;
  if (!('PROSODY_CONFIG' in extra)) delete env.PROSODY_CONFIG;
  return env;
}

export interface Running {
  child: ChildProcess;
  stderr(): string;
  /** Resolves with the first match of `pattern` in stderr; rejects if the process exits first. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  stop(): Promise<void>;
}

/** Start a long-running process (a server) with stderr captured. */
export function start(command: string, args: string[], options: SpawnOptions = {}): Running {
  const child = spawn(command, args, { env: childEnv(), ...options, stdio: ['ignore', 'ignore', 'pipe'] });
  live.add(child);
  let err = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  void exited.then(() => live.delete(child));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  return {
    child,
    stderr: () => err,
    waitFor(pattern, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = err.match(pattern);
          if (!m) return false;
          done();
          resolve(m);
          return true;
        };
        const onExit = () => {
          done();
          reject(new Error(`${command} ${args.join(' ')} exited before printing ${pattern}:\n${err}`));
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`${command} ${args.join(' ')} did not print ${pattern} within ${timeoutMs} ms:\n${err}`));
        }, timeoutMs);
        const done = () => {
          clearTimeout(timer);
          child.stderr!.off('data', check);
          child.off('exit', onExit);
        };
        if (check()) return;
        child.stderr!.on('data', check);
        child.once('exit', onExit);
      });
    },
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

export interface Finished {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in milliseconds. */
  ms: number;
}

/** Run a command to completion and time it, spawn to exit. */
export function run(command: string, args: string[], options: SpawnOptions = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const began = process.hrtime.bigint();
    const child = spawn(command, args, { env: childEnv(), ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      live.delete(child);
      resolve({ code, stdout, stderr, ms: Number(process.hrtime.bigint() - began) / 1e6 });
    });
  });
}

/** Resident and peak memory of a running process, in MB, from /proc (Linux). */
export function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}

/** CPU time a process has used so far (all its threads, user and system), in ms, from /proc (Linux). */
export function cpuMsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / CLOCK_TICKS;
}
const CLOCK_TICKS = 100; // USER_HZ: 100 on every Linux architecture node runs on
