/**
 * `ctl check [config]`: builds everything the server builds (runtime/build.ts: HTTP settings,
 * certificates, storage drivers, every enabled module's options, then loads the modules) without
 * binding a port or writing data, and reports every problem with file:line:column. Exit 1 when
 * there is an error, 0 when there are only warnings.
 */
import { buildFromFile, loadModules, refuses, where, type Problem } from '../runtime/build.js';
import type { Clock } from '../runtime/clock.js';
import { HttpServer } from '../runtime/http/server.js';
import { currentLogSinks, getLogger, withLogSinks } from '../runtime/log.js';
import type { CtlIo } from './run.js';

export async function checkCommand(args: string[], file: string, io: CtlIo, clock?: Clock): Promise<number> {
  if (args.length > 1 || (args.length === 1 && args[0] !== 'config')) io.usage(`unknown check '${args.join(' ')}'`, 'Usage: ctl check [config]\n');
  const { build, problems } = await buildFromFile(file, { processType: 'server', writeCertificates: false, ...(clock ? { clock } : {}) });
  if (!build) {
    io.err(`Error: ${where(problems[0]?.position)}${problems[0]?.message ?? 'cannot read the config'}`);
    return 1;
  }
  io.out(`Checking config ${build.runtime.config.file}...`);
  // Modules are loaded only when the config itself is sound, as the server would.
  if (!refuses(problems)) {
    build.runtime.http = new HttpServer(build.http, getLogger('http'), build.runtime.router); // never listens
    // A module that fails to load is logged by the loader; here it is one error line among the others.
    const sinks = currentLogSinks().map((s) => ({ min: s.min, write: (...args: Parameters<typeof s.write>) => void (args[1] !== 'error' && s.write(...args)) }));
    const report = await withLogSinks(sinks, () => loadModules(build.runtime, false));
    // A module whose options were already reported is not reported twice.
    const told = new Set(problems.flatMap((p) => (p.module ? [`${p.module.host}/${p.module.name}`] : [])));
    for (const f of report.failed) if (!told.has(`${f.host}/${f.module}`)) problems.push({ level: 'error', message: f.cause });
    await build.runtime.unloadAll();
  }
  await build.runtime.storage.close();
  for (const p of problems) io.out(`${where(p.position)}${p.level}: ${p.message}`);
  const errors = problems.filter((p: Problem) => p.level === 'error').length;
  io.out(`Done: ${errors} error${errors === 1 ? '' : 's'}, ${problems.length - errors} warning${problems.length - errors === 1 ? '' : 's'}.`);
  return errors ? 1 : 0;
}
