/**
 * The server: `npm start [-- --config PATH]`. Reads the config, loads every enabled module on
 * every host, listens on Prosody's HTTP ports, and stops cleanly on SIGTERM/SIGINT.
 */
import { readConfig, resolveConfigPath } from './config/index.js';
import { errorText } from './errors.js';
import { getLogger } from './log.js';
import { configureLogging } from './logging.js';
import { Runtime } from './runtime.js';
import { logDiagnostics, prepareServer } from './start.js';

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

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  // The console log's pipe may fail (its reader gone, EAGAIN); the server keeps serving.
  process.stderr.on('error', () => {});
  process.stdout.on('error', () => {});
  const log = getLogger('general');
  let runtime: Runtime;
  try {
    const config = readConfig(resolveConfigPath(args.config, process.env, process.cwd()));
    runtime = new Runtime(config, 'server');
    configureLogging(runtime.option(null, 'log'), runtime.configDir);
    log.info('Canto starting with config %s', config.file);
    logDiagnostics(config, log);
  } catch (err) {
    process.stderr.write(`canto: ${errorText(err)}\n`);
    process.exit(1);
  }

  const httpLog = getLogger('http');
  let http;
  try {
    http = await prepareServer(runtime);
    await http.start();
  } catch (err) {
    log.error('Failed to start: %s', errorText(err));
    await runtime.shutdown().catch(() => {});
    process.exit(1);
  }

  const addresses = http.addresses();
  for (const [scheme, list] of Object.entries(addresses)) {
    for (const a of list) httpLog.info('%s listening on %s:%d', scheme, a.address.includes(':') ? `[${a.address}]` : a.address, a.port);
  }
  log.info('Canto ready, hosts: %s', runtime.hostNames().join(', ') || '(none)');

  let stopping = false;
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
        await runtime.http?.stop();
        await runtime.shutdown();
        log.info('Stopped');
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
