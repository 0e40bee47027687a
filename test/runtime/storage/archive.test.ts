/**
 * Archive stores, read only, on each driver: the newest item of a user's archive, as Prosody's
 * reverse find gives it, on the files and rows the real Prosody 0.12 wrote (a PEP nick), and a
 * broken file or row skipped with a warning that names host, store and user.
 */
import t from 'tap';
import type { Test } from 'tap';
import { copyFileSync, cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { StorageManager } from '../../../runtime/storage/manager.js';

const FIXTURES = fileURLToPath(new URL('../../fixtures/prosody-0.12.3-pep/', import.meta.url));
const HOST = 'example.com';
const STORE = 'pep_http://jabber.org/protocol/nick';
const LIST_DIR = 'example%2ecom/pep_http%3a%2f%2fjabber%2eorg%2fprotocol%2fnick';
const NICK = 'http://jabber.org/protocol/nick';

async function manager(t: Test, dir: string, options: Record<string, unknown>) {
  const logs: string[] = [];
  const m = new StorageManager({ dataPath: dir, option: (_h, n) => options[n], log: (level, msg) => logs.push(`${level} ${msg}`) });
  await m.start([HOST]);
  t.teardown(() => m.close());
  return { m, logs };
}

t.test('internal: the last item of the list file Prosody wrote', async (t) => {
  const dir = t.testdir();
  cpSync(join(FIXTURES, 'internal'), dir, { recursive: true });
  writeFileSync(join(dir, LIST_DIR, 'two.list'), [
    // An older item with only the stamp (no `when`), then the newest.
    `item({\n\t"First";\n\t["name"] = "nick";\n\t["attr"] = {\n\t\t["xmlns"] = "${NICK}";\n\t\t["stamp"] = "2026-01-01T00:00:00Z";\n\t};\n\t["key"] = "a";\n});\n`,
    `item({\n\t"Second";\n\t["name"] = "nick";\n\t["attr"] = {\n\t\t["xmlns"] = "${NICK}";\n\t};\n\t["key"] = "b";\n\t["when"] = 1800000000;\n});\n`,
  ].join(''));
  writeFileSync(join(dir, LIST_DIR, 'stamp.list'), `item{ "Old"; name = "nick"; attr = { xmlns = "${NICK}"; stamp = "2026-01-01T00:00:00Z" } }\n`);
  writeFileSync(join(dir, LIST_DIR, 'broken.list'), 'item({\n\t"x";\n\t["name"] = "nick";\n');
  writeFileSync(join(dir, LIST_DIR, 'notastanza.list'), 'item("just text");\n');
  writeFileSync(join(dir, LIST_DIR, 'empty.list'), '');
  const { m, logs } = await manager(t, dir, {});
  const nicks = m.openArchive(HOST, STORE, 'pep_data');
  t.same(await nicks.latest('alice'), {
    key: 'current',
    when: 1796221735,
    with: 'alice@example.com',
    value: { name: 'nick', attr: { xmlns: NICK, stamp: '2026-12-02T14:28:55Z' }, children: ['Alice B'] },
  });
  t.match(await nicks.latest('two'), { key: 'b', when: 1800000000, value: { children: ['Second'] } });
  t.match(await nicks.latest('stamp'), { key: '1', when: Date.parse('2026-01-01T00:00:00Z') / 1000, value: { children: ['Old'] } }, "no key: its place, as Prosody's find");
  t.equal(await nicks.latest('nobody'), undefined, 'no file, no item');
  t.equal(await nicks.latest('empty'), undefined);
  t.same(logs, [], 'nothing to warn about yet');
  t.equal(await nicks.latest('broken'), undefined, 'a broken file is no item');
  t.equal(await nicks.latest('notastanza'), undefined);
  mkdirSync(join(dir, LIST_DIR, 'folder.list'));
  t.equal(await nicks.latest('folder'), undefined, 'nor is one that cannot be read');
  t.equal(logs.length, 3);
  t.match(logs[0], /^warn Skipping the broken archive of broken@example\.com in store pep_http:\/\/jabber\.org\/protocol\/nick: /);
  t.match(logs[1], /^warn Skipping the broken archive of notastanza@example\.com in store pep_http:\/\/jabber\.org\/protocol\/nick: not a stanza/);
  t.match(logs[2], /^warn Skipping the broken archive of folder@example\.com in store .*EISDIR/);
});

t.test('sql (SQLite3): the newest prosodyarchive row Prosody wrote', async (t) => {
  const dir = t.testdir();
  mkdirSync(dir, { recursive: true });
  copyFileSync(join(FIXTURES, 'sqlite', 'prosody.sqlite'), join(dir, 'prosody.sqlite'));
  const db = new Database(join(dir, 'prosody.sqlite'));
  const add = db.prepare('INSERT INTO "prosodyarchive" ("host", "user", "store", "key", "when", "with", "type", "value") VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  add.run(HOST, 'bob', STORE, 'old', 1, '', 'xml', `<nick xmlns='${NICK}'>Old</nick>`);
  add.run(HOST, 'bob', STORE, 'new', 2, '', 'xml', `<nick xmlns="${NICK}">Bob &amp; Co</nick>`);
  add.run(HOST, 'carol', STORE, 'current', 3, '', 'xml', `<nick xmlns='${NICK}'>unclosed`);
  add.run(HOST, 'dave', STORE, 'current', 4, '', 'json', '{"nick":"Dave"}');
  add.run('other.example', 'erin', STORE, 'current', 5, '', 'xml', `<nick xmlns='${NICK}'>Erin</nick>`);
  db.close();
  const { m, logs } = await manager(t, dir, { storage: { pep_data: 'sql' }, sql: { driver: 'SQLite3', database: 'prosody.sqlite' } });
  const nicks = m.openArchive(HOST, STORE, 'pep_data');
  t.same(await nicks.latest('alice'), { key: 'current', when: 1796221740, with: 'alice@example.com', value: { name: 'nick', attr: { xmlns: NICK }, children: ['Alice B'] } });
  t.same(await nicks.latest('bob'), { key: 'new', when: 2, value: { name: 'nick', attr: { xmlns: NICK }, children: ['Bob & Co'] } }, 'the newest row; an empty with is none');
  t.equal(await nicks.latest('erin'), undefined, "another host's rows are not this host's");
  t.same(logs, []);
  t.equal(await nicks.latest('carol'), undefined, 'broken XML is no item');
  t.equal(await nicks.latest('dave'), undefined, 'nor is a value that is not a stanza');
  t.match(logs, [
    /^warn Skipping the broken archive item 'current' of carol@example\.com in store pep_http:\/\/jabber\.org\/protocol\/nick: XML: /,
    /^warn Skipping the broken archive item 'current' of dave@example\.com in store pep_http:\/\/jabber\.org\/protocol\/nick: a value of type 'json', not a stanza/,
  ]);
  t.equal(await m.openArchive(HOST, STORE).latest('alice'), undefined, "without driverFor the store's own storage entry picks the driver: the files, which have none");
});

t.test('sql without the archive table (sql_manage_tables = false) reads as empty', async (t) => {
  const dir = t.testdir();
  const db = new Database(join(dir, 'prosody.sqlite'));
  db.exec('CREATE TABLE "prosody" ("host" TEXT NOT NULL, "user" TEXT NOT NULL, "store" TEXT NOT NULL, "key" TEXT NOT NULL, "type" TEXT NOT NULL, "value" TEXT NOT NULL);');
  db.close();
  const { m } = await manager(t, dir, { storage: 'sql', sql: { driver: 'SQLite3', database: 'prosody.sqlite' }, sql_manage_tables: false });
  t.equal(await m.openArchive(HOST, STORE).latest('alice'), undefined);
});
