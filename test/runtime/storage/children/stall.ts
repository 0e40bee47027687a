/**
 * Child process: take the lock of a map store through a change, print "stopping", and stop
 * itself (SIGSTOP) while holding it, as Ctrl-Z or `docker pause` would. Once continued, the
 * commit finishes (or starts over). Usage: stall.ts <dataPath> <store> <staleMs>
 */
import { InternalDriver } from '../../../../runtime/storage/internal.js';

const [dataPath, store, staleMs] = process.argv.slice(2) as [string, string, string];
const driver = new InternalDriver(
  { dataPath, options: new Map(), log: (level, msg) => process.stderr.write(`${level} ${msg}\n`) },
  { lock: { timeoutMs: 5000, staleMs: Number(staleMs) } },
);
let stopped = false;
await driver.open('example.com', store, 'map').update(null, 'child', () => {
  if (!stopped) {
    stopped = true;
    process.stdout.write('stopping\n');
    process.kill(process.pid, 'SIGSTOP');
  }
  return 1;
});
await driver.close();
