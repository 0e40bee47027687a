/**
 * The sql driver when things go wrong: rows Prosody could not have written are reported with
 * host, store and key and skipped; a PostgreSQL that goes away (its backends killed, or the
 * whole cluster stopped) gets 503 with Retry-After, the server stays up and reconnects by itself
 * when it is back, and no acknowledged invite is lost; a database the config names wrongly stops
 * `ctl check` and the start with one error at the option.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import t from 'tap';
import pg from 'pg';
import { request, ROOT, runCtl, startCanto, testConfig } from '../helpers/canto.js';
import type { Reply } from '../helpers/canto.js';
import { havePostgres, PG_USER } from '../helpers/postgres.js';

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

t.test('PostgreSQL going away: 503 with Retry-After, the server stays up and reconnects, nothing acknowledged lost', async (t) => {
  if (!havePostgres(t)) return;
  // A cluster of its own, since this test stops and starts it.
  const script = join(ROOT, 'test', 'helpers', 'pg-cluster.sh');
  const made = spawnSync(script, ['start'], { encoding: 'utf8' });
  t.equal(made.status, 0, made.stderr);
  const socketDir = /CANTO_TEST_PG_HOST=(\S+)/.exec(made.stdout)![1]!;
  t.teardown(() => void spawnSync(script, ['stop', socketDir]));
  const pgCtl = (action: 'start' | 'stop') => {
    const bindir = spawnSync('sh', ['-c', 'ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1'], { encoding: 'utf8' }).stdout.trim();
    const r = spawnSync('runuser', ['-u', 'postgres', '--', `${bindir}/pg_ctl`, '-D', join(socketDir, 'data'), '-w', '-m', 'fast', ...(action === 'start' ? ['-l', join(socketDir, 'server.log'), '-o', `-c listen_addresses='' -k ${socketDir}`] : []), action], { encoding: 'utf8' });
    t.equal(r.status, 0, `pg_ctl ${action}: ${r.stderr}`);
  };
  const config = testConfig(['invites', 'invites_api'], `storage = "sql"\nsql = { driver = "PostgreSQL", host = ${JSON.stringify(socketDir)}, username = ${JSON.stringify(PG_USER)}, database = "postgres" }`);
  const server = await startCanto(t, { config });
  const key = (await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com'])).stdout.trim();
  const mint = (headers: Record<string, string> = {}) => request(server.url(`/invites_api?key=${key}`), { headers: { ...HOST, ...headers } });
  const acked: Reply[] = [];
  const minted = async (replies: Reply[]) => {
    for (const r of replies) if (r.status === 201) acked.push(r);
    return replies;
  };
  const before = await minted(await Promise.all(Array.from({ length: 5 }, () => mint())));
  t.strictSame(before.map((r) => r.status), [201, 201, 201, 201, 201]);

  // Every backend killed (the pool's idle and busy connections) while invites are being minted.
  const admin = new pg.Client({ host: socketDir, user: PG_USER, database: 'postgres' });
  await admin.connect();
  const during = Array.from({ length: 30 }, (_, i) => new Promise((r) => setTimeout(r, i * 5)).then(() => mint()));
  const killed = await admin.query<{ n: string }>("SELECT count(pg_terminate_backend(pid))::text AS n FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'");
  await admin.end();
  t.ok(Number(killed.rows[0]!.n) > 0, 'the server had connections to kill');
  const raced = await minted(await Promise.all(during));
  t.strictSame(raced.filter((r) => r.status !== 201).map((r) => [r.status, r.headers['retry-after']]), raced.filter((r) => r.status !== 201).map(() => [503, '5']), 'each answer is 201 or 503 with Retry-After');
  t.equal((await minted([await mint()]))[0]!.status, 201, 'the pool reconnected by itself');

  // The whole cluster stopped: 503 with Retry-After, as HTML and as JSON.
  pgCtl('stop');
  const down = await mint();
  t.equal(down.status, 503, 'the database is down: 503');
  t.equal(down.headers['retry-after'], '5', 'with Retry-After');
  t.match(down.headers['content-type'], /^text\/html/);
  const downJson = await mint({ Accept: 'application/json' });
  t.equal(downJson.status, 503);
  t.equal(downJson.headers['retry-after'], '5');
  t.match(downJson.headers['content-type'], /^application\/json/);
  t.match(JSON.parse(downJson.body), { type: 'cancel', condition: 'service-unavailable' }, 'the host\'s JSON error shape');
  t.match(await server.logged(/Storage unavailable/), /Storage unavailable/);
  t.equal(server.process.exitCode, null, 'the server is still running');

  pgCtl('start');
  const after = await minted([await mint()]);
  t.equal(after[0]!.status, 201, 'the server reconnected by itself, without a restart');
  t.equal(server.process.exitCode, null);
  const listed = await runCtl(server.dir, ['mod_invites', 'list', 'example.com']);
  t.equal(listed.code, 0, listed.stderr);
  const tokens = acked.map((r) => String(r.headers.location).split('preauth=')[1]!);
  const count = Number(/^(\d+) pending invites?$/m.exec(listed.stdout)?.[1]);
  t.ok(count >= tokens.length, `${count} stored, ${tokens.length} acknowledged`);
  t.strictSame(tokens.filter((token) => !listed.stdout.includes(`${token}\t`)), [], 'every acknowledged invite is there');
});
