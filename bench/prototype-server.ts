/**
 * How far the internal file format can go: a stand-alone server that mints invites into
 * `invite_token.dat` in Prosody's format with the same durability promise as Canto (a 201 only
 * once the whole file is replaced and fsynced, folder included) and an inter-process lock, but
 * with nothing else on the request path. Not Canto: a yardstick for what limits Canto.
 *
 * What it does differently from runtime/storage/data-file.ts:
 * - every entry is kept as its encoded bytes and the file is written with one writev of them,
 *   so a commit never builds, flattens or UTF-8-encodes a multi-megabyte string;
 * - commits overlap: batch N+1 writes and fsyncs its scratch file while batch N is still
 *   renaming and fsyncing the folder, so the two flushes of consecutive batches overlap;
 * - the request touches one store (no second file for the key's last use).
 *
 * Mode `journal` goes one step further and leaves the whole-file rewrite off the request path:
 * a batch is appended to `invite_token.dat.journal` (the same `["token"] = {...};` items) with
 * one fdatasync, and the journal is folded into invite_token.dat every 5 s. The real Prosody
 * would then see new invites up to 5 s late; the point is to measure what that buys.
 *
 * Usage: node --import tsx bench/prototype-server.ts DATA_DIR KEY [rewrite|journal]
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { open, rename, unlink, type FileHandle } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { entryText, parseFields } from '../runtime/storage/lua-data.js';
import { inviteFile, HOST } from './lib/store.js';

const [dataDir, key, mode = 'rewrite'] = process.argv.slice(2) as [string, string, string?];
const path = inviteFile(dataDir);
const journalPath = `${path}.journal`;
const COMPACT_EVERY_MS = 5_000;
const keyDigest = createHash('sha256').update(key).digest();
const WEEK = 7 * 86400;
const HEAD = Buffer.from('return {');
const TAIL = Buffer.from('\n};\n');

const entries: Buffer[] = [];
function readItems(file: string, wrap: (text: string) => string): void {
  try {
    for (const f of parseFields(wrap(readFileSync(file, 'utf8')), file)) entries.push(Buffer.from(f.text ?? entryText(f.key, f.value)));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
readItems(path, (text) => text);
readItems(journalPath, (text) => `return {${text}\n};\n`); // a crash before the last fold

interface Waiting {
  entry: Buffer;
  done(error?: Error): void;
}
let queue: Waiting[] = [];
/** The commit whose rename the next one must follow; its folder fsync may still be running. */
let renamed: Promise<void> = Promise.resolve();
let writing = false;
let generation = 0;

async function syncDir(dir: string): Promise<void> {
  const fh = await open(dir, 'r');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

/**
 * The inter-process lock (`<file>.lock`, O_EXCL, as the runtime's) is held while any commit is
 * in flight: overlapping commits share one acquisition.
 */
let lockUsers = 0;
let lockTaken: Promise<void> = Promise.resolve();

function takeLock(): Promise<void> {
  if (lockUsers++ === 0) {
    lockTaken = (async () => {
      for (;;) {
        try {
          await (await open(`${path}.lock`, 'wx', 0o640)).close();
          return;
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
          await new Promise((r) => setTimeout(r, 2));
        }
      }
    })();
  }
  return lockTaken;
}

async function dropLock(): Promise<void> {
  if (--lockUsers === 0) await unlink(`${path}.lock`);
}

async function commit(batch: Waiting[]): Promise<void> {
  const scratch = `${path}~${generation++}`; // one per commit: overlapping commits must not share a scratch file
  await takeLock();
  const all = [HEAD, ...entries, ...batch.map((w) => w.entry), TAIL];
  const fh = await open(scratch, 'w', 0o640);
  try {
    await fh.writev(all);
    await fh.sync();
  } finally {
    await fh.close();
  }
  for (const w of batch) entries.push(w.entry);
  const previous = renamed;
  let markRenamed!: () => void;
  renamed = new Promise((r) => (markRenamed = r));
  writing = false;
  kick(); // the next batch may start writing its scratch file now
  await previous;
  await rename(scratch, path);
  markRenamed();
  await syncDir(dirname(path)); // makes this rename (and any earlier one) durable
  await dropLock();
  for (const w of batch) w.done();
}

let journal: FileHandle | undefined;
let folded = Date.now();

/** Journal mode: one append + fdatasync per batch; the whole file only every few seconds. */
async function journalCommit(batch: Waiting[]): Promise<void> {
  journal ??= await open(journalPath, 'a', 0o640);
  await journal.write(Buffer.concat(batch.map((w) => w.entry)));
  await journal.datasync();
  for (const w of batch) entries.push(w.entry);
  for (const w of batch) w.done();
  if (Date.now() - folded >= COMPACT_EVERY_MS) {
    await takeLock();
    const scratch = `${path}~`;
    const fh = await open(scratch, 'w', 0o640);
    try {
      await fh.writev([HEAD, ...entries, TAIL]);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(scratch, path);
    await syncDir(dirname(path));
    await journal.truncate(0); // only once the folded file is durable
    await journal.datasync();
    await dropLock();
    folded = Date.now();
  }
  writing = false;
  kick();
}

function kick(): void {
  if (writing || queue.length === 0) return;
  writing = true;
  const batch = queue;
  queue = [];
  (mode === 'journal' ? journalCommit(batch) : commit(batch)).catch((err: Error) => {
    writing = false;
    for (const w of batch) w.done(err);
  });
}

function keyMatches(presented: string | null): boolean {
  if (!presented) return false;
  return timingSafeEqual(createHash('sha256').update(presented).digest(), keyDigest);
}

const server = createServer((request, response) => {
  const url = new URL(request.url ?? '/', 'http://x');
  if (!keyMatches(url.searchParams.get('key'))) {
    response.writeHead(403, { 'Content-Length': '0' }).end();
    return;
  }
  const token = randomBytes(18).toString('base64url');
  const now = Math.floor(Date.now() / 1000);
  const uri = `xmpp:${HOST}?register;preauth=${token}`;
  const record = { type: 'register', jid: HOST, token, allow_registration: true, uri, created_at: now, expires: now + WEEK, additional_data: { source: 'api/token/prototype' } };
  queue.push({
    entry: Buffer.from(entryText(token, record)),
    done(error) {
      if (error) response.writeHead(500, { 'Content-Length': '0' }).end();
      else response.writeHead(201, { Location: uri, 'Content-Length': '0' }).end();
    },
  });
  queueMicrotask(kick);
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object') process.stderr.write(`prototype listening on 127.0.0.1:${address.port}\n`);
});
