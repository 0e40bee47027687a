/**
 * The operator's door: `npx ctl [--config PATH] <command> ...`. Results go to stdout,
 * diagnostics to stderr; exit 0 ok, 1 failed, 2 usage. Only this file calls process.exit.
 */
import { readConfig, resolveConfigPath } from '../runtime/config/index.js';
import { errorText } from '../runtime/errors.js';
import { setLogSinks } from '../runtime/log.js';
import { isUsageError, type CtlCommand } from '../runtime/module-api.js';
import { Runtime } from '../runtime/runtime.js';
import { commandUsage, parseCommandArgs } from './args.js';

const USAGE = `Usage: ctl [--config PATH] <command> [arguments]

Commands:
  check [config]                 Check the config file and report every problem
  cert generate HOST             Make a self-signed certificate for HOST in the certificates folder
  mod_<name> <command> HOST ...  Run a module's command (e.g. mod_invites_api create example.com "My key")
  mod_<name> --help              List a module's commands
  help                           Show this text

The config file is --config PATH, else $PROSODY_CONFIG, else ./prosody.cfg.lua, else
./prosody.cfg.example.
`;

class Exit {
  constructor(readonly code: number) {}
}

const out = (line: string) => process.stdout.write(line + '\n');
const err = (line: string) => process.stderr.write(line + '\n');

function usage(message: string | undefined, text = USAGE): never {
  if (message) err(`ctl: ${message}`);
  process.stderr.write(text);
  throw new Exit(2);
}

function loadRuntime(configFlag: string | undefined): Runtime {
  try {
    return new Runtime(readConfig(resolveConfigPath(configFlag, process.env, process.cwd())), 'ctl');
  } catch (e) {
    err(`Error: ${errorText(e)}`);
    throw new Exit(1);
  }
}

async function moduleCommand(configFlag: string | undefined, moduleName: string, words: string[]): Promise<number> {
  const runtime = loadRuntime(configFlag);
  if (!runtime.finder.find(moduleName)) {
    err(`Error: module '${moduleName}' not found`);
    return 1;
  }
  const definition = await runtime.finder.definition(moduleName);
  const commands = (definition.commands ?? {}) as Record<string, CtlCommand<never, never>>;
  const names = Object.keys(commands);
  if (!names.length) {
    err(`Fail: mod_${moduleName} does not support any commands`);
    return 1;
  }
  const list = [`Usage: ctl mod_${moduleName} <command> HOST ...`, '', 'Commands:', ...names.map((n) => `  ${n.padEnd(12)} ${commands[n]!.description}`), ''].join('\n') + '\n';
  const [sub, ...rest] = words;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(list);
    return 0;
  }
  if (sub === undefined) usage(undefined, list);
  const command = commands[sub];
  if (!command) usage(`unknown command '${sub}' for mod_${moduleName}`, list);
  const text = commandUsage(moduleName, sub, command);
  if (rest.includes('--help') || rest.includes('-h')) {
    process.stdout.write(text);
    return 0;
  }
  let parsed;
  try {
    parsed = parseCommandArgs(command, rest);
  } catch (e) {
    if (isUsageError(e)) usage(e.message, text);
    throw e;
  }
  const host = runtime.host(parsed.host.toLowerCase());
  if (!host) {
    err('Error: please supply a valid host');
    return 1;
  }
  try {
    const api = await host.load(moduleName);
    const loaded = host.loaded.get(moduleName)!;
    const code = await command.run({ module: loaded.api as never, api: api as never, args: parsed.args, flags: parsed.flags, out, err });
    return code ?? 0;
  } catch (e) {
    if (isUsageError(e)) usage(e.message, text);
    err(`Error: ${errorText(e)}`);
    return 1;
  } finally {
    await runtime.shutdown();
  }
}

async function main(argv: string[]): Promise<number> {
  // ctl prints results; the runtime's own logs are for warnings and errors only.
  setLogSinks([{ min: 'warn', write: (line) => err(line) }]);
  let config: string | undefined;
  while (argv[0]?.startsWith('-')) {
    const flag = argv.shift()!;
    if (flag === '--config' && argv.length) config = argv.shift();
    else if (flag.startsWith('--config=')) config = flag.slice(9);
    else if (flag === '--help' || flag === '-h') {
      process.stdout.write(USAGE);
      return 0;
    } else usage(`unknown option '${flag}'`);
  }
  const [command, ...rest] = argv;
  if (command === undefined) usage('missing command');
  if (command === 'help') {
    process.stdout.write(USAGE);
    return 0;
  }
  if (command === 'check') {
    const { checkCommand } = await import('./check.js');
    return checkCommand(rest, () => loadRuntime(config), { out, err, usage });
  }
  if (command === 'cert') {
    const { certCommand } = await import('./cert.js');
    return certCommand(rest, () => loadRuntime(config), { out, err, usage });
  }
  if (command.startsWith('mod_') && command.length > 4) return moduleCommand(config, command.slice(4), rest);
  usage(`unknown command '${command}'`);
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    if (e instanceof Exit) process.exit(e.code);
    err(`Error: ${errorText(e)}`);
    process.exit(1);
  },
);

export interface CtlIo {
  out(line: string): void;
  err(line: string): void;
  usage(message: string | undefined, text?: string): never;
}
