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
 * Usage: node --import tsx bench/prototype-server.ts DATA_DIR KEY
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { open, rename, unlink } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname } from 'node:path';
import { entryText, parseFields } from '../runtime/storage/lua-data.js';
import { inviteFile, HOST } from './lib/store.js';

const [dataDir, key] = process.argv.slice(2) as [string, string];
const path = inviteFile(dataDir);
const keyDigest = createHash('sha256').update(key).digest();
const WEEK = 7 * 86400;
const HEAD = Buffer.from('return {');
const TAIL = Buffer.from('\n};\n');

const entries: Buffer[] = [];
try {
  for (const f of parseFields(readFileSync(path, 'utf8'), path)) entries.push(Buffer.from(f.text ?? entryText(f.key, f.value)));
} catch (err) {
  if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
}

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

function kick(): void {
  if (writing || queue.length === 0) return;
  writing = true;
  const batch = queue;
  queue = [];
  commit(batch).catch((err: Error) => {
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
