/**
 * Canto and the real Prosody 0.12 on one SQL database, both ways, on SQLite and on PostgreSQL
 * (Debian's prosody, prosody-modules, lua-dbi-sqlite3 and lua-dbi-postgresql), starting from
 * the rows the real Prosody wrote (test/fixtures/prosody-0.12.3/sqlite/): each side lists and
 * uses the other's keys and invites, and Prosody's own landing page shows an invite Canto
 * minted. Without those packages the test is skipped with a note (CI installs them).
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import t from 'tap';
import type { Test } from 'tap';
import { PROSODY_INDEX, PROSODY_TABLE } from '../../runtime/storage/sql/engine.js';
import { FIXTURES, request, runCtl, startCanto } from '../helpers/canto.js';
import { freshDatabase, havePostgres } from '../helpers/postgres.js';
import type { PgTarget } from '../helpers/postgres.js';

const PROSODYCTL = '/usr/bin/prosodyctl';
const PROSODY = '/usr/bin/prosody';
const FIXTURE_DB = join(FIXTURES, 'prosody-0.12.3', 'sqlite', 'prosody.sqlite');
const LUA_DBI = { SQLite3: '/usr/lib/x86_64-linux-gnu/lua/5.4/dbd/sqlite3.so', PostgreSQL: '/usr/lib/x86_64-linux-gnu/lua/5.4/dbd/postgresql.so' };
/** The fixture's first API key, as prosodyctl printed it (test/fixtures/prosody-0.12.3/README.md). */
const PROSODY_KEY = 'jsaFq8TP6yeE/pUQiBWI25Bos6YQBw8su10dVZ1nzGicSg8l0';
const HOST = { Host: 'example.com' };

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** The parts of a config both Canto and Prosody read: the host, its modules and the database. */
function shared(dir: string, sql: string): string[] {
  return [
    // prosodyctl switches to the prosody user unless told to stay; the test runs as one user.
    'prosody_user = "root"',
    'prosody_group = "root"',
    'run_as_root = true',
    `pidfile = ${JSON.stringify(join(dir, 'prosody.pid'))}`,
    `data_path = ${JSON.stringify(join(dir, 'data'))}`,
    'storage = "sql"',
    `sql = ${sql}`,
    'http_external_url = "https://example.com/"',
  ];
}

async function bothWays(t: Test, dir: string, sql: string): Promise<void> {
  mkdirSync(join(dir, 'certs'), { recursive: true });
  const config = [...shared(dir, sql), 'log = "*console"', 'http_ports = { 0 }', 'https_ports = { }', 'modules_enabled = { "invites", "invites_api", "invites_page" }', 'VirtualHost "example.com"', ''].join('\n');
  const server = await startCanto(t, { config, dir });
  const prosodyctl = (...args: string[]) => {
    const r = spawnSync(PROSODYCTL, ['--config', join(dir, 'prosody.cfg.lua'), ...args], { encoding: 'utf8', timeout: 60_000 });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const ctl = (...args: string[]) => runCtl(dir, args);

  const listed = await ctl('mod_invites_api', 'list', 'example.com');
  t.equal(listed.code, 0, listed.stderr);
  t.match(listed.stdout, 'jsaFq8TP6yeE\tMy test key\tnever\tnever\tinvite\n', "Canto lists Prosody's named key");
  t.match(listed.stdout, 'zZdCc5DNdBvV\t<unknown>\tnever\tnever\tinvite\n', 'and its unnamed one');
  const minted = await request(server.url(`/invites_api?key=${PROSODY_KEY}`), { headers: HOST });
  t.equal(minted.status, 201, "Canto accepts Prosody's key");
  const token = /\?([A-Za-z0-9_-]{24})$/.exec(String(minted.headers.location))?.[1];
  t.ok(token, String(minted.headers.location));
  const shown = await ctl('mod_invites', 'show', 'example.com', 'yEtTwf_mVodGozmIJx7JWhzg');
  t.equal(shown.code, 0, shown.stderr);
  t.match(shown.stdout, 'additional_data: {"groups":["friends"]}', "Canto shows Prosody's group invite");

  const created = await ctl('mod_invites_api', 'create', 'example.com', 'Canto key');
  const id = created.stdout.split('/')[0]!;
  const prosodyList = prosodyctl('mod_invites_api', 'list', 'example.com');
  t.equal(prosodyList.code, 0, prosodyList.stderr);
  t.match(prosodyList.stdout, `${id}\tCanto key\n`, 'prosodyctl lists the key Canto made');

  const generated = prosodyctl('mod_invites', 'generate', 'example.com');
  t.equal(generated.code, 0, generated.stderr);
  const theirs = /preauth=([A-Za-z0-9_-]{24})/.exec(generated.stdout)?.[1];
  t.ok(theirs, generated.stdout);
  const pending = await ctl('mod_invites', 'list', 'example.com');
  t.match(pending.stdout, `${theirs}\tregister\t`, 'Canto lists the invite prosodyctl made while it runs');
  t.match(pending.stdout, `${token}\tregister\t`, 'and the one it minted itself');

  // The real Prosody serving its own landing page, on its own config and a free port.
  const port = await freePort();
  const prosodyConfig = join(dir, 'prosody-server.cfg.lua');
  writeFileSync(
    prosodyConfig,
    [
      ...shared(dir, sql),
      'daemonize = false',
      'log = { { levels = { min = "info" }, to = "console" } }',
      'c2s_ports = { }', 's2s_ports = { }', 'c2s_direct_tls_ports = { }', 's2s_direct_tls_ports = { }', 'legacy_ssl_ports = { }', 'component_ports = { }',
      `http_ports = { ${port} }`, 'http_interfaces = { "127.0.0.1" }', 'https_ports = { }',
      'modules_enabled = { "invites", "invites_api", "invites_page", "register_apps", "http" }',
      'VirtualHost "example.com"',
      '',
    ].join('\n'),
  );
  const prosody = spawn(PROSODY, ['--config', prosodyConfig, '-F'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const up = new Promise<void>((resolve, reject) => {
    const seen = (d: Buffer) => {
      log += d.toString();
      if (/Activated service 'http' on \[127\.0\.0\.1\]:\d+/.test(log)) resolve();
    };
    prosody.stdout.on('data', seen);
    prosody.stderr.on('data', seen);
    prosody.on('exit', (code) => reject(new Error(`prosody exited with ${code}: ${log}`)));
  });
  const stopped = new Promise((resolve) => prosody.on('exit', resolve));
  t.teardown(async () => {
    prosody.kill('SIGTERM');
    await stopped;
  });
  await up;
  const page = await request(`http://127.0.0.1:${port}/invites_page?${token}`, { headers: HOST });
  t.equal(page.status, 200, "Prosody's landing page serves the invite Canto minted");
  t.match(page.body, 'Invite to example.com');
  t.match(page.body, `preauth=${token}`);
}

/** The fixture's rows, copied into a PostgreSQL database with Prosody's table. */
async function loadFixture(target: PgTarget): Promise<void> {
  const rows = new Database(FIXTURE_DB, { readonly: true }).prepare<[], Record<string, string>>('SELECT * FROM "prosody"').all();
  const client = new pg.Client({ host: target.host, user: target.username, database: target.database });
  await client.connect();
  await client.query(PROSODY_TABLE);
  await client.query(PROSODY_INDEX);
  for (const r of rows) {
    await client.query('INSERT INTO "prosody" ("host","user","store","key","type","value") VALUES ($1,$2,$3,$4,$5,$6)', [r.host, r.user, r.store, r.key, r.type, r.value]);
  }
  await client.end();
}

const missing = [PROSODYCTL, PROSODY, '/usr/lib/prosody/modules/mod_invites_api', ...Object.values(LUA_DBI)].filter((p) => !existsSync(p));
if (missing.length) {
  if (process.env.CI) t.fail(`missing ${missing.join(', ')}: .ci/run should have installed prosody, prosody-modules, lua-dbi-sqlite3 and lua-dbi-postgresql`);
  else t.plan(0, `the real Prosody with LuaDBI is not installed (apt-get install prosody prosody-modules lua-dbi-sqlite3 lua-dbi-postgresql)`);
} else {
  t.test('Canto and the real Prosody on one SQLite file', async (t) => {
    const dir = t.testdir();
    mkdirSync(join(dir, 'data'), { recursive: true });
    copyFileSync(FIXTURE_DB, join(dir, 'data', 'prosody.sqlite'));
    await bothWays(t, dir, '{ driver = "SQLite3", database = "prosody.sqlite" }');
  });

  t.test('Canto and the real Prosody on one PostgreSQL database', async (t) => {
    if (!havePostgres(t)) return;
    const target = await freshDatabase(t);
    await loadFixture(target);
    await bothWays(t, t.testdir(), `{ driver = "PostgreSQL", host = ${JSON.stringify(target.host)}, username = ${JSON.stringify(target.username)}, database = ${JSON.stringify(target.database)} }`);
  });
}
