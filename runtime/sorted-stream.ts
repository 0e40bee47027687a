/**
 * Sorting a stream that may not fit in memory (an external merge sort): items are taken a run
 * at a time, each run sorted and written to a temporary file as JSON lines, and the runs merged
 * back as they are read. A stream shorter than one run never touches the disk. Memory stays
 * around one run plus a read buffer per run file, however long the stream is: `ctl mod_invites
 * list` on a million invites prints them oldest first without holding them.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, open, rm, type FileHandle } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StringDecoder } from 'node:string_decoder';

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

/** Bytes read from a run file at a time: with a hundred runs being merged, this is what each holds. */
const READ_SIZE = 16 * 1024;

/**
 * A run file's items, read a small slice at a time. Not readline: its async iterator buffers up
 * to a thousand lines per file before it pauses the stream, about a megabyte per run here, which
 * is what grew `ctl mod_invites list` with the number of runs.
 */
function fileCursor<T>(file: string, opened: (() => void)[]): Cursor<T> {
  let handle: FileHandle | undefined;
  let closed = false;
  opened.push(() => {
    closed = true;
    void handle?.close().catch(() => undefined);
  });
  const buffer = Buffer.alloc(READ_SIZE);
  let lines: string[] = [];
  let partial = '';
  let done = false;
  const decoder = new StringDecoder('utf8');
  return async () => {
    for (;;) {
      const line = lines.pop();
      if (line !== undefined) {
        if (line !== '') return JSON.parse(line) as T;
        continue;
      }
      if (done || closed) return null;
      handle ??= await open(file, 'r');
      const { bytesRead } = await handle.read(buffer, 0, READ_SIZE, null);
      const text = partial + (bytesRead > 0 ? decoder.write(buffer.subarray(0, bytesRead)) : decoder.end());
      if (bytesRead === 0) {
        done = true;
        partial = '';
        lines = [text];
        continue;
      }
      const parts = text.split('\n');
      partial = parts.pop()!;
      lines = parts.reverse(); // taken from the end
    }
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
