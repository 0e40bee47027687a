/**
 * The check of a big data file taken unchecked (FileImage `unchecked`), in a worker thread:
 * parsing it needs the whole file as one string, 37 MB at 100,000 invites, which on the main
 * thread stays in memory until a full garbage collection happens to run (often not for as long
 * as the server is quiet). Here it goes with the thread. The reply is the file's layout, or
 * null when it is not in Prosody's layout, or the error reading it gave.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { FileImage } from './file-image.js';
import type { Layout } from './file-image.js';

export interface CheckRequest {
  readonly file: string;
  /** A copy of the file's bytes, the worker's own. */
  readonly bytes: Uint8Array;
}
export type CheckReply = { ok: true; layout: Layout | null } | { ok: false; error: string };

const { file, bytes } = workerData as CheckRequest;
const port = parentPort!;

FileImage.layout(file, Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), Infinity).then(
  (layout) => port.postMessage({ ok: true, layout } satisfies CheckReply, layout ? [layout.spans.buffer as ArrayBuffer] : []),
  (err: unknown) => port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) } satisfies CheckReply),
);
