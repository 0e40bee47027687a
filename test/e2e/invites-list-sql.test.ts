/**
 * `ctl mod_invites list` on a store larger than one sort run (SQLite): the listing streams,
 * through runs sorted on disk, and is byte for byte what sorting the whole store gives —
 * oldest first, ties by token, expired invites left out, the count last.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { SORT_RUN_SIZE } from '../../runtime/sorted-stream.js';
import { giveToServiceUser, runCtl, testConfig, writeFiles } from '../helpers/canto.js';
import { fillSqlite, inviteRow } from '../helpers/sqlite-rows.js';

const HOST = 'example.com';
const iso = (s: number) => new Date(s * 1000).toISOString().replace('.000Z', 'Z');

t.test('the list of 2.5 sort runs of invites is ordered and identical to a whole-store sort', async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'prosody.cfg.lua': testConfig(['invites'], 'storage = "sql"\nsql = { driver = "SQLite3", database = "prosody.sqlite" }') });
  mkdirSync(join(dir, 'data'), { mode: 0o750 });
  const now = Math.floor(Date.now() / 1000);
  const count = Math.floor(SORT_RUN_SIZE * 2.5);
  const expected: { created: number; token: string; line: string }[] = [];
  fillSqlite(join(dir, 'data', 'prosody.sqlite'), count + 40, (i) => {
    const created = now - 100_000 + ((i * 7919) % 5000); // many invites share a second
    const expired = i >= count; // the last 40 are past their expiry
    const expires = expired ? now - 60 : created + 7 * 86400;
    const source = i % 3 === 0 ? `api/token/key${i % 7}` : undefined;
    const row = inviteRow(HOST, created, { expires, ...(source && { additional_data: { source } }) });
    const token = row[3];
    if (!expired) expected.push({ created, token, line: [token, 'register', iso(expires), source ? `account; via ${source}` : 'account'].join('\t') });
    return row;
  });
  giveToServiceUser(join(dir, 'data'));
  expected.sort((a, b) => a.created - b.created || (a.token < b.token ? -1 : 1));

  const listed = await runCtl(dir, ['mod_invites', 'list', HOST]);
  t.equal(listed.code, 0, listed.stderr);
  t.equal(listed.stderr, '');
  const want = [...expected.map((e) => e.line), `${count} pending invites`, ''];
  const got = listed.stdout.split('\n');
  t.equal(got.length, want.length, 'as many lines as the whole-store sort');
  const first = got.findIndex((line, i) => line !== want[i]);
  t.equal(first, -1, 'and byte for byte the same lines');
  if (first >= 0) t.equal(got[first], want[first], `line ${first + 1}`);
});
