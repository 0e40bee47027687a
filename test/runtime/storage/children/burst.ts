/**
 * Child process for the crash test: set keys without end, 16 in flight at a time, and print
 * each key on its own line as soon as its set() has resolved (stdout to a pipe is synchronous).
 * Usage: burst.ts <dataPath>
 */
import { InternalDriver } from '../../../../runtime/storage/internal.js';

const [dataPath] = process.argv.slice(2) as [string];
const driver = new InternalDriver({ dataPath, options: new Map(), log: () => {} });
const store = driver.open('example.com', 'burst', 'map');
let next = 0;

async function worker(): Promise<void> {
  for (;;) {
    const key = `k${next++}`;
    await store.set(null, key, { n: next, note: 'caf\u00e9 '.repeat(20) });
    process.stdout.write(key + '\n');
  }
}
for (let i = 0; i < 16; i++) void worker();
