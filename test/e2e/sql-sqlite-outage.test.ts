/**
 * SQLite that cannot be written for a while: its disk full, or another process holding the
 * write lock past the busy timeout. Requests that need to write answer 503
 * with Retry-After, the server stays up, and once the database can be written again it serves
 * as before, every invite it acknowledged still there.
 */
import { closeSync, openSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import type { Test } from 'tap';
import { FIXTURES, request, runCtl, startCanto, testConfig } from '../helpers/canto.js';
import type { Reply } from '../helpers/canto.js';
import { smallDisk } from '../helpers/small-disk.js';

const HOST = { Host: 'example.com' };
const tokenOf = (r: Reply) => /[?=]([A-Za-z0-9_-]{24})$/.exec(String(r.headers.location))?.[1];

async function sqliteServer(t: Test) {
  const disk = smallDisk(t, '64m');
  const database = join(disk, 'prosody.sqlite');
  const config = testConfig(['invites', 'invites_api', 'invite_user'], `storage = "sql"\nsql = { driver = "SQLite3", database = ${JSON.stringify(database)} }\nplugin_paths = { ${JSON.stringify(join(FIXTURES, 'plugins'))} }`);
  // The server's own folder beside the small disk (a test has one testdir, and that is the disk).
  const dir = `${disk}-server`;
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const server = await startCanto(t, { config, dir });
  const key = (await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com'])).stdout.trim();
  const mint = () => request(server.url(`/invites_api?key=${key}`), { headers: HOST });
  return { disk, database, server, mint };
}

t.test('a full disk: 503 with Retry-After, then back to 201 once there is room', async (t) => {
  const { disk, server, mint } = await sqliteServer(t);
  const before = await Promise.all([mint(), mint(), mint()]);
  t.strictSame(before.map((r) => r.status), [201, 201, 201]);

  // Fill what is left of the disk (the mount point itself can be remounted read-only only
  // while nothing holds a file open for writing, and the server does).
  const filler = join(disk, 'filler');
  const fd = openSync(filler, 'w');
  const block = Buffer.alloc(64 * 1024);
  try {
    for (;;) writeSync(fd, block);
  } catch (err) {
    t.equal((err as NodeJS.ErrnoException).code, 'ENOSPC', 'the disk is full');
  } finally {
    closeSync(fd);
  }
  const down = await mint();
  t.equal(down.status, 503, 'cannot write: 503');
  t.equal(down.headers['retry-after'], '5', 'with Retry-After');
  t.match(await server.logged(/Storage unavailable/), /Storage unavailable/);
  t.equal(server.process.exitCode, null, 'the server is still running');

  unlinkSync(filler);
  const after = await mint();
  t.equal(after.status, 201, 'room again: 201 without a restart');
  const listed = await runCtl(server.dir, ['mod_invites', 'list', 'example.com']);
  t.match(listed.stdout, /^4 pending invites$/m);
  for (const r of [...before, after]) t.ok(listed.stdout.includes(`${tokenOf(r)}\t`), `${tokenOf(r)} is there`);
});

t.test('the write lock held by another process past the busy timeout: 503, then served again', async (t) => {
  const { database, server, mint } = await sqliteServer(t);
  const invite = await mint();
  t.equal(invite.status, 201);
  const token = tokenOf(invite)!;

  const holder = new Database(database);
  t.teardown(() => holder.close());
  holder.exec('BEGIN EXCLUSIVE');
  const [minted, used] = await Promise.all([mint(), request(server.url(`/invite_user/${token}`), { method: 'POST', headers: HOST })]);
  t.strictSame([minted.status, minted.headers['retry-after']], [503, '5'], 'a new invite waits, then gets 503');
  t.strictSame([used.status, used.headers['retry-after']], [503, '5'], 'so does using one (update holds no lock it did not get)');
  t.equal(server.process.exitCode, null, 'the server is still running');
  holder.exec('ROLLBACK');

  t.equal((await mint()).status, 201, 'the lock is gone: 201');
  const again = await request(server.url(`/invite_user/${token}`), { method: 'POST', headers: HOST });
  t.strictSame([again.status, again.body], [200, 'used'], 'and the invite that waited is used now, once');
});
