/**
 * One ctl run, independent of the process it runs in: `ctl/main.ts` gives it the real
 * stdout, stderr and environment; the test kit (canto/testing) gives it buffers and its clock.
 */
import type { Clock } from '../runtime/clock.js';
import { readConfig, resolveConfigPath } from '../runtime/config/index.js';
import type { ParsedConfig } from '../runtime/config/types.js';
import { errorText } from '../runtime/errors.js';
import { withLogSinks } from '../runtime/log.js';
import { UsageError, type CtlCommand } from '../runtime/module-api.js';
import { Runtime } from '../runtime/runtime.js';
import { commandUsage, parseCommandArgs } from './args.js';
import type { PasswordInput } from './password-prompt.js';
import { isRoot } from '../runtime/privileges.js';
import { warmBuiltinValidators } from '../runtime/warm-validators.js';
import { becomeDataOwner, PrivilegeError } from './privileges.js';

const USAGE = `Usage: ctl [--config PATH] <command> [arguments]

Commands:
  check [config]                 Check the config file and report every problem
  status                         Show whether the server runs: PID, uptime, listeners, hosts, modules
  reload                         Make the running server re-read its config and reopen its logs
  cert generate HOST             Make a self-signed certificate for HOST in the certificates folder
  adduser JID                    Create an account (the password is read from the terminal or stdin)
  passwd JID                     Set an account's password (read from the terminal or stdin)
  deluser JID                    Delete an account and all its data
  migrate HOST FROM TO           Copy every store of HOST between storage drivers (internal, sql)
  module new NAME [--dir DIR]    Write a new module folder, DIR/mod_NAME (DIR defaults to plugins)
  mod_<name> <command> HOST ...  Run a module's command (e.g. mod_invites_api create example.com "My key")
  mod_<name> --help              List a module's commands
  help                           Show this text

The config file is --config PATH, else $PROSODY_CONFIG, else ./prosody.cfg.lua, else
./prosody.cfg.example.
`;

/** Where one ctl run reads and writes: the real process, or the test kit's in-process ctl. */
export interface CtlProcess {
  stdout(text: string): void;
  /** Resolves once stdout has room again (a pipe whose reader is slower than ctl); absent: at once. */
  drained?(): Promise<void>;
  stderr(text: string): void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** The modules' clock (the test kit's); the system clock otherwise. */
  clock?: Clock;
  /** Where `adduser` and `passwd` read the password (default: process.stdin). */
  stdin?: PasswordInput;
  /** Started as root, become the owner of the data first (the real ctl process only). */
  switchUser?: boolean;
}

export interface CtlIo {
  out(line: string): void;
  err(line: string): void;
  usage(message: string | undefined, text?: string): never;
}

class Exit {
  constructor(readonly code: number) {}
}

/** One run: `argv` without `ctl`; resolves to the exit code (0 ok, 1 failed, 2 usage). */
export function runCtl(argv: readonly string[], proc: CtlProcess): Promise<number> {
  const err = (line: string) => proc.stderr(line + '\n');
  // ctl prints results; the runtime's own logs are for warnings and errors only.
  return withLogSinks([{ min: 'warn', write: (line) => err(line) }], () =>
    new Ctl(proc).main([...argv]).then(
      (code) => code,
      (e: unknown) => {
        if (e instanceof Exit) return e.code;
        err(`Error: ${errorText(e)}`);
        return 1;
      },
    ),
  );
}

class Ctl implements CtlIo {
  readonly #proc: CtlProcess;

  constructor(proc: CtlProcess) {
    this.#proc = proc;
  }

  out = (line: string) => this.#proc.stdout(line + '\n');
  err = (line: string) => this.#proc.stderr(line + '\n');
  drained = (): Promise<void> => this.#proc.drained?.() ?? Promise.resolve();

  usage = (message: string | undefined, text = USAGE): never => {
    if (message) this.err(`ctl: ${message}`);
    this.#proc.stderr(text);
    throw new Exit(2);
  };

  configFile(configFlag: string | undefined): string {
    return resolveConfigPath(configFlag, this.#proc.env, this.#proc.cwd);
  }

  loadConfig(configFlag: string | undefined): ParsedConfig {
    try {
      return readConfig(this.configFile(configFlag));
    } catch (e) {
      this.err(`Error: ${errorText(e)}`);
      throw new Exit(1);
    }
  }

  /**
   * Run as root, become the data's owner before touching anything (or refuse, saying why).
   * `prepare: false` (check, status, reload) makes no data folder that is missing.
   */
  async switchUser(config: ParsedConfig, prepare = true): Promise<void> {
    if (!this.#proc.switchUser) return;
    if (isRoot()) await warmBuiltinValidators(config);
    try {
      becomeDataOwner(config, prepare);
    } catch (e) {
      for (const line of e instanceof PrivilegeError ? e.lines : [errorText(e)]) this.err(`Error: ${line}`);
      this.err("Error: ctl refuses to work on the data as root; run it as the data's owner, or set run_as_root = true");
      throw new Exit(1);
    }
  }

  /** The config and runtime, once this process is the data's owner (switchUser ran before). */
  loadRuntime(configFlag: string | undefined): Runtime {
    const config = this.loadConfig(configFlag);
    try {
      return new Runtime(config, 'ctl', this.#proc.clock);
    } catch (e) {
      this.err(`Error: ${errorText(e)}`);
      throw new Exit(1);
    }
  }

  async moduleCommand(configFlag: string | undefined, moduleName: string, words: string[]): Promise<number> {
    const { out, err, usage } = this;
    const runtime = this.loadRuntime(configFlag);
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
      this.#proc.stdout(list);
      return 0;
    }
    if (sub === undefined) usage(undefined, list);
    const command = commands[sub];
    if (!command) usage(`unknown command '${sub}' for mod_${moduleName}`, list);
    const text = commandUsage(moduleName, sub, command);
    if (rest.includes('--help') || rest.includes('-h')) {
      this.#proc.stdout(text);
      return 0;
    }
    let parsed;
    try {
      parsed = parseCommandArgs(command, rest);
    } catch (e) {
      if (e instanceof UsageError) usage(e.message, text);
      throw e;
    }
    const host = runtime.host(parsed.host.toLowerCase());
    if (!host) {
      err('Error: please supply a valid host');
      return 1;
    }
    try {
      await runtime.startStorage([host.name]);
      const api = await host.load(moduleName);
      const loaded = host.loaded.get(moduleName)!;
      const code = await command.run({ module: loaded.api as never, api: api as never, args: parsed.args, flags: parsed.flags, out, err, drained: this.drained });
      return code ?? 0;
    } catch (e) {
      if (e instanceof UsageError) usage(e.message, text);
      err(`Error: ${errorText(e)}`);
      return 1;
    } finally {
      await runtime.shutdown();
    }
  }

  async main(argv: string[]): Promise<number> {
    const { usage } = this;
    let config: string | undefined;
    while (argv[0]?.startsWith('-')) {
      const flag = argv.shift()!;
      if (flag === '--config' && argv.length) config = argv.shift();
      else if (flag.startsWith('--config=')) config = flag.slice(9);
      else if (flag === '--help' || flag === '-h') {
        this.#proc.stdout(USAGE);
        return 0;
      } else usage(`unknown option '${flag}'`);
    }
    const [command, ...rest] = argv;
    if (command === undefined) usage('missing command');
    if (command === 'help') {
      this.#proc.stdout(USAGE);
      return 0;
    }
    if (command === 'check') {
      const { checkCommand } = await import('./check.js');
      await this.switchUser(this.loadConfig(config), false); // a config that cannot be read: exit 1 here
      return checkCommand(rest, this.configFile(config), this, this.#proc.clock);
    }
    if (command === 'status' || command === 'reload') {
      const { serverCommand } = await import('./server.js');
      const file = this.loadConfig(config);
      await this.switchUser(file, false);
      return serverCommand(command, rest, file, this);
    }
    // Everything below touches data: become its owner first.
    if (command === 'cert' || command === 'adduser' || command === 'passwd' || command === 'deluser' || command.startsWith('mod_')) {
      await this.switchUser(this.loadConfig(config));
    }
    if (command === 'migrate') {
      const { migrateCommand } = await import('./migrate.js');
      return migrateCommand(rest, () => this.loadRuntime(config), this);
    }
    if (command === 'cert') {
      const { certCommand } = await import('./cert.js');
      return certCommand(rest, () => this.loadRuntime(config), this);
    }
    if (command === 'adduser' || command === 'passwd' || command === 'deluser') {
      const { userCommand } = await import('./users.js');
      const proc = this.#proc;
      const io = { out: this.out, err: this.err, usage: this.usage, write: (t: string) => proc.stdout(t), writeErr: (t: string) => proc.stderr(t), stdin: proc.stdin ?? process.stdin };
      return userCommand(command, rest, () => this.loadRuntime(config), io);
    }
    if (command === 'module') {
      const { newModuleCommand } = await import('./module-new.js');
      return newModuleCommand(rest, this.#proc.cwd, this);
    }
    if (command.startsWith('mod_') && command.length > 4) return this.moduleCommand(config, command.slice(4), rest);
    return usage(`unknown command '${command}'`);
  }
}
