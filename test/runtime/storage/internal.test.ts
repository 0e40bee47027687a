import t from 'tap';
import { roundTripClients } from '../../helpers/halves.js';
import { spawn } from 'node:child_process';
import { chmodSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { InternalDriver } from '../../../runtime/storage/internal.js';
import type { InternalDriverOptions } from '../../../runtime/storage/internal.js';
import { entryText, fileText, parseData } from '../../../runtime/storage/lua-data.js';
import { UNCHECKED_FROM } from '../../../runtime/storage/file-image.js';
import { smallDisk } from '../../helpers/small-disk.js';
import { onCommit } from '../../../runtime/storage/commit-stats.js';
import { acquireLock } from '../../../runtime/storage/file-lock.js';
import { collect, KEEP, REMOVE } from '../../../runtime/storage/types.js';
import type { StoreTable } from '../../../runtime/storage/types.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const fixtures = fileURLToPath(new URL('../../fixtures/prosody-0.12.3/internal/', import.meta.url));
const HOST = 'example.com';
const HOST_DIR = 'example%2ecom';
/** This process's start time as /proc/self/stat gives it (a lock names its owner by pid and start). */
const OWN_START = ((s: string) => s.slice(s.lastIndexOf(')') + 2).split(' ')[19])(readFileSync('/proc/self/stat', 'latin1'));

function driver(dataPath: string, options: InternalDriverOptions = {}) {
  const logs: string[] = [];
  const d = new InternalDriver({ dataPath, options: new Map(), log: (level, msg) => logs.push(`${level} ${msg}`) }, options);
  return Object.assign(d, { logs });
}

function readStore(path: string): StoreTable {
  return parseData(readFileSync(path, 'utf8'), path) as StoreTable;
}

function child(script: string, args: string[]): { done: Promise<{ code: number | null; stdout: string; stderr: string }>; kill: () => void; resume: () => void; onLine: (fn: (line: string) => void) => void } {
  const proc = spawn(process.execPath, ['--import', 'tsx', join(root, 'test/runtime/storage/children', script), ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  let partial = '';
  const listeners: Array<(line: string) => void> = [];
  proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk;
    const lines = (partial + chunk).split('\n');
    partial = lines.pop()!;
    for (const line of lines) for (const fn of listeners) fn(line);
  });
  proc.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const done = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    proc.on('close', (code) => resolve({ code, stdout, stderr })),
  );
  return { done, kill: () => proc.kill('SIGKILL'), resume: () => proc.kill('SIGCONT'), onLine: (fn) => listeners.push(fn) };
}

t.test('reading what Prosody wrote', async (t) => {
  const dir = t.testdir();
  cpSync(fixtures, dir, { recursive: true });
  const d = driver(dir);

  t.test('host-level map stores are <host>/<store>.dat', async (t) => {
    const keys = d.open(HOST, 'invite_api_keys', 'map');
    t.strictSame(await keys.get(null, '32Cmdy9Xpv_d'), {
      id: '32Cmdy9Xpv_d', token: 'p2ak7pmJn3XnreELSmyQeEo4ulhgKyITksVn', created_at: 1795348416,
      allowed_methods: { GET: true, POST: true }, name: 'My test key',
    });
    t.strictSame((await collect(d.open(HOST, 'invite_token', 'map').entries(null))).map(([k]) => k).sort(), [
      '8asXxjF3jpD7Uezf90KM56f2', 'GPFTXTTPf-dJri1bvRH6LaGl', 'ek8Yjiy24n5v2d_L_-DGefID', 'gggqf_dCiUua0NrlMxVt76Oz',
      'jCQROWE46hmwMQXzg82unSbs', 'pEwipQvv-eBQ-HXgywhqPmI4',
    ]);
  });

  t.test('per-user data is <host>/<store>/<user>.dat, and users() lists those users', async (t) => {
    const tokens = d.open(HOST, 'invite_token', 'map');
    t.equal(await tokens.get('alice', 'pEwipQvv-eBQ-HXgywhqPmI4'), 1795953219);
    t.strictSame(await tokens.users(), ['alice']);
    t.equal(((await d.open(HOST, 'accounts', 'keyval').get('alice')) as StoreTable).iteration_count, 10000);
  });

  t.test('a write keeps untouched entries byte for byte as Prosody wrote them', async (t) => {
    const file = join(dir, HOST_DIR, 'invite_token.dat');
    const before = readFileSync(file, 'utf8');
    const tokens = d.open(HOST, 'invite_token', 'map');
    await tokens.set(null, 'NEWTOKEN', { type: 'register', expires: 1 });
    const after = readFileSync(file, 'utf8');
    t.equal(after, before.slice(0, -'\n};\n'.length) + '\n\t["NEWTOKEN"] = {\n\t\t["type"] = "register";\n\t\t["expires"] = 1;\n\t};\n};\n');
  });
});

t.test('writing', async (t) => {
  t.test('files are Prosody files, 0640 in 0750 folders whatever the umask', async (t) => {
    const dir = t.testdir();
    const old = process.umask(0o077);
    try {
      const d = driver(dir);
      await d.open(HOST, 'invite_token', 'map').set('bob', 'TOK', 1795953219);
      await d.open(HOST, 'invite_token', 'map').set(null, 'TOK', { jid: 'bob@example.com' });
    } finally {
      process.umask(old);
    }
    t.equal(readFileSync(join(dir, HOST_DIR, 'invite_token/bob.dat'), 'utf8'), 'return {\n\t["TOK"] = 1795953219;\n};\n');
    t.equal(readFileSync(join(dir, HOST_DIR, 'invite_token.dat'), 'utf8'), 'return {\n\t["TOK"] = {\n\t\t["jid"] = "bob@example.com";\n\t};\n};\n');
    t.equal(statSync(join(dir, HOST_DIR, 'invite_token.dat')).mode & 0o777, 0o640);
    t.equal(statSync(join(dir, HOST_DIR, 'invite_token/bob.dat')).mode & 0o777, 0o640);
    t.equal(statSync(join(dir, HOST_DIR)).mode & 0o777, 0o750);
    t.equal(statSync(join(dir, HOST_DIR, 'invite_token')).mode & 0o777, 0o750);
    t.strictSame(readdirSync(join(dir, HOST_DIR)).sort(), ['invite_token', 'invite_token.dat'], 'no scratch or lock file is left');
  });

  t.test('an empty store is no file', async (t) => {
    const dir = t.testdir();
    const d = driver(dir);
    const map = d.open(HOST, 's', 'map');
    const file = join(dir, HOST_DIR, 's.dat');
    await map.setKeys(null, { a: 1, b: 2 });
    t.ok(existsSync(file));
    await map.set(null, 'a', undefined);
    await map.setKeys(null, { b: REMOVE });
    t.notOk(existsSync(file), 'removing the last key deletes the file');
    t.equal(await map.get(null, 'a'), undefined);
    const kv = d.open(HOST, 'kv', 'keyval');
    await kv.set('u', { x: 1 });
    t.ok(existsSync(join(dir, HOST_DIR, 'kv/u.dat')));
    await kv.set('u', {});
    t.notOk(existsSync(join(dir, HOST_DIR, 'kv/u.dat')), 'keyval set of {} deletes the file');
    t.equal(await kv.get('u'), undefined);
  });

  t.test('keyval and map of the same store share one file per user', async (t) => {
    const d = driver(t.testdir());
    await d.open(HOST, 'shared', 'keyval').set(null, { a: 1, b: { c: 'd' } });
    const map = d.open(HOST, 'shared', 'map');
    t.strictSame(await map.get(null, 'b'), { c: 'd' });
    await map.set(null, 'a', 2);
    t.strictSame(await d.open(HOST, 'shared', 'keyval').get(null), { a: 2, b: { c: 'd' } });
    await d.open(HOST, 'shared', 'keyval').set(null, { z: true });
    t.strictSame(Object.fromEntries(await collect(map.entries(null))), { z: true }, 'keyval set replaces the whole table');
  });

  t.test('stored values are copies: mutating what was passed or returned changes nothing', async (t) => {
    const d = driver(t.testdir());
    const map = d.open(HOST, 'copies', 'map');
    const value = { list: ['a'], n: 1 };
    await map.set(null, 'k', value);
    value.list.push('b');
    const got = (await map.get(null, 'k')) as { list: string[] };
    t.strictSame(got, { list: ['a'], n: 1 });
    got.list.push('c');
    t.strictSame(await map.get(null, 'k'), { list: ['a'], n: 1 });
  });

  t.test('a value Lua cannot hold fails its own call only', async (t) => {
    const d = driver(t.testdir());
    const map = d.open(HOST, 'bad', 'map');
    const good = map.set(null, 'good', 1);
    await t.rejects(map.set(null, 'bad', { f: (() => 1) as never }), { code: 'ERR_STORAGE_VALUE' });
    await good;
    t.equal(await map.get(null, 'good'), 1);
  });

  t.test('group commit: 200 concurrent sets into one file lose nothing', async (t) => {
    const dir = t.testdir();
    const d = driver(dir);
    const map = d.open(HOST, 'invites', 'map');
    await Promise.all(Array.from({ length: 200 }, (_, i) => map.set(null, `key${i}`, { i })));
    const onDisk = readStore(join(dir, HOST_DIR, 'invites.dat'));
    t.equal(Object.keys(onDisk).length, 200);
    for (let i = 0; i < 200; i++) t.strictSame(onDisk[`key${i}`], { i });
  });

  t.test('sets arriving while a write is in flight all land, from many async callers', async (t) => {
    const dir = t.testdir();
    const map = driver(dir).open(HOST, 'invites', 'map');
    await Promise.all(
      Array.from({ length: 10 }, async (_, w) => {
        for (let i = 0; i < 20; i++) await map.set(null, `w${w}-${i}`, i);
      }),
    );
    t.equal(Object.keys(readStore(join(dir, HOST_DIR, 'invites.dat'))).length, 200);
  });

  t.test('a write that fails rejects every caller of the batch and leaves no lock behind', async (t) => {
    const dir = smallDisk(t, '256k');
    const map = driver(dir).open(HOST, 'broken', 'map');
    await map.set(null, 'a', 1);
    const results = await Promise.allSettled([map.set(null, 'b', 'x'.repeat(300_000)), map.set(null, 'c', 3)]); // more than the disk holds
    t.strictSame(results.map((r) => r.status), ['rejected', 'rejected']);
    t.match((results[0] as PromiseRejectedResult).reason, { code: 'ERR_STORAGE_WRITE' });
    t.notOk(existsSync(join(dir, HOST_DIR, 'broken.dat.lock')));
    t.match((results[0] as PromiseRejectedResult).reason.message, /ENOSPC/);
    t.strictSame(Object.fromEntries(await collect(map.entries(null))), { a: 1 }, 'the cache still matches the disk');
    t.strictSame(readStore(join(dir, HOST_DIR, 'broken.dat')), { a: 1 });
    t.strictSame(readdirSync(join(dir, HOST_DIR)), ['broken.dat'], 'no scratch file left behind');
    await map.set(null, 'c', 3);
    t.strictSame(readStore(join(dir, HOST_DIR, 'broken.dat')), { a: 1, c: 3 }, 'with room again, writes work');
  });

  t.test('a folder removed under a running driver is made again', async (t) => {
    const dir = t.testdir();
    const map = driver(dir).open(HOST, 'gone', 'map');
    await map.set('alice', 'a', 1);
    rmSync(join(dir, HOST_DIR), { recursive: true });
    await map.set('alice', 'b', 2);
    t.strictSame(readStore(join(dir, HOST_DIR, 'gone/alice.dat')), { b: 2 }, 'the deleted data stays deleted');
  });

  t.test('a corrupt file is neither served nor overwritten', async (t) => {
    const dir = t.testdir({ [HOST_DIR]: { 'bad.dat': 'return { ["a"] = ;\n' } });
    const map = driver(dir).open(HOST, 'bad', 'map');
    await t.rejects(map.get(null, 'a'), { code: 'ERR_STORAGE_PARSE' });
    await t.rejects(map.set(null, 'a', 1), { code: 'ERR_STORAGE_PARSE' });
    t.equal(readFileSync(join(dir, HOST_DIR, 'bad.dat'), 'utf8'), 'return { ["a"] = ;\n');
    t.notOk(existsSync(join(dir, HOST_DIR, 'bad.dat.lock')));
  });
});

t.test('update', async (t) => {
  t.test('consumes a single-use key exactly once among concurrent callers', async (t) => {
    const map = driver(t.testdir()).open(HOST, 'tokens', 'map');
    await map.set(null, 'TOKEN', { uses: 1 });
    let wins = 0;
    await Promise.all(
      Array.from({ length: 50 }, () =>
        map.update(null, 'TOKEN', (current) => {
          if (current === undefined) return KEEP;
          wins++;
          return undefined;
        }),
      ),
    );
    t.equal(wins, 1);
    t.equal(await map.get(null, 'TOKEN'), undefined);
  });

  t.test('KEEP writes nothing, and the result is what fn returned', async (t) => {
    const dir = t.testdir();
    const map = driver(dir).open(HOST, 'keep', 'map');
    t.equal(await map.update(null, 'x', () => KEEP), KEEP);
    t.notOk(existsSync(join(dir, HOST_DIR, 'keep.dat')), 'no file was created');
    t.equal(await map.update(null, 'x', () => 5), 5);
    const before = statSync(join(dir, HOST_DIR, 'keep.dat'), { bigint: true });
    await map.update(null, 'x', () => KEEP);
    t.equal(statSync(join(dir, HOST_DIR, 'keep.dat'), { bigint: true }).ino, before.ino, 'the file was not rewritten');
  });

  t.test('an fn that throws rejects its caller only', async (t) => {
    const map = driver(t.testdir()).open(HOST, 'throws', 'map');
    const other = map.set(null, 'other', 1);
    await t.rejects(map.update(null, 'x', () => { throw new Error('boom'); }), { message: 'boom' });
    await other;
    t.equal(await map.get(null, 'other'), 1);
  });
});

t.test('never stale', async (t) => {
  t.test("another process's write is seen by the next read", async (t) => {
    const dir = t.testdir();
    const map = driver(dir).open(HOST, 'invite_token', 'map');
    await map.set(null, 'mine', 1);
    t.equal(await map.get(null, 'theirs'), undefined);
    const { code, stderr } = await child('set-key.ts', [dir, HOST, 'invite_token', '-', 'theirs', '{"type":"register"}']).done;
    t.equal(code, 0, stderr);
    t.strictSame(await map.get(null, 'theirs'), { type: 'register' });
    t.equal(await map.get(null, 'mine'), 1);
  });

  t.test('a write never overwrites a change another writer made since our last read', async (t) => {
    const dir = t.testdir();
    const map = driver(dir).open(HOST, 'invite_token', 'map');
    await map.set(null, 'a', 1);
    // Replace the file the way Prosody does (scratch + rename), with a key we have never seen.
    const file = join(dir, HOST_DIR, 'invite_token.dat');
    writeFileSync(file + '~', 'return {\n\t["a"] = 1;\n\t["prosody"] = "wrote this";\n};\n');
    renameSync(file + '~', file);
    await map.set(null, 'b', 2);
    t.strictSame(readStore(file), { a: 1, prosody: 'wrote this', b: 2 });
  });

  t.test('two processes incrementing one counter with update lose no increment', async (t) => {
    const dir = t.testdir();
    const startAt = String(Date.now() + 1500);
    const [a, b] = await Promise.all([
      child('update.ts', [dir, 'increment', '60', startAt]).done,
      child('update.ts', [dir, 'increment', '60', startAt]).done,
    ]);
    t.equal(a.code, 0, a.stderr);
    t.equal(b.code, 0, b.stderr);
    t.strictSame(readStore(join(dir, HOST_DIR, 'race.dat')), { counter: 120 });
  });

  t.test('two processes consuming the same single-use tokens: each is consumed exactly once', async (t) => {
    const dir = t.testdir();
    const map = driver(dir).open(HOST, 'race', 'map');
    const tokens = Array.from({ length: 80 }, (_, i) => `t${i}`);
    await map.setKeys(null, Object.fromEntries(tokens.map((k) => [k, { uses: 1 }])));
    const startAt = String(Date.now() + 1500);
    const runs = await Promise.all([
      child('update.ts', [dir, 'consume', '80', startAt]).done,
      child('update.ts', [dir, 'consume', '80', startAt]).done,
    ]);
    const won = runs.flatMap((r) => r.stdout.split('\n').filter(Boolean).map((l) => l.replace(/^won /, '')));
    t.strictSame(runs.map((r) => r.code), [0, 0], runs.map((r) => r.stderr).join(''));
    t.equal(won.length, 80, 'no token was consumed twice');
    t.strictSame([...new Set(won)].sort(), [...tokens].sort(), 'every token was consumed');
    t.notOk(existsSync(join(dir, HOST_DIR, 'race.dat')), 'the store is empty, so there is no file');
    t.equal(await map.get(null, 't0'), undefined);
  });
});

t.test('locks', async (t) => {
  t.test('a lock held by a live process makes a write give up with ERR_STORAGE_LOCKED', async (t) => {
    const dir = t.testdir({ [HOST_DIR]: { 'held.dat.lock': `${process.pid} ${OWN_START} ${process.pid}-0123abcd\n` } });
    const map = driver(dir, { lock: { timeoutMs: 200 } }).open(HOST, 'held', 'map');
    await t.rejects(map.set(null, 'a', 1), { code: 'ERR_STORAGE_LOCKED' });
    t.ok(existsSync(join(dir, HOST_DIR, 'held.dat.lock')), "someone else's lock is left alone");
  });

  t.test('a lock left by a dead process, or too old, is broken', async (t) => {
    const deadPid = 2 ** 22 + 12345; // above pid_max on Linux: never a live process
    const dir = t.testdir({
      [HOST_DIR]: {
        'dead.dat.lock': `${deadPid} 1 ${deadPid}-0123abcd\n`,
        'old.dat.lock': `${process.pid} ${OWN_START} ${process.pid}-0123abcd\n`,
        'recycled.dat.lock': `${process.pid} 1 ${process.pid}-0123abcd\n`,
      },
    });
    const minuteAgo = new Date(Date.now() - 60_000);
    utimesSync(join(dir, HOST_DIR, 'old.dat.lock'), minuteAgo, minuteAgo); // its last heartbeat
    const d = driver(dir, { lock: { timeoutMs: 2000 } });
    await d.open(HOST, 'dead', 'map').set(null, 'a', 1);
    await d.open(HOST, 'old', 'map').set(null, 'a', 1);
    await d.open(HOST, 'recycled', 'map').set(null, 'a', 1);
    t.strictSame(d.logs.filter((l) => l.startsWith('warn broke stale lock')).map((l) => l.replace(/^.*\.lock: /, '')), [
      `process ${deadPid} is gone`,
      `no heartbeat from process ${process.pid} for more than 10000 ms`,
      `process ${process.pid} is gone`, // the same pid, started at another time: not the owner
    ]);
    t.notOk(existsSync(join(dir, HOST_DIR, 'dead.dat.lock')));
  });
});

t.test('crash: kill -9 in the middle of a burst of sets', async (t) => {
  const dir = t.testdir();
  const burst = child('burst.ts', [dir]);
  const printed: string[] = [];
  await new Promise<void>((resolve) => {
    burst.onLine((line) => {
      printed.push(line);
      if (printed.length === 300) {
        burst.kill();
        resolve();
      }
    });
    void burst.done.then(() => resolve());
  });
  const { stdout } = await burst.done;
  const acknowledged = stdout.split('\n').filter(Boolean);
  t.ok(acknowledged.length >= 300, 'the child acknowledged writes before it was killed');
  const file = join(dir, HOST_DIR, 'burst.dat');
  const onDisk = readStore(file); // throws if the file were half-written
  for (const key of acknowledged) t.ok(key in onDisk, `${key} is in the file`, { diagnostic: false });
  t.ok(Object.keys(onDisk).length >= acknowledged.length);

  t.test('the next writer ignores the scratch file and breaks the dead lock', async (t) => {
    const map = driver(dir, { lock: { timeoutMs: 2000 } }).open(HOST, 'burst', 'map');
    await map.set(null, 'after-crash', true);
    t.equal(readStore(file)['after-crash'], true);
    t.equal(Object.keys(readStore(file)).length, Object.keys(onDisk).length + 1);
  });
});

t.test('users() lists per-user files only, decoded, ignoring scratch and lock files', async (t) => {
  const dir = t.testdir();
  const map = driver(dir).open(HOST, 'roster', 'map');
  await map.set(null, 'host-level', 1);
  await map.set('alice', 'k', 1);
  await map.set('bob.ü', 'k', 1);
  writeFileSync(join(dir, HOST_DIR, 'roster', 'carol.dat~'), 'partial');
  writeFileSync(join(dir, HOST_DIR, 'roster', 'dave.dat.lock'), '1 2 x');
  t.strictSame((await map.users()).sort(), ['alice', 'bob.ü']);
  t.strictSame(await driver(dir).open(HOST, 'nothing', 'keyval').users(), []);
});

t.test('opening the same store twice gives the same object, and close waits for writes', async (t) => {
  const dir = t.testdir();
  const d = driver(dir);
  t.equal(d.open(HOST, 'a', 'map'), d.open(HOST, 'a', 'map'));
  t.not(d.open(HOST, 'a', 'map'), d.open(HOST, 'a', 'keyval') as unknown);
  const pending = d.open(HOST, 'a', 'map').set(null, 'k', 1);
  await d.close();
  t.ok(existsSync(join(dir, HOST_DIR, 'a.dat')));
  await pending;
});

t.test('group commit: one commit takes every change that was waiting when it started', async (t) => {
  const dir = t.testdir({ [HOST_DIR]: {} });
  const map = driver(dir).open(HOST, 'batch', 'map');
  const sizes: number[] = [];
  t.teardown(onCommit((batch) => sizes.push(batch)));
  // Another process holds the lock, so the first commit waits with its one change taken...
  const other = await acquireLock(join(dir, HOST_DIR, 'batch.dat'));
  const first = map.set(null, 'first', 0);
  await new Promise((resolve) => setImmediate(resolve));
  // ...while twenty more changes queue up behind it.
  const waiting = Array.from({ length: 20 }, (_, i) => map.set(null, `k${i}`, i));
  await other.release();
  await Promise.all([first, ...waiting]);
  t.strictSame(sizes, [1, 20], 'the second commit held all twenty waiting changes');
  t.equal(Object.keys(readStore(join(dir, HOST_DIR, 'batch.dat'))).length, 21);
});

t.test('a lock holder stopped past the stale timeout cannot overwrite what was written since', async (t) => {
  const dir = t.testdir();
  const file = join(dir, HOST_DIR, 'stall.dat');
  const lock = { timeoutMs: 5000, staleMs: 300 };
  const map = driver(dir, { lock }).open(HOST, 'stall', 'map');
  await map.set(null, 'before', 1);
  const stalled = child('stall.ts', [dir, 'stall', '300']);
  const stopped = new Promise<void>((resolve) => stalled.onLine((line) => line === 'stopping' && resolve()));
  await stopped;
  // The child read the file, holds the lock and is stopped: after 300 ms without a heartbeat
  // its lock is broken, and our writes are acknowledged.
  await map.set(null, 'while-stopped', 1);
  t.strictSame(readStore(file), { before: 1, 'while-stopped': 1 });
  stalled.resume();
  const { code, stderr } = await stalled.done;
  t.equal(code, 0, stderr);
  t.match(stderr, /committing again/, 'the child noticed it had lost the lock and started over');
  t.strictSame(readStore(file), { before: 1, 'while-stopped': 1, child: 1 }, 'nothing acknowledged was lost');
  t.strictSame(readdirSync(join(dir, HOST_DIR)).sort(), ['stall.dat'], 'no lock or scratch file left');
});

t.test('writes never go through a symlink', async (t) => {
  const dir = t.testdir({ victim: 'secret\n', [HOST_DIR]: {} });
  symlinkSync(join(dir, 'victim'), join(dir, HOST_DIR, 'linked.dat'));
  const map = driver(dir).open(HOST, 'linked', 'map');
  await t.rejects(map.get(null, 'a'), { code: 'ERR_STORAGE_PARSE' }, 'what the link points to is not a data file');
  rmSync(join(dir, HOST_DIR, 'linked.dat'));
  symlinkSync(join(dir, 'victim'), join(dir, HOST_DIR, 'linked.dat'));
  writeFileSync(join(dir, 'victim'), 'return { ["a"] = 1; };\n');
  await map.set(null, 'b', 2);
  t.equal(readFileSync(join(dir, 'victim'), 'utf8'), 'return { ["a"] = 1; };\n', 'the target of the link is untouched');
  t.notOk(lstatSync(join(dir, HOST_DIR, 'linked.dat')).isSymbolicLink(), 'the link was replaced by the new file');
  t.strictSame(readStore(join(dir, HOST_DIR, 'linked.dat')), { a: 1, b: 2 });
});

t.test('a store folder writable by other users is refused', async (t) => {
  const dir = t.testdir({ [HOST_DIR]: { 'open.dat': 'return { ["planted"] = 1; };\n' } });
  chmodSync(join(dir, HOST_DIR), 0o777);
  const map = driver(dir).open(HOST, 'open', 'map');
  await t.rejects(map.get(null, 'planted'), { code: 'ERR_STORAGE_UNSAFE', message: `Refusing to use ${join(dir, HOST_DIR)}: the folder is writable by other users (mode 0777); chmod o-w it` });
  await t.rejects(map.set(null, 'a', 1), { code: 'ERR_STORAGE_UNSAFE' });
});

t.test('group commit: clients split into two halves are joined into one batch again', async (t) => {
  const dir = t.testdir({ [HOST_DIR]: {} });
  const map = driver(dir).open(HOST, 'halves', 'map');
  const sizes: number[] = [];
  t.teardown(onCommit((batch) => sizes.push(batch)));
  const client = roundTripClients(map);
  const other = await acquireLock(join(dir, HOST_DIR, 'halves.dat'));
  const first = Array.from({ length: 4 }, () => client(6)); // the first half: one commit, held by the lock
  await new Promise((resolve) => setImmediate(resolve));
  const second = Array.from({ length: 4 }, () => client(5)); // the second half queues behind it
  await other.release();
  await Promise.all([...first, ...second]);
  t.strictSame(sizes.slice(0, 2), [4, 8], 'the commit after the first waits for its callers and holds all eight');
  t.ok(sizes.slice(1, 5).every((s) => s === 8), `then every client in every commit (${sizes.join(', ')})`);
  t.equal(sizes.reduce((a, b) => a + b, 0), 44);
});

t.test('a big file is taken before its check: only adding keys goes ahead of it', async (t) => {
  // Past UNCHECKED_FROM (1 MiB): 4,000 invites of about 330 bytes.
  const now = 1_700_000_000;
  const invite = (token: string) => ({ type: 'register', jid: HOST, token, allow_registration: true, uri: `xmpp:${HOST}?register;preauth=${token}`, created_at: now, expires: now + 604800, additional_data: { source: 'api/token/prefill0000' } });
  const tokens = Array.from({ length: 4000 }, (_, i) => `token${String(i).padStart(5, '0')}`);
  const items = tokens.map((k) => entryText(k, invite(k)));
  const write = (dir: string, text: string) => {
    mkdirSync(join(dir, HOST_DIR), { recursive: true, mode: 0o750 });
    const file = join(dir, HOST_DIR, 'invite_token.dat');
    writeFileSync(file, text, { mode: 0o640 });
    t.ok(statSync(file).size >= UNCHECKED_FROM, 'big enough to be taken unchecked');
    return file;
  };

  t.test("in Prosody's layout: the file grows by the new item alone, and every read sees all of it", async (t) => {
    const dir = t.testdir();
    const before = fileText(items);
    const file = write(dir, before);
    const map = driver(dir).open(HOST, 'invite_token', 'map');
    const [, found, missing] = await Promise.all([map.set(null, 'fresh', invite('fresh')), map.get(null, 'token01234'), map.get(null, 'nope')]);
    t.equal(readFileSync(file, 'latin1'), before.slice(0, -'\n};\n'.length) + entryText('fresh', invite('fresh')) + '\n};\n', 'appended, nothing else changed');
    t.strictSame(found, invite('token01234'));
    t.equal(missing, undefined);
    const keys = (await collect(map.entries(null))).map(([k]) => k);
    t.strictSame(keys, [...tokens, 'fresh'], 'in file order, the new key last');
    await map.set(null, 'token00000', undefined); // a removal waits for the check, then rewrites
    t.equal(await map.get(null, 'token00000'), undefined);
    t.equal(Object.keys(readStore(file)).length, 4000);
  });

  t.test('a file that ends right but is broken inside: reads report it, and an append made before the check found out stays after the damage', async (t) => {
    // What an append ahead of the check cannot know is that the file was unreadable already.
    // Whether the set came before the check ended or after, the store then fails as before.
    const dir = t.testdir();
    const broken = [...items];
    broken[2000] = '\n\t["token02000"] = { oops oops };';
    const file = write(dir, fileText(broken));
    const d = driver(dir);
    const map = d.open(HOST, 'invite_token', 'map');
    const set = await map.set(null, 'fresh', 1).then(() => 'stored', (err: { code?: string }) => err.code);
    if (set === 'stored') t.match(readFileSync(file, 'latin1'), /\["fresh"\] = 1;\n};\n$/, 'appended after the damage');
    else t.equal(set, 'ERR_STORAGE_PARSE', 'or refused, when the check ended first');
    await t.rejects(map.get(null, 'token00001'), { code: 'ERR_STORAGE_PARSE' });
    await t.rejects(map.set(null, 'another', 2), { code: 'ERR_STORAGE_PARSE' }, 'and later commits fail, as they did before');
    if (set === 'stored') t.match(d.logs.join('\n'), /warn .*invite_token\.dat: reading it again in full, as its check failed: .*line \d+/);
  });

  t.test('a file Lua loads but not in our layout is read again in full after the append', async (t) => {
    const dir = t.testdir();
    const text = 'return {' + items.join('').replace('\n\t["token00007"]', ' ["token00007"]') + '\n};\n';
    const file = write(dir, text);
    const d = driver(dir);
    const map = d.open(HOST, 'invite_token', 'map');
    await map.set(null, 'fresh', 1);
    t.strictSame(await map.get(null, 'token00007'), invite('token00007'));
    t.equal(await map.get(null, 'fresh'), 1);
    t.equal((await collect(map.entries(null))).length, 4001);
    t.equal(Object.keys(readStore(file)).length, 4001);
  });

  t.test('a key set again before the check is there once, with the new value, as Lua reads the file', async (t) => {
    const dir = t.testdir();
    const file = write(dir, fileText(items));
    const map = driver(dir).open(HOST, 'invite_token', 'map');
    await map.set(null, 'token00009', 'replaced');
    t.equal(readStore(file).token00009, 'replaced', 'a later field wins');
    t.equal(await map.get(null, 'token00009'), 'replaced');
    const entries = await collect(map.entries(null));
    t.equal(entries.filter(([k]) => k === 'token00009').length, 1);
    t.equal(entries.length, 4000);
  });

  t.test('an update, which looks at the value, waits for the check', async (t) => {
    const dir = t.testdir();
    write(dir, fileText(items));
    const map = driver(dir).open(HOST, 'invite_token', 'map');
    const seen = await map.update(null, 'token03999', (current) => current);
    t.strictSame(seen, invite('token03999'));
  });

  t.test('a write by another process while the check runs is seen', async (t) => {
    const dir = t.testdir();
    write(dir, fileText(items));
    const mine = driver(dir).open(HOST, 'invite_token', 'map');
    const theirs = driver(dir).open(HOST, 'invite_token', 'map');
    await mine.set(null, 'mine', 1);
    await theirs.set(null, 'theirs', 2);
    t.equal(await mine.get(null, 'theirs'), 2);
    t.equal(await theirs.get(null, 'mine'), 1);
    t.equal((await collect(mine.entries(null))).length, 4002);
  });
});
