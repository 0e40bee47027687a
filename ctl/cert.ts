/**
 * `ctl cert generate HOST`: a self-signed certificate for HOST in the `certificates` folder
 * (default `certs` beside the config), where the server finds it, as `prosodyctl cert generate`.
 */
import { chmodSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSelfSigned } from '../runtime/http/self-signed.js';
import { toStringOption } from '../runtime/options.js';
import type { Runtime } from '../runtime/runtime.js';
import type { CtlIo } from './run.js';

const USAGE = 'Usage: ctl cert generate HOST [--force]\n';

export function certCommand(args: string[], load: () => Runtime, io: CtlIo): number {
  const [sub, host, ...rest] = args;
  if (sub !== 'generate' || !host) io.usage(sub === 'generate' ? 'missing HOST' : `unknown cert command '${sub ?? ''}'`, USAGE);
  const force = rest.includes('--force');
  if (rest.some((r) => r !== '--force')) io.usage(`unexpected argument '${rest.find((r) => r !== '--force')}'`, USAGE);
  const runtime = load();
  const name = host.toLowerCase();
  if (!runtime.hostNames().includes(name)) {
    io.err('Error: please supply a valid host');
    return 1;
  }
  const dir = runtime.resolvePath(toStringOption(runtime.option(null, 'certificates')) ?? 'certs');
  const crt = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  if (!force && existsSync(crt)) {
    io.err(`Error: ${crt} exists (use --force to replace it)`);
    return 1;
  }
  mkdirSync(dir, { recursive: true, mode: 0o750 });
  const pair = generateSelfSigned(name);
  writeFileSync(key, pair.key, { mode: 0o640 });
  writeFileSync(crt, pair.cert, { mode: 0o640 });
  chmodSync(key, 0o640);
  chmodSync(crt, 0o640);
  io.out(crt);
  io.out(key);
  return 0;
}
