/**
 * `ctl status` and `ctl reload`: ask the running server through its control socket in the
 * data folder (runtime/control.ts), as prosodyctl asks Prosody through its pidfile.
 */
import type { ParsedConfig } from '../runtime/config/types.js';
import { controlRequest } from '../runtime/control.js';
import { errorText } from '../runtime/errors.js';
import type { ReloadResult, Status } from '../runtime/live.js';
import { dataPathOf } from '../runtime/runtime.js';
import type { CtlIo } from './run.js';

const where = (p?: { file: string; line: number; column: number }) => (p ? `${p.file}:${p.line}:${p.column}: ` : '');

function duration(seconds: number): string {
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${d} day${d === 1 ? '' : 's'}, ${h} hour${h === 1 ? '' : 's'}, ${m} minute${m === 1 ? '' : 's'} and ${s} second${s === 1 ? '' : 's'}`;
}

function printStatus(s: Status, out: (line: string) => void): void {
  out(`Canto is running with PID ${s.pid}`);
  out(`Version: ${s.version}`);
  out(`Uptime: ${duration(s.uptime)} (since ${new Date(s.startedAt).toISOString()})`);
  out(`Config: ${s.config}`);
  for (const l of s.listeners) out(`Listening: ${l.scheme} on ${l.address.includes(':') ? `[${l.address}]` : l.address}:${l.port}`);
  let loaded = 0;
  let failed = 0;
  for (const h of s.hosts) {
    out(`Host ${h.name}:`);
    if (!h.modules.length) out('  (no modules)');
    for (const m of h.modules) {
      if (m.status === 'loaded') loaded++;
      else failed++;
      out(`  mod_${m.name}: ${m.status}${m.cause ? ` (${m.cause})` : ''}`);
    }
  }
  out(`Modules: ${loaded} loaded, ${failed} failed`);
}

export async function serverCommand(command: 'status' | 'reload', args: string[], config: ParsedConfig, io: CtlIo): Promise<number> {
  if (args.includes('--help') || args.includes('-h')) {
    io.out(command === 'status' ? 'Usage: ctl status\n\nReports the running status of Canto' : "Usage: ctl reload\n\nReload Canto's configuration and re-open log files");
    return 0;
  }
  if (args.length) io.usage(`unexpected argument '${args[0]}'`, `Usage: ctl ${command}\n`);
  const dataPath = dataPathOf(config);
  let answer: unknown;
  try {
    answer = await controlRequest(dataPath, { command });
  } catch (e) {
    io.err(`Error: cannot reach the server's control socket in ${dataPath}: ${errorText(e)}`);
    return 1;
  }
  if (answer === null) {
    io.out('Canto is not running');
    return command === 'status' ? 2 : 1;
  }
  if (typeof answer === 'object' && answer !== null && 'error' in answer) {
    io.err(`Error: ${String((answer as { error: unknown }).error)}`);
    return 1;
  }
  if (command === 'status') {
    printStatus(answer as Status, io.out);
    return 0;
  }
  const result = answer as ReloadResult;
  for (const p of result.problems) io.err(`${where(p.position)}${p.level}: ${p.message}`);
  if (!result.ok) {
    io.err('Error: the config has errors; the server keeps running with the config it had');
    return 1;
  }
  for (const name of result.restartNeeded) io.err(`warning: option '${name}' changed; it takes effect when Canto restarts`);
  io.out('Canto log files re-opened and config file reloaded.');
  for (const f of result.failed ?? []) io.err(`error: ${f.cause}`);
  return result.failed?.length ? 1 : 0;
}
