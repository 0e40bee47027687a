/**
 * Sorting a stream that may not fit in memory (an external merge sort): items are taken a run
 * at a time, each run sorted and written to a temporary file as JSON lines, and the runs merged
 * back as they are read. A stream shorter than one run never touches the disk. Memory stays
 * around one run plus a read buffer per run file, however long the stream is: `ctl mod_invites
 * list` on a million invites prints them oldest first without holding them.
 */
import { once } from 'node:events';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** Items per run: small enough to sort in a few MB, large enough that a million is 100 files. */
export const SORT_RUN_SIZE = 10_000;

/** One run's next item; `null` once it is exhausted. */
type Cursor<T> = () => Promise<T | null>;

async function writeRun<T>(file: string, items: readonly T[]): Promise<void> {
  // The folder is mkdtemp's (0700) and the file 0600: the items may hold secrets such as tokens.
  const out = createWriteStream(file, { mode: 0o600 });
  const failed = new Promise<never>((_, reject) => out.once('error', reject));
  for (const item of items) {
    if (!out.write(JSON.stringify(item) + '\n')) await Promise.race([once(out, 'drain'), failed]);
  }
  out.end();
  await Promise.race([once(out, 'finish'), failed]);
}

function fileCursor<T>(file: string, opened: (() => void)[]): Cursor<T> {
  const input = createReadStream(file, { encoding: 'utf8' });
  opened.push(() => input.destroy());
  const lines = createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
  return async () => {
    const next = await lines.next();
    return next.done ? null : (JSON.parse(next.value as string) as T);
  };
}

function arrayCursor<T>(items: readonly T[]): Cursor<T> {
  let i = 0;
  return async () => (i < items.length ? items[i++]! : null);
}

/**
 * `items` in the order of `compare`, read and yielded a run at a time. Items must survive
 * `JSON.stringify` (store values do) and not be null. Temporary files live in the system's temp folder and are
 * removed when the iteration ends, finished or not.
 * @example for await (const invite of sortedStream(store.entries(null), byCreation)) print(invite)
 */
export async function* sortedStream<T>(items: AsyncIterable<T>, compare: (a: T, b: T) => number, runSize = SORT_RUN_SIZE): AsyncGenerator<T> {
  let dir: string | undefined;
  const opened: (() => void)[] = [];
  try {
    const files: string[] = [];
    let run: T[] = [];
    for await (const item of items) {
      run.push(item);
      if (run.length < runSize) continue;
      dir ??= await mkdtemp(join(tmpdir(), 'canto-sort-'));
      const file = join(dir, `run-${files.length}`);
      await writeRun(file, run.sort(compare));
      files.push(file);
      run = [];
    }
    run.sort(compare);
    if (!files.length) {
      yield* run;
      return;
    }
    // A binary min-heap of the runs' current heads.
    const heap: { item: T; next: Cursor<T> }[] = [];
    const less = (a: number, b: number) => compare(heap[a]!.item, heap[b]!.item) < 0;
    const swap = (a: number, b: number) => ([heap[a], heap[b]] = [heap[b]!, heap[a]!]);
    const up = (i: number) => {
      for (let p = (i - 1) >> 1; i > 0 && less(i, p); i = p, p = (i - 1) >> 1) swap(i, p);
    };
    const down = (i: number) => {
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < heap.length && less(l, m)) m = l;
        if (r < heap.length && less(r, m)) m = r;
        if (m === i) return;
        swap(i, m);
        i = m;
      }
    };
    for (const next of [arrayCursor(run), ...files.map((f) => fileCursor<T>(f, opened))]) {
      const item = await next();
      if (item === null) continue;
      heap.push({ item, next });
      up(heap.length - 1);
    }
    while (heap.length) {
      const top = heap[0]!;
      yield top.item;
      const item = await top.next();
      if (item !== null) {
        top.item = item;
      } else {
        heap[0] = heap[heap.length - 1]!;
        heap.pop();
      }
      if (heap.length) down(0);
    }
  } finally {
    for (const close of opened) close();
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}
