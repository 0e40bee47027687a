/**
 * The operator's door: `npx ctl [--config PATH] <command> ...`. Results go to stdout,
 * diagnostics to stderr; exit 0 ok, 1 failed, 2 usage. Only this file calls process.exit.
 */
import { runCtl } from './run.js';

// A pipe's writes are asynchronous: process.exit() at once would cut the output at the pipe's
// buffer (64 KiB). A reader that went away (EPIPE, `ctl ... | head`) is normal; any other
// write error means the output is incomplete, so the command failed.
let outputError: NodeJS.ErrnoException | null = null;
let readerGone = false;
process.stdout.on('error', (e: NodeJS.ErrnoException) => {
  if (e.code === 'EPIPE') readerGone = true;
  else if (!readerGone) outputError ??= e; // after EPIPE, later writes fail as "destroyed"
});

function exit(code: number): void {
  // The callback runs once everything before it is written (or failed); the stream's 'error'
  // event comes a tick after a failed write's callback, hence the setImmediate.
  process.stdout.write('', () =>
    setImmediate(() => {
      if (outputError !== null) {
        process.stderr.write(`Error: writing the output: ${outputError.message}\n`, () => process.exit(1));
      } else process.stderr.write('', () => process.exit(code));
    }),
  );
}

/** Backpressure for long listings: wait while the pipe's buffer is full (or the reader is gone). */
function drained(): Promise<void> {
  const out = process.stdout;
  if (!out.writableNeedDrain || out.destroyed) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      out.off('drain', done).off('close', done).off('error', done);
      resolve();
    };
    out.on('drain', done).on('close', done).on('error', done);
  });
}

runCtl(process.argv.slice(2), {
  stdout: (text) => process.stdout.write(text),
  drained,
  stderr: (text) => process.stderr.write(text),
  env: process.env,
  cwd: process.cwd(),
  // A real ctl started as root becomes the data's owner; the test kit's in-process ctl never.
  switchUser: true,
}).then(exit);
