/**
 * The check of a big data file taken unchecked (FileImage `unchecked`), in a worker thread:
 * parsing it needs the whole file as one string, 37 MB at 100,000 invites, which on the main
 * thread stays in memory until a full garbage collection happens to run (often not for as long
 * as the server is quiet). Here it goes with the thread, and so does the file's second read. The
 * reply is the file's layout, or null when it is not in Prosody's layout, or the error reading
 * it gave.
 */
import { readFileSync } from 'node:fs';
import { parentPort, workerData } from 'node:worker_threads';
import { FileImage } from './file-image.js';
import type { Layout } from './file-image.js';

export interface CheckRequest {
  readonly file: string;
  /** A descriptor of the version the image was read from, opened for this check (see openIfVersion). */
  readonly fd: number;
}
export type CheckReply = { ok: true; layout: Layout | null } | { ok: false; error: string };

const { file, fd } = workerData as CheckRequest;
const port = parentPort!;

Promise.resolve()
  .then(() => FileImage.layout(file, readFileSync(fd)))
  .then(
    (layout) => port.postMessage({ ok: true, layout } satisfies CheckReply, layout ? [layout.spans.buffer as ArrayBuffer] : []),
    (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies CheckReply),
  );
