/**
 * The server answers as soon as it listens, while its invite store is still being read: a
 * request that needs the store waits for the read (and then sees every invite already in the
 * file), the others do not wait at all. The store file is a named pipe here, so the read lasts
 * exactly until the test lets it finish: no timing.
 */
import t from 'tap';
import { execFileSync } from 'node:child_process';
import { closeSync, constants, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { entryText, fileText, parseData } from '../../runtime/storage/lua-data.js';
import type { StoreTable } from '../../runtime/storage/types.js';
import { giveToServiceUser, request, runCtl, startCanto, testConfig, writeFiles } from '../helpers/canto.js';

const URI = /^xmpp:example\.com\?register;preauth=([A-Za-z0-9_-]{24})$/;
const TOKENS = ['AAAAAAAAAAAAAAAAAAAAAAAA', 'BBBBBBBBBBBBBBBBBBBBBBBB', 'CCCCCCCCCCCCCCCCCCCCCCCC'];

/**
 * Open the pipe's writing end, which works only once the server has opened it to read. A
 * server that reads the store only when a request needs it never does: give up after 20 s.
 */
async function writerOf(fifo: string): Promise<number | undefined> {
  for (let tries = 0; tries < 4000; tries++) {
    try {
      return openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENXIO') throw err; // ENXIO: no reader yet
      await sleep(5);
    }
  }
  return undefined;
}

t.test('a request that needs the store waits for its read; the server answers others meanwhile', async (t) => {
  const dir = t.testdir();
  const config = testConfig(['invites', 'invites_api']);
  writeFiles(dir, { 'prosody.cfg.lua': config });
  const created = await runCtl(dir, ['mod_invites_api', 'create', 'example.com']);
  t.equal(created.code, 0, created.stderr);
  const key = created.stdout.trim();

  const now = Math.floor(Date.now() / 1000);
  const content = fileText(TOKENS.map((token) => entryText(token, { type: 'register', jid: 'example.com', token, allow_registration: true, created_at: now, expires: now + 86400 })));
  const hostDir = join(dir, 'data', 'example%2ecom');
  const store = join(hostDir, 'invite_token.dat');
  const staged = join(hostDir, 'invite_token.staged');
  writeFileSync(staged, content, { mode: 0o640 });
  execFileSync('mkfifo', ['-m', '0640', store]);
  giveToServiceUser(join(dir, 'data'));

  const server = await startCanto(t, { config, dir });
  const fd = await writerOf(store);
  if (fd === undefined) return t.fail('the server did not start reading the invite store once it listened');
  t.pass('the server reads the invite store ahead, before any request needs it');

  let settled = false;
  const minted = request(server.url(`/invites_api?key=${key}`)).finally(() => (settled = true));
  const refused = await request(server.url('/invites_api?key=not-a-key'));
  t.equal(refused.status, 403, 'a request that needs only the API keys is answered while the invite store is read');
  t.equal(settled, false, 'the request that needs the invite store is still waiting for it');

  // Let the read finish: the file is in place (a regular file) and the pipe delivers the same bytes.
  renameSync(staged, store);
  writeSync(fd, content);
  closeSync(fd);

  const reply = await minted;
  t.equal(reply.status, 201, reply.body);
  const token = URI.exec(String(reply.headers.location))?.[1];
  t.ok(token, String(reply.headers.location));
  const onDisk = parseData(readFileSync(store, 'utf8'), store) as StoreTable;
  t.strictSame(Object.keys(onDisk).sort(), [...TOKENS, token].sort(), 'the new invite joined the ones the store already held');
});
