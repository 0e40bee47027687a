/**
 * `ctl check [config]`: reads the config as the server would and reports every problem with
 * file:line:column. Exit 1 when there is an error, 0 when there are only warnings.
 */
import type { SourcePosition } from '../runtime/errors.js';
import { errorText, isCantoError } from '../runtime/errors.js';
import { validateOptions } from '../runtime/options.js';
import type { Runtime } from '../runtime/runtime.js';
import type { CtlIo } from './run.js';

interface Problem {
  level: 'error' | 'warning';
  message: string;
  position?: SourcePosition | undefined;
}

const where = (p?: SourcePosition) => (p ? `${p.file}:${p.line}:${p.column}: ` : '');

export async function checkCommand(args: string[], load: () => Runtime, io: CtlIo): Promise<number> {
  if (args.length > 1 || (args.length === 1 && args[0] !== 'config')) io.usage(`unknown check '${args.join(' ')}'`, 'Usage: ctl check [config]\n');
  const problems: Problem[] = [];
  const runtime = load(); // a config that cannot be read is reported by load(), exit 1
  io.out(`Checking config ${runtime.config.file}...`);
  for (const d of runtime.config.diagnostics) problems.push({ level: d.level === 'error' ? 'error' : 'warning', message: d.message, position: d.position });

  const available = new Set(runtime.finder.available());
  const reported = new Set<string>();
  const hosts = runtime.hostNames();
  if (!hosts.length) problems.push({ level: 'warning', message: 'No VirtualHost is defined, so no module will be loaded' });
  for (const name of hosts) {
    const host = runtime.host(name)!;
    for (const mod of host.enabled) {
      if (!available.has(mod)) {
        if (reported.has(mod)) continue;
        reported.add(mod);
        problems.push({
          level: 'warning',
          message: `Module '${mod}' is not available in Canto (XMPP-only or unknown); it will be ignored`,
          position: runtime.optionPosition(name, 'modules_enabled'),
        });
        continue;
      }
      try {
        const definition = await runtime.finder.definition(mod);
        if (!definition.options) continue;
        const checked = await validateOptions(definition.options, (o) => host.option(o), (o) => runtime.optionPosition(name, o));
        for (const p of checked.problems) problems.push({ level: 'error', message: `${name}: mod_${mod}: ${p.message}`, position: p.position });
      } catch (e) {
        problems.push({ level: 'error', message: `${name}: ${errorText(e)}`, position: isCantoError(e) ? e.position : undefined });
      }
    }
  }
  try {
    await runtime.startStorage(hosts);
  } catch (e) {
    problems.push({ level: 'error', message: e instanceof Error ? e.message : String(e), position: isCantoError(e) ? e.position : undefined });
  } finally {
    await runtime.storage.close();
  }
  for (const p of problems) io.out(`${where(p.position)}${p.level}: ${p.message}`);
  const errors = problems.filter((p) => p.level === 'error').length;
  io.out(`Done: ${errors} error${errors === 1 ? '' : 's'}, ${problems.length - errors} warning${problems.length - errors === 1 ? '' : 's'}.`);
  return errors ? 1 : 0;
}
