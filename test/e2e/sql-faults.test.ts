/**
 * The sql driver when things go wrong: rows Prosody could not have written are reported with
 * host, store and key and skipped; a database the config names wrongly stops `ctl check` and
 * the start with one error at the option.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import { request, ROOT, runCtl, startCanto, testConfig } from '../helpers/canto.js';

const HOST = { Host: 'example.com' };
const sqliteConfig = testConfig(['invites', 'invites_api'], 'storage = "sql"\nsql = { driver = "SQLite3", database = "prosody.sqlite" }');

t.test('rows Prosody could not have written are reported and skipped, never a crash', async (t) => {
  const server = await startCanto(t, { config: sqliteConfig });
  const created = await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com', 'good']);
  const key = created.stdout.trim();
  t.equal((await request(server.url(`/invites_api?key=${key}`), { headers: HOST })).status, 201);
  const db = new Database(join(server.dir, 'data', 'prosody.sqlite'));
  const insert = db.prepare('INSERT INTO "prosody" ("host","user","store","key","type","value") VALUES (?,?,?,?,?,?)');
  insert.run('example.com', '', 'invite_token', 'BrokenJsonBrokenJson0000', 'json', '{"type":"register",');
  insert.run('example.com', '', 'invite_token', 'UnknownTypeUnknownType00', 'blob', 'x');
  insert.run('example.com', '', 'invite_api_keys', 'brokenkey123', 'json', '{oops');
  db.close();

  const listed = await runCtl(server.dir, ['mod_invites', 'list', 'example.com']);
  t.equal(listed.code, 0, 'the list still works');
  t.match(listed.stdout, /^1 pending invite$/m, 'with the good invite');
  t.match(listed.stderr, "host example.com, store invite_token, user '', key 'BrokenJsonBrokenJson0000'): broken JSON");
  t.match(listed.stderr, "key 'UnknownTypeUnknownType00'): unknown type \"blob\"");
  const keys = await runCtl(server.dir, ['mod_invites_api', 'list', 'example.com']);
  t.equal(keys.code, 0);
  t.equal(keys.stdout.split('\n').filter(Boolean).length, 1, 'the broken key is not listed');
  const bad = await request(server.url('/invites_api?key=brokenkey123/secretsecretsecretsecretsecretsecret'), { headers: HOST });
  t.equal(bad.status, 403, 'a broken key record is no key');
  t.equal((await request(server.url(`/invites_api?key=${key}`), { headers: HOST })).status, 201, 'and keeps serving');
});

t.test('a database the config names wrongly is one error at the sql option, for check and start', async (t) => {
  const config = testConfig(['invites'], 'storage = "sql"\nsql = { driver = "SQLite3", database = "/nonexistent/folder/prosody.sqlite" }');
  const dir = t.testdir({ 'prosody.cfg.lua': config });
  const file = join(dir, 'prosody.cfg.lua');
  const line = config.split('\n').findIndex((l) => l.startsWith('sql =')) + 1;
  const message = `${file}:${line}:1: error: option 'sql': cannot open the SQLite3 database /nonexistent/folder/prosody.sqlite: ENOENT: no such file or directory`;
  const checked = await runCtl(dir, ['check']);
  t.equal(checked.code, 1);
  t.equal(checked.stdout, `Checking config ${file}...\n${message}\nDone: 1 error, 0 warnings.\n`);
  const started = spawnSync(process.execPath, [join(ROOT, 'bin', 'canto.js'), '--config', file], { encoding: 'utf8', timeout: 60_000 });
  t.equal(started.status, 1, 'the server does not start');
  t.match(started.stderr, `\terror\t${file}:${line}:1: option 'sql': cannot open the SQLite3 database`);
  t.match(started.stderr, 'Failed to start: 1 error in the config (ctl check lists them)');
  t.notMatch(started.stderr, /\n\s+at /, 'no stack trace');
  const used = await runCtl(dir, ['mod_invites', 'list', 'example.com']);
  t.equal(used.code, 1);
  t.match(used.stderr, `Error: ${file}:${line}:1: option 'sql': cannot open`);
});
