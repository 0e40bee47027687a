import { readdirSync } from 'node:fs';
import t from 'tap';
import { sortedStream } from '../../runtime/sorted-stream.js';
import { collect } from '../../runtime/storage/types.js';

async function* from<T>(items: readonly T[]): AsyncGenerator<T> {
  for (const item of items) yield item;
}

const byN = (a: { n: number; id: string }, b: { n: number; id: string }) => a.n - b.n || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

t.test('a stream longer than one run comes out sorted, through run files that are removed after', async (t) => {
  const tmp = t.testdir();
  const saved = process.env.TMPDIR;
  process.env.TMPDIR = tmp;
  t.teardown(() => void (saved === undefined ? delete process.env.TMPDIR : (process.env.TMPDIR = saved)));
  const items = Array.from({ length: 1000 }, (_, i) => ({ n: (i * 7919) % 37, id: `id${i}`, note: 'caf\u00e9 \u{1F600}' }));
  const seen: string[][] = [];
  const out: typeof items = [];
  for await (const item of sortedStream(from(items), byN, 64)) {
    if (!out.length) seen.push(readdirSync(tmp));
    out.push(item);
  }
  t.strictSame(out, [...items].sort(byN), 'every item, in order, unchanged');
  t.equal(seen[0]!.length, 1, 'the runs were on disk while merging');
  t.strictSame(readdirSync(tmp), [], 'and are gone afterwards');

  for await (const item of sortedStream(from(items), byN, 64)) if (item) break;
  t.strictSame(readdirSync(tmp), [], 'also when the reader stops early');
});

t.test('short streams: empty, one run exactly, one run and one item', async (t) => {
  t.strictSame(await collect(sortedStream(from<{ n: number; id: string }>([]), byN, 4)), []);
  const four = [3, 1, 2, 0].map((n) => ({ n, id: 'x' }));
  t.strictSame((await collect(sortedStream(from(four), byN, 4))).map((i) => i.n), [0, 1, 2, 3]);
  const five = [4, 3, 1, 2, 0].map((n) => ({ n, id: 'x' }));
  t.strictSame((await collect(sortedStream(from(five), byN, 4))).map((i) => i.n), [0, 1, 2, 3, 4]);
});

t.test('run files are read a slice at a time: items longer than a slice, and characters split between slices', async (t) => {
  // 16 KiB slices: items of 40 KB, and others whose multi-byte characters fall on every offset.
  const big = Array.from({ length: 30 }, (_, i) => ({ n: i % 7, id: `big${i}`, note: '\u00e9'.repeat(20_000 + i) }));
  const odd = Array.from({ length: 300 }, (_, i) => ({ n: i % 11, id: `odd${i}`, note: 'x'.repeat(i % 5) + '\u{1F600}\u20ac'.repeat(i % 13) }));
  const items = [...big, ...odd];
  const out = await collect(sortedStream(from(items), byN, 16));
  t.strictSame(out, [...items].sort(byN), 'every item, whole and in order');
});
