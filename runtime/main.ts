/**
 * The server: `npm start [-- --config PATH]`. Reads the config and builds everything with the
 * builder `ctl check` uses (runtime/build.ts); started as root it binds its ports, then becomes
 * `prosody_user` before it loads a module or opens data (runtime/privileges.ts). SIGHUP reloads
 * the config and reopens the logs, SIGTERM/SIGINT drain and stop, SIGUSR1 does nothing.
 */
import { accessSync, constants } from 'node:fs';
import type { Server } from 'node:net';
import { dirname } from 'node:path';
import { measureProcess, measureStorage } from './host-metrics.js';
import { buildFromConfig, refuses, loadModules, where, type Problem } from './build.js';
import { readConfig, resolveConfigPath } from './config/index.js';
import type { ParsedConfig } from './config/types.js';
import { closeControl, listenControl } from './control.js';
import { errorText } from './errors.js';
import { HttpServer } from './http/server.js';
import { LiveServer } from './live.js';
import { getLogger } from './log.js';
import { configureLogging, flushLogs, logOptionProblems } from './logging.js';
import { pidfilePath, removePidfile, writePidfile } from './pidfile.js';
import { asUser, dropTo, isRoot, prepareDataFolder, PrivilegeError, runAsRoot, serverIdentity, type Identity } from './privileges.js';
import { dataPathOf } from './runtime.js';
import { checkDataFolder } from './storage/data-folder.js';
import { warmBuiltinValidators } from './warm-validators.js';

const STOP_GRACE_SECONDS = 30;

const USAGE = `Usage: canto [--config PATH]

Runs the Canto server in the foreground. The config file is --config PATH, else
$PROSODY_CONFIG, else ./prosody.cfg.lua, else ./prosody.cfg.example.
`;

function parseArgs(argv: string[]): { config?: string } {
  const out: { config?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(USAGE);
      process.exit(0);
    } else if (arg === '--config' && argv[i + 1] !== undefined) {
      out.config = argv[++i];
    } else if (arg.startsWith('--config=')) {
      out.config = arg.slice('--config='.length);
    } else {
      process.stderr.write(`canto: unexpected argument '${arg}'\n${USAGE}`);
      process.exit(2);
    }
  }
  return out;
}

const log = getLogger('general');
const httpLog = getLogger('http');

function fail(lines: string[]): never {
  for (const line of lines) log.error('%s', line);
  process.exit(1);
}

/** Root without run_as_root: who to become, with the data folder ready for them; or refuse, as Prosody. */
function identityFor(config: ParsedConfig): Identity | null {
  const option = (name: string) => config.sections.get('*')?.options.get(name);
  if (!isRoot() || runAsRoot(option)) return null;
  try {
    const who = serverIdentity(option);
    if (who.uid === 0) throw new PrivilegeError([`prosody_user '${who.user}' is root`]);
    prepareDataFolder(dataPathOf(config), who);
    return who;
  } catch (err) {
    const lines = err instanceof PrivilegeError ? err.lines : [errorText(err)];
    fail([
      ...lines,
      "Danger, Will Robinson! Canto doesn't need to be run as root, so don't do it!",
      'Set prosody_user to the user that owns the data (or run_as_root = true); refusing to run as root',
    ]);
  }
}

function logProblems(problems: readonly Problem[]): void {
  for (const p of problems) log.log(p.level === 'error' ? 'error' : 'warn', `${where(p.position)}${p.message}`);
}

async function main(): Promise<void> {
  // Node opens its inspector on SIGUSR1, which would let any local user run code as Canto.
  process.on('SIGUSR1', () => log.debug('Ignoring SIGUSR1'));
  let live: LiveServer | undefined;
  let stopping = false;
  // Installed first: SIGHUP's default is to kill the process, and logrotate may send it at any time.
  process.on('SIGHUP', () => {
    if (!live) log.info('Received SIGHUP while starting; the config just read is the one in use');
    else if (!stopping) void live.reload('Received SIGHUP');
  });
  const args = parseArgs(process.argv.slice(2));
  // The console log's pipe may fail (its reader gone, EAGAIN); the server keeps serving.
  process.stderr.on('error', () => {});
  process.stdout.on('error', () => {});
  const file = resolveConfigPath(args.config, process.env, process.cwd());
  let config: ParsedConfig;
  try {
    config = readConfig(file);
  } catch (err) {
    process.stderr.write(`canto: ${errorText(err)}\n`);
    process.exit(1);
  }
  try {
    checkDataFolder(dataPathOf(config)); // before anything is made in it for anyone
  } catch (err) {
    process.stderr.write(`canto: ${errorText(err)}\n`);
    process.exit(1);
  }
  const who = identityFor(config);
  if (who) await warmBuiltinValidators(config);
  // Until the final switch, everything that touches files does so as the server's user.
  const asServerUser = <T>(fn: () => Promise<T>) => (who ? asUser(who, fn) : fn());

  const { build, http } = await asServerUser(async () => {
    const global = config.sections.get('*')?.options;
    const logOption = global?.get('log');
    const logSettings = { syslog_facility: global?.get('syslog_facility'), debug: global?.get('debug') };
    if (!logOptionProblems(logOption, logSettings).length) configureLogging(logOption, dirname(config.file), logSettings);
    log.info('Canto starting with config %s', config.file);
    measureStorage();
    measureProcess();
    let build;
    try {
      build = await buildFromConfig(config, { processType: 'server', writeCertificates: true });
    } catch (err) {
      fail([`Failed to start: ${errorText(err)}`]);
    }
    logProblems(build.problems);
    if (refuses(build.problems)) {
      const errors = build.problems.filter((p) => p.level === 'error' && !p.module).length;
      fail([`Failed to start: ${errors} error${errors === 1 ? '' : 's'} in the config (ctl check lists them)`]);
    }
    return { build, http: new HttpServer(build.http, httpLog, build.runtime.router) };
  });
  const runtime = build.runtime;
  runtime.http = http;

  let bindError: unknown;
  try {
    await http.start(); // as root, for ports below 1024
  } catch (err) {
    bindError = err;
  }
  if (who) {
    try {
      dropTo(who);
    } catch (err) {
      fail([...(err instanceof PrivilegeError ? err.lines : [errorText(err)]), 'Refusing to run as root']);
    }
    for (const f of config.files) {
      try {
        accessSync(f, constants.R_OK);
      } catch (err) {
        // Prosody's check: a reload would fail later otherwise.
        fail([`The config file ${f} is not readable by the '${who.user}' user: ${(err as NodeJS.ErrnoException).code ?? errorText(err)}`]);
      }
    }
  }
  if (bindError !== undefined) fail([`Failed to start: ${errorText(bindError)}`]);

  const pidfile = pidfilePath(runtime.option(null, 'pidfile'), runtime.dataPath);
  let control: Server | undefined;
  try {
    if (pidfile) writePidfile(pidfile);
    control = await listenControl(runtime.dataPath, async (request) => {
      if (!live) throw new Error('the server is still starting');
      if (request.command === 'status') return live.status();
      if (request.command === 'reload') return live.reload('Reload requested by ctl');
      throw new Error('unknown command');
    });
  } catch (err) {
    await http.stop();
    if (pidfile) removePidfile(pidfile);
    fail([`Failed to start: ${errorText(err)}`]);
  }

  const report = await loadModules(runtime);
  live = new LiveServer(runtime, http, config.file, report);
  const running = live;
  for (const [scheme, list] of Object.entries(http.addresses())) {
    for (const a of list) httpLog.info('%s listening on %s:%d', scheme, a.address.includes(':') ? `[${a.address}]` : a.address, a.port);
  }
  runtime.storage.warm();
  log.info(
    'Canto ready, hosts: %s; %d module%s loaded, %d failed',
    runtime.hostNames().join(', ') || '(none)',
    report.loaded,
    report.loaded === 1 ? '' : 's',
    report.failed.length,
  );

  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('Received %s, finishing in-flight requests', signal);
    // A handler that never returns must not keep the process from stopping.
    setTimeout(() => {
      log.warn('Requests still running after %d s; stopping anyway', STOP_GRACE_SECONDS);
      process.exit(1);
    }, STOP_GRACE_SECONDS * 1000).unref();
    void (async () => {
      try {
        if (control) closeControl(control, runtime.dataPath);
        await http.stop();
        await running.runtime.shutdown();
        if (pidfile) removePidfile(pidfile);
        log.info('Stopped');
        await flushLogs();
        process.exit(0);
      } catch (err) {
        log.error('Error while stopping: %s', errorText(err));
        process.exit(1);
      }
    })();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

void main();
