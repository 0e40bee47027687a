/**
 * Micro-bench of the internal storage driver on a host-level invite store of 10,000 records
 * (~4 MB): cold parse, one set() (write + fsync), 100 concurrent set()s (group commit), a read
 * after another writer changed the file. Run: node --import tsx bench/storage.ts
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { writeAtomic } from '../runtime/storage/durable-fs.js';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InternalDriver } from '../runtime/storage/internal.js';
import { parseData } from '../runtime/storage/lua-data.js';

const RECORDS = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'canto-storage-bench-'));
const ctx = { dataPath: dir, options: new Map(), log: () => {} };

function invite(i: number) {
  const token = `tok${String(i).padStart(21, '0')}`;
  return {
    token, type: 'register', jid: 'example.com', allow_registration: true,
    uri: `xmpp:example.com?register;preauth=${token}`,
    landing_page: `https://example.com/invites_page?${token}`,
    created_at: 1795348416 + i, expires: 1795953216 + i,
    additional_data: { groups: { friends: true }, source: 'api/token/32Cmdy9Xpv_d', note: 'n'.repeat(20) },
  };
}

async function time<T>(label: string, fn: () => Promise<T> | T): Promise<T> {
  const start = performance.now();
  const result = await fn();
  console.log(`${label.padEnd(48)} ${(performance.now() - start).toFixed(1).padStart(8)} ms`);
  return result;
}

try {
  const a = new InternalDriver(ctx).open('example.com', 'invite_token', 'map');
  await time(`fill ${RECORDS} records in one setKeys`, () =>
    a.setKeys(null, Object.fromEntries(Array.from({ length: RECORDS }, (_, i) => [invite(i).token, invite(i)]))));
  const file = join(dir, 'example%2ecom', 'invite_token.dat');
  const text = readFileSync(file, 'utf8');
  console.log(`file size ${(text.length / 1e6).toFixed(2)} MB`);
  for (let i = 0; i < 3; i++) await time(`baseline: bare write+fsync+rename of that file #${i + 1}`, () => writeAtomic(join(dir, 'copy.dat'), Buffer.from(text)));
  await time('parseData (cold)', () => parseData(text, file));
  await time('parseData (warm)', () => parseData(text, file));

  for (let i = 0; i < 3; i++) await time(`one set() into the full file #${i + 1}`, () => a.set(null, `extra${i}`, invite(RECORDS + i)));
  await time('100 concurrent set()s (group commit)', () =>
    Promise.all(Array.from({ length: 100 }, (_, i) => a.set(null, `batch${i}`, invite(RECORDS + 100 + i)))));
  await time('get() from cache (stat only)', () => a.get(null, 'extra0'));

  const b = new InternalDriver(ctx).open('example.com', 'invite_token', 'map');
  await time('other driver: first get() (load + parse)', () => b.get(null, 'extra0'));
  await b.set(null, 'from-b', 1);
  await time('get() after another writer changed the file', () => a.get(null, 'from-b'));
  await time('set() right after that reload (verbatim entries)', () => a.set(null, 'after', 1));
} finally {
  rmSync(dir, { recursive: true, force: true });
}
