import t from 'tap';
import { LogDigest } from '../../runtime/log-digest.js';

const nextTurn = () => new Promise((r) => setImmediate(r));

t.test('the first event of a key is logged, the rest of the window as one line with the count', async (t) => {
  const lines: string[] = [];
  const digest = new LogDigest((line) => lines.push(line), { windowSeconds: 60 });
  for (let i = 0; i < 1000; i++) digest.note('192.0.2.7', `Refused request from 192.0.2.7: attempt ${i}`);
  t.same(lines, [], 'nothing is written on the caller’s stack');
  await nextTurn();
  t.same(lines, ['Refused request from 192.0.2.7: attempt 0']);
  digest.flush();
  t.same(lines, ['Refused request from 192.0.2.7: attempt 0', 'Refused request from 192.0.2.7: attempt 999 (999 more like it in the last 60 s)']);
  digest.note('192.0.2.7', 'again');
  await nextTurn();
  t.equal(lines.at(-1), 'again', 'after a flush the next event is news again');
  digest.flush();
});

t.test('keys beyond maxKeys are summed up in one line', async (t) => {
  const lines: string[] = [];
  const digest = new LogDigest((line) => lines.push(line), { windowSeconds: 10, maxKeys: 5 });
  for (let i = 0; i < 500; i++) digest.note(`10.0.${i >> 8}.${i & 255}`, `from 10.0.${i >> 8}.${i & 255}`);
  await nextTurn();
  t.equal(lines.length, 5, 'one line for each of the first five');
  digest.flush();
  t.equal(lines.length, 6);
  t.equal(lines[5], '495 more events from more than 5 other sources in the last 10 s (not logged one by one)', 'the count of sources is bounded too');
});

t.test('a key quiet for a whole window is dropped; the timer ends with the last one', async (t) => {
  const lines: string[] = [];
  const digest = new LogDigest((line) => lines.push(line), { windowSeconds: 1 });
  digest.note('a', 'one');
  await nextTurn();
  t.equal(digest.size, 1);
  digest.flush();
  t.equal(digest.size, 0);
  t.same(lines, ['one'], 'no summary when nothing more happened');
});
