/**
 * The storage driver contract: one suite, run against every driver (internal, SQLite,
 * PostgreSQL, and the in-memory double the mod_invites unit tests use).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { StorageManager } from '../../runtime/storage/manager.js';
import { collect, KEEP, REMOVE } from '../../runtime/storage/types.js';
import type { KeyvalStore, MapStore, StoreTable, StoreValue } from '../../runtime/storage/types.js';
import { ROOT } from './canto.js';

import type { Test } from 'tap';

export interface Opened {
  host: string;
  keyval(store: string): KeyvalStore;
  map(store: string): MapStore;
  close(): Promise<void>;
}

export interface ContractSubject {
  name: string;
  /** Fresh, empty storage (a new folder, or a new host on a shared database). */
  open(dir: string): Promise<Opened>;
  /** StorageManager options for child processes; absent for a driver that lives in one process. */
  processOptions?(dir: string): Record<string, unknown>;
}

let hostCounter = 0;
/** A host name no other test of this run uses, so tests can share one database. */
export function freshHost(): string {
  return `h${process.pid}-${Date.now().toString(36)}-${hostCounter++}.example`;
}

/** A subject backed by the StorageManager with these global options (`storage`, `sql`, ...). */
export function managerSubject(name: string, options: (dir: string) => Record<string, unknown>): ContractSubject {
  return {
    name,
    processOptions: options,
    async open(dir) {
      const opts = options(dir);
      const host = freshHost();
      const manager = new StorageManager({ dataPath: dir, option: (_h, n) => opts[n], log: () => {} });
      await manager.start([host]);
      return {
        host,
        keyval: (store) => manager.open(host, store, 'keyval'),
        map: (store) => manager.open(host, store, 'map'),
        close: () => manager.close(),
      };
    },
  };
}

function child(dir: string, options: Record<string, unknown>, host: string, args: string[]) {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/helpers/store-child.ts'), dir, JSON.stringify({ ...options, __host: host }), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const lines: ((line: string) => void)[] = [];
  let partial = '';
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const split = (partial + chunk).split('\n');
    partial = split.pop()!;
    for (const line of split) for (const fn of lines) fn(line);
  });
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => proc.on('close', (code) => resolve({ code, stdout, stderr })));
  return { done, kill: () => proc.kill('SIGKILL'), onLine: (fn: (line: string) => void) => lines.push(fn) };
}

export async function runContract(t: Test, subject: ContractSubject): Promise<void> {
  const open = async (t: Test) => {
    const s = await subject.open(t.testdir());
    t.teardown(() => s.close());
    return s;
  };

  await t.test('values are copied in and out', async (t) => {
    const s = await open(t);
    const map = s.map('contract');
    const value: StoreTable = { list: ['a'], nested: { n: 1 } };
    await map.set(null, 'k', value);
    (value.list as StoreValue[]).push('b');
    const got = (await map.get(null, 'k')) as StoreTable;
    t.strictSame(got, { list: ['a'], nested: { n: 1 } }, 'changing what was passed in changes nothing stored');
    (got.nested as StoreTable).n = 2;
    t.strictSame(await map.get(null, 'k'), { list: ['a'], nested: { n: 1 } }, 'changing what came out changes nothing stored');
  });

  await t.test('get, set, delete, entries, users and keyval on one store', async (t) => {
    const s = await open(t);
    const map = s.map('contract');
    t.equal(await map.get(null, 'missing'), undefined);
    await map.set(null, 'a', 1);
    await map.set(null, 'b', 'two');
    await map.set('alice', 'c', true);
    await map.set(null, 'b', undefined);
    t.strictSame(await collect(map.entries(null)), [['a', 1]]);
    t.strictSame(await map.users(), ['alice'], 'users() lists users, not the host');
    const kv = s.keyval('contract');
    t.strictSame(await kv.get('alice'), { c: true }, 'keyval and map of one store see the same data');
    await kv.set('alice', { x: 1, y: 'z' });
    t.strictSame(await map.get('alice', 'c'), undefined, 'keyval set replaces the whole table');
    t.strictSame(await kv.get('alice'), { x: 1, y: 'z' });
    await kv.set('alice', undefined);
    t.equal(await kv.get('alice'), undefined, 'set(undefined) deletes the table');
    t.strictSame(await kv.users(), []);
  });

  await t.test('KEEP writes nothing; update returns what fn returned', async (t) => {
    const s = await open(t);
    const map = s.map('contract');
    await map.set(null, 'k', { v: 1 });
    t.equal(await map.update(null, 'k', () => KEEP), KEEP);
    t.strictSame(await map.get(null, 'k'), { v: 1 });
    t.equal(await map.update(null, 'n', (c) => (typeof c === 'number' ? c : 0) + 1), 1);
    t.equal(await map.update(null, 'n', () => undefined), undefined);
    t.equal(await map.get(null, 'n'), undefined, 'returning undefined deletes');
    t.equal(await map.update(null, 'never', () => undefined), undefined, 'deleting a missing key is fine');
  });

  await t.test('keyval update is atomic and KEEP writes nothing', async (t) => {
    const s = await open(t);
    const kv = s.keyval('contract');
    await Promise.all(Array.from({ length: 20 }, (_, i) => kv.update('alice', (c) => ({ ...c, [`k${i}`]: i, n: Number(c?.n ?? 0) + 1 }))));
    const table = await kv.get('alice');
    t.equal(table?.n, 20, 'no update lost');
    t.equal(Object.keys(table ?? {}).length, 21);
    t.equal(await kv.update('alice', () => KEEP), KEEP);
    t.strictSame(await kv.update('bob', (c) => (c ? KEEP : { created: true })), { created: true });
    t.strictSame(await kv.get('bob'), { created: true }, 'created when absent');
    t.equal(await kv.update('bob', (c) => (c ? KEEP : { created: false })), KEEP, 'and only once');
    await kv.update('bob', () => undefined);
    t.equal(await kv.get('bob'), undefined, 'undefined deletes the table');
  });

  await t.test('setKeys is all or nothing', async (t) => {
    const s = await open(t);
    const map = s.map('contract');
    await map.setKeys(null, { a: 1, b: 2 });
    await map.setKeys(null, { a: REMOVE, c: 3 });
    t.strictSame(Object.fromEntries(await collect(map.entries(null))), { b: 2, c: 3 });
    const bad = { d: 4, e: (() => 1) as unknown as StoreValue };
    await t.rejects(map.setKeys(null, bad), 'a value no driver can store is refused');
    t.strictSame(Object.fromEntries(await collect(map.entries(null))), { b: 2, c: 3 }, 'and nothing of that call was written');
  });

  await t.test('update is atomic under concurrency in one process', async (t) => {
    const s = await open(t);
    const map = s.map('contract');
    await Promise.all(Array.from({ length: 50 }, () => map.update(null, 'counter', (c) => (typeof c === 'number' ? c : 0) + 1)));
    t.equal(await map.get(null, 'counter'), 50);
    await map.setKeys(null, Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`t${i}`, true])));
    const won = await Promise.all(
      Array.from({ length: 40 }, (_, i) => {
        let mine = false;
        return map
          .update(null, `t${i % 20}`, (c) => {
            mine = c !== undefined;
            return c === undefined ? KEEP : undefined;
          })
          .then(() => mine);
      }),
    );
    t.equal(won.filter(Boolean).length, 20, 'each token consumed exactly once');
  });

  await t.test('the empty table, users, non-ASCII and binary-safe strings, large values', async (t) => {
    const s = await open(t);
    const map = s.map('contract');
    await map.set(null, 'empty', {});
    await map.set(null, 'emptyList', []);
    t.strictSame(await map.get(null, 'empty'), {}, 'an empty table reads back as {}');
    t.strictSame(await map.get(null, 'emptyList'), {}, 'an empty list is an empty Lua table: {}');
    const odd = 'caf\u00e9 \u4e2d\u6587 \u{1f600} \0 \x01\x1f\x7f "\\\' \n\r\t';
    await map.set('j\u00fcrgen', 'k\u00e9y \u{1f511}', { [odd]: odd, list: [odd, 1.5, -3, true] });
    t.strictSame(await map.get('j\u00fcrgen', 'k\u00e9y \u{1f511}'), { [odd]: odd, list: [odd, 1.5, -3, true] });
    await map.set(null, 'nul', 'a\0b');
    t.equal(await map.get(null, 'nul'), 'a\0b', 'a string with NUL');
    t.strictSame(await map.users(), ['j\u00fcrgen']);
    const big = 'x'.repeat(2 * 1024 * 1024);
    await map.set(null, 'big', { big, many: Array.from({ length: 10_000 }, (_, i) => i) });
    const got = (await map.get(null, 'big')) as StoreTable;
    t.equal((got.big as string).length, big.length, 'a 2 MB string');
    t.equal((got.many as number[]).length, 10_000, 'a 10,000 item list');
    const kv = s.keyval('contract');
    await kv.set('bob', { '': 'empty key', 'a b': 1 });
    t.strictSame(await kv.get('bob'), { '': 'empty key', 'a b': 1 }, 'keyval keeps an empty key');
  });

  await t.test('entries() streams a table larger than one page', async (t) => {
    const s = await open(t);
    const map = s.map('contract');
    const changes: Record<string, StoreValue> = {};
    for (let i = 0; i < 2500; i++) changes[`k${i}`] = i;
    await map.setKeys(null, changes);
    const all = await collect(map.entries(null));
    t.equal(all.length, 2500);
    t.equal(new Set(all.map(([k]) => k)).size, 2500, 'no key twice');
  });

  const processOptions = subject.processOptions;
  if (!processOptions) {
    t.comment(`${subject.name} lives in one process: the cross-process and crash cases do not apply`);
    return;
  }

  await t.test('update is atomic across processes', async (t) => {
    const dir = t.testdir();
    const s = await subject.open(dir);
    t.teardown(() => s.close());
    const options = processOptions(dir);
    const startAt = Date.now() + 1500;
    const runs = await Promise.all([0, 1, 2].map(() => child(dir, options, s.host, ['increment', '40', String(startAt)]).done));
    for (const r of runs) t.equal(r.code, 0, r.stderr);
    t.equal(await s.map('contract').get(null, 'counter'), 120, 'three processes, 40 increments each');
    t.strictSame(runs.map((r) => r.stdout), ['calls 40\n', 'calls 40\n', 'calls 40\n'], 'each update ran its function exactly once');
    await s.map('contract').setKeys(null, Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`t${i}`, true])));
    const at = Date.now() + 1500;
    const consumed = await Promise.all([0, 1].map(() => child(dir, options, s.host, ['consume', '30', String(at)]).done));
    const won = consumed.flatMap((r) => r.stdout.split('\n').filter(Boolean));
    t.equal(won.length, 30, 'every token consumed once, by one of the two');
    t.equal(new Set(won).size, 30);
  });

  await t.test('kill -9 mid-commit loses nothing that was acknowledged', async (t) => {
    const dir = t.testdir();
    const s = await subject.open(dir);
    t.teardown(() => s.close());
    const proc = child(dir, processOptions(dir), s.host, ['burst']);
    const acked: string[] = [];
    await new Promise<void>((resolve) =>
      proc.onLine((line) => {
        acked.push(line);
        if (acked.length === 300) {
          proc.kill();
          resolve();
        }
      }),
    );
    await proc.done;
    const map = s.map('contract');
    const missing = [];
    for (const key of acked) if ((await map.get(null, key)) === undefined) missing.push(key);
    t.strictSame(missing, [], `all ${acked.length} acknowledged keys are there`);
  });
}
