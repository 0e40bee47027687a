/**
 * Child process for cross-process atomicity of MapStore.update, on host-level store `race`.
 * - consume <count>: try to consume tokens t0..t<count-1> (delete if present), 4 at a time in a
 *   random order; print `won <token>` for each this process consumed.
 * - increment <count>: add 1 to key `counter` <count> times, 4 at a time.
 * Both wait until <startAt> (ms since epoch) so that the two processes overlap.
 * Usage: update.ts <dataPath> <mode> <count> <startAt>
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { InternalDriver } from '../../../../runtime/storage/internal.js';
import { KEEP } from '../../../../runtime/storage/types.js';

const [dataPath, mode, countText, startAtText] = process.argv.slice(2) as [string, string, string, string];
const count = Number(countText);
const driver = new InternalDriver({ dataPath, options: new Map(), log: (level, msg) => process.stderr.write(`${level} ${msg}\n`) });
const store = driver.open('example.com', 'race', 'map');

const jobs: Array<() => Promise<void>> = [];
if (mode === 'consume') {
  const order = Array.from({ length: count }, (_, i) => `t${i}`).sort(() => Math.random() - 0.5);
  for (const token of order) {
    jobs.push(async () => {
      let won = false;
      await store.update(null, token, (current) => {
        if (current === undefined) return KEEP;
        won = true;
        return undefined;
      });
      if (won) process.stdout.write(`won ${token}\n`);
    });
  }
} else {
  for (let i = 0; i < count; i++) {
    jobs.push(async () => {
      await store.update(null, 'counter', (current) => (typeof current === 'number' ? current : 0) + 1);
    });
  }
}

await sleep(Math.max(0, Number(startAtText) - Date.now()));
await Promise.all(
  Array.from({ length: 4 }, async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) await job();
  }),
);
await driver.close();
