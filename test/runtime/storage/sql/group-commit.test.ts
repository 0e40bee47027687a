/**
 * The sql driver's group commit (issue 9): the changes of one event-loop turn go in one batch,
 * and after a commit the next waits for the callers it answered, so clients never split into
 * halves that take turns. SQLite's write lock is held by another connection to line the halves
 * up, as a slow commit would.
 */
import t, { type Test } from 'tap';
import { roundTripClients } from '../../../helpers/halves.js';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { StorageManager } from '../../../../runtime/storage/manager.js';
import { onCommit } from '../../../../runtime/storage/commit-stats.js';

const HOST = 'example.com';

async function sqlite(t: Test) {
  const dir = t.testdir({});
  const database = join(dir, 'prosody.sqlite');
  const options: Record<string, unknown> = { storage: 'sql', sql: { driver: 'SQLite3', database } };
  const manager = new StorageManager({ dataPath: dir, option: (_h, n) => options[n], log: () => {} });
  await manager.start([HOST]);
  t.teardown(() => manager.close());
  return { manager, database };
}

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

t.test('the changes of one turn are one batch', async (t) => {
  const { manager } = await sqlite(t);
  const map = manager.open(HOST, 'turn', 'map');
  const sizes: number[] = [];
  t.teardown(onCommit((batch) => sizes.push(batch)));
  await Promise.all(Array.from({ length: 10 }, (_, i) => map.set(null, `k${i}`, i)));
  t.strictSame(sizes, [10], 'ten sets made in one turn, one commit');
  t.equal(await map.get(null, 'k9'), 9);
});

t.test('clients split into two halves are joined into one batch again', async (t) => {
  const { manager, database } = await sqlite(t);
  const map = manager.open(HOST, 'halves', 'map');
  await map.set(null, 'warm', 0); // the tables exist and the writer has committed once
  const sizes: number[] = [];
  t.teardown(onCommit((batch) => sizes.push(batch)));
  const client = roundTripClients(map);
  const other = new Database(database);
  t.teardown(() => other.close());
  other.prepare('BEGIN IMMEDIATE').run(); // another process holds the write lock
  const first = Array.from({ length: 4 }, () => client(6)); // the first half: one commit, waiting for the lock
  await new Promise((resolve) => setTimeout(resolve, 50));
  const second = Array.from({ length: 4 }, () => client(5)); // the second half queues behind it
  await nextTurn();
  other.prepare('COMMIT').run();
  await Promise.all([...first, ...second]);
  t.strictSame(sizes.slice(0, 2), [4, 8], 'the commit after the first waits for its callers and holds all eight');
  t.ok(sizes.slice(1, 5).every((s) => s === 8), `then every client in every commit (${sizes.join(', ')})`);
  t.equal(sizes.reduce((a, b) => a + b, 0), 44);
  t.equal(Object.keys(await collect(map.entries(null))).length, 45, 'every change is stored');
});

async function collect(entries: AsyncIterable<[string, unknown]>): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for await (const [k, v] of entries) out[k] = v;
  return out;
}
