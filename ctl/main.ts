/**
 * The operator's door: `npx ctl [--config PATH] <command> ...`. Results go to stdout,
 * diagnostics to stderr; exit 0 ok, 1 failed, 2 usage. Only this file calls process.exit.
 */
import { runCtl } from './run.js';

runCtl(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
}).then((code) => process.exit(code));
