/**
 * A child process for the driver contract suite: opens storage through the StorageManager with
 * the options given as JSON, so it runs against any driver.
 * - increment <count> <startAt>: add 1 to host-level key `counter` of store `contract`, 4 at a
 *   time, starting at <startAt> (ms since epoch) so that several processes overlap; then print
 *   `calls <n>`, how often the update functions ran.
 * - consume <count> <startAt>: delete tokens t0..t<count-1> where present, printing `won <token>`.
 * - burst: set keys k0, k1, ... without end, 16 in flight, printing each once set() resolved.
 * Usage: store-child.ts <dataPath> <optionsJson> <mode> [count startAt]; `__host` in the options
 * names the host (default example.com).
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { StorageManager } from '../../runtime/storage/manager.js';
import { KEEP } from '../../runtime/storage/types.js';

const [dataPath, optionsJson, mode, countText, startAtText] = process.argv.slice(2) as [string, string, string, string?, string?];
const options = JSON.parse(optionsJson) as Record<string, unknown>;
const manager = new StorageManager({ dataPath, option: (_host, name) => options[name], log: (level, msg) => process.stderr.write(`${level} ${msg}\n`) });
const host = typeof options.__host === 'string' ? options.__host : 'example.com';
await manager.start([host]);
const store = manager.open(host, 'contract', 'map');

if (mode === 'burst') {
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const key = `k${next++}`;
      await store.set(null, key, { n: next, note: 'caf\u00e9 '.repeat(20) });
      process.stdout.write(key + '\n');
    }
  };
  for (let i = 0; i < 16; i++) void worker();
} else {
  const count = Number(countText);
  const jobs: Array<() => Promise<void>> = [];
  let calls = 0;
  if (mode === 'consume') {
    for (const token of Array.from({ length: count }, (_, i) => `t${i}`).sort(() => Math.random() - 0.5)) {
      jobs.push(async () => {
        let won = false;
        await store.update(null, token, (current) => {
          won = current !== undefined;
          return current === undefined ? KEEP : undefined;
        });
        if (won) process.stdout.write(`won ${token}\n`);
      });
    }
  } else {
    for (let i = 0; i < count; i++) {
      jobs.push(async () => {
        await store.update(null, 'counter', (c) => {
          calls++;
          return (typeof c === 'number' ? c : 0) + 1;
        });
      });
    }
  }
  await sleep(Math.max(0, Number(startAtText) - Date.now()));
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let job = jobs.shift(); job; job = jobs.shift()) await job();
    }),
  );
  if (mode === 'increment') process.stdout.write(`calls ${calls}\n`);
  await manager.close();
}
