/**
 * `npm run bench` (second part): invite creation on the sql driver (issue 9), each figure next
 * to a bare node:http server and the real Prosody 0.12 on SQLite measured in the same run.
 * SQLite at 10k / 100k / 1M pending and 8 / 64 connections; PostgreSQL (when a cluster is
 * reachable through CANTO_TEST_PG_HOST, as test/helpers/pg-cluster.sh starts one) at 64
 * connections, 10k and 1M pending, and two Canto nodes on one database; RSS at 1M pending and
 * `ctl mod_invites list` on 1M invites. Writes its section of bench/RESULTS.md (between the
 * sql markers, below the notes marker, which the first part keeps).
 *
 * Env: BENCH_SQL_SECONDS (load of the ceiling, Prosody and two nodes, default 5), BENCH_SQL_MILLION=0 to leave out 1M.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PROSODY_INDEX, PROSODY_TABLE } from '../runtime/storage/sql/engine.js';
import { fillSqlite, inviteRow as sharedInviteRow } from '../test/helpers/sqlite-rows.js';
import { CTL_BIN, ROOT, SERVER_BIN, inviteUrl } from './lib/canto.js';
import { load, type LoadResult } from './lib/load.js';
import { cpuMsOf, memoryOf, run, start, type Running } from './lib/processes.js';
import { int, loadText, ms, table, times, type Row } from './lib/report.js';

const SECONDS = Number(process.env.BENCH_SQL_SECONDS ?? 5);
const MILLION = process.env.BENCH_SQL_MILLION !== '0';
const PG_HOST = process.env.CANTO_TEST_PG_HOST;
const PG_USER = process.env.CANTO_TEST_PG_USER ?? 'postgres';
const HOST = 'example.com';
const WEEK = 7 * 86400;
const BEGIN = '<!-- sql bench: begin -->';
const END = '<!-- sql bench: end -->';

const say = (line: string) => process.stderr.write(`bench sql: ${line}\n`);
const dirs: string[] = [];
process.on('exit', () => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), 'canto-bench-sql-'));
  dirs.push(d);
  return d;
}

/** An account invite row exactly as mod_invites stores one minted through the API. */
const inviteRow = (now: number) => sharedInviteRow(HOST, now, { additional_data: { source: 'api/token/prefill0000' } });

function prefillSqlite(file: string, count: number): void {
  const now = Math.floor(Date.now() / 1000);
  fillSqlite(file, count, () => inviteRow(now));
}

async function prefillPostgres(database: string, count: number): Promise<void> {
  const admin = new pg.Client({ host: PG_HOST, user: PG_USER, database: 'postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.query(`CREATE DATABASE ${database}`);
  await admin.end();
  const c = new pg.Client({ host: PG_HOST, user: PG_USER, database });
  await c.connect();
  await c.query(PROSODY_TABLE);
  await c.query(PROSODY_INDEX);
  const now = Math.floor(Date.now() / 1000);
  for (let done = 0; done < count; ) {
    const n = Math.min(20_000, count - done);
    const cols: string[][] = [[], [], [], [], [], []];
    for (let i = 0; i < n; i++) inviteRow(now).forEach((v, j) => cols[j]!.push(v));
    await c.query('INSERT INTO "prosody" SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[])', cols);
    done += n;
  }
  await c.query('ANALYZE "prosody"');
  await c.end();
}

async function dropPostgres(database: string): Promise<void> {
  const admin = new pg.Client({ host: PG_HOST, user: PG_USER, database: 'postgres' });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
  await admin.end();
}

interface Node {
  dir: string;
  config: string;
  key: string;
}

/** A Canto folder whose config points at `sql`, with an API key made by the real ctl. */
async function cantoNode(sql: string, key?: string): Promise<Node> {
  const dir = tempDir();
  const config = join(dir, 'prosody.cfg.lua');
  writeFileSync(config, ['http_ports = { 0 }', 'https_ports = { }', `http_default_host = "${HOST}"`, 'data_path = "data"', 'storage = "sql"', `sql = ${sql}`, 'modules_enabled = { "invites", "invites_api" }', ...(process.getuid?.() === 0 ? ['run_as_root = true'] : []), `VirtualHost "${HOST}"`, ''].join('\n'));
  mkdirSync(join(dir, 'data'), { recursive: true });
  if (key) return { dir, config, key };
  const made = await run(process.execPath, [CTL_BIN, '--config', config, 'mod_invites_api', 'create', HOST, 'bench'], { cwd: dir });
  if (made.code !== 0) throw new Error(`ctl failed: ${made.stderr}`);
  return { dir, config, key: made.stdout.trim() };
}

async function startCanto(node: Node): Promise<{ running: Running; url: string }> {
  const running = start(process.execPath, [SERVER_BIN, '--config', node.config], { cwd: node.dir });
  const [, port] = await running.waitFor(/http listening on \S+?:(\d+)\b/, 60_000);
  await running.waitFor(/Canto ready/, 60_000);
  return { running, url: inviteUrl(Number(port), node.key) };
}

/** The group commits of one case (the server logs them when it stops): how full the batches were. */
function commitRow(running: Running): Row {
  const m = /(\d+) commits of (\d+) changes: batches of ([\d.]+) on average \(at most (\d+)\), ([\d.]+) ms each/.exec(running.stderr());
  return { measure: 'its group commits over the whole case', result: m ? `${int(Number(m[1]))} commits, batch ${m[3]} avg (max ${m[4]}), ${m[5]} ms each` : 'not logged', ratio: '', target: '' };
}

/** How the SQLite and PostgreSQL cases load a server (see `measure`). */
const WARM_UP = 300;
const COLD = 3_000;
const WINDOW = 5_000;
const WINDOWS = 3;
interface Measured {
  /** The first 3,000 after start (and 300 warm-up): a cold server, JIT still compiling. */
  cold: LoadResult;
  /** The median of the warm windows, which the targets are taken on. */
  warm: LoadResult;
  windows: number[];
  /** CPU per invite over the warm windows, in microseconds: the server (all threads) and this process. */
  serverUs: number;
  generatorUs: number;
}

/**
 * A cold burst, then three windows of 5,000 on the warmed server whose median is the figure (the
 * store holds the prefill plus 3,300 when they start, plus 18,300 when they end). The CPU per
 * invite tells whether two cores were the limit: (server + load generator) x rate near 2 s/s is
 * a saturated machine.
 */
async function measure(url: string, connections: number, pid: number): Promise<Measured> {
  await load(url, { amount: WARM_UP }, connections);
  const cold = await load(url, { amount: COLD }, connections);
  const serverBefore = cpuMsOf(pid);
  const generatorBefore = process.cpuUsage();
  const runs: LoadResult[] = [];
  for (let i = 0; i < WINDOWS; i++) runs.push(await load(url, { amount: WINDOW }, connections));
  const serverMs = cpuMsOf(pid) - serverBefore;
  const generator = process.cpuUsage(generatorBefore);
  const answered = runs.reduce((sum, r) => sum + r.ok + r.non2xx, 0);
  const sorted = [...runs].sort((a, b) => a.rps - b.rps);
  const warm = { ...sorted[Math.floor(WINDOWS / 2)]!, non2xx: runs.reduce((n, r) => n + r.non2xx, 0), errors: runs.reduce((n, r) => n + r.errors, 0) };
  return { cold, warm, windows: runs.map((r) => r.rps), serverUs: (serverMs * 1000) / answered, generatorUs: (generator.user + generator.system) / answered };
}

/** The rows of one measured case: the warm figure against its target, then the cold start. */
function measuredRows(label: string, r: Measured, ceilingRps: number, target: string, pass: boolean): Row[] {
  const cpu = `windows ${r.windows.map((w) => int(w)).join(' / ')} req/s; CPU per invite: server ${int(r.serverUs)} us, load generator ${int(r.generatorUs)} us`;
  return [
    { measure: `${label}, warm: median of ${WINDOWS} x ${int(WINDOW)}`, result: `${loadText(r.warm)}; ${cpu}`, ratio: `${times(r.warm.rps / ceilingRps)} ceiling`, target, pass },
    { measure: `its first ${int(COLD)} after start (cold)`, result: loadText(r.cold), ratio: `${times(r.cold.rps / ceilingRps)} ceiling`, target: 'every answer 201', pass: r.cold.non2xx === 0 && r.cold.errors === 0 },
  ];
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

async function ceiling(connections: number): Promise<LoadResult> {
  const server = start(process.execPath, ['--import', 'tsx', join(ROOT, 'bench', 'ceiling-server.ts')], { cwd: ROOT });
  try {
    const [, port] = await server.waitFor(/ceiling listening on \S+?:(\d+)/);
    const url = `http://127.0.0.1:${port}/invites_api?key=x`;
    await load(url, 1, connections);
    return await load(url, SECONDS, connections);
  } finally {
    await server.stop();
  }
}

/** The real Prosody 0.12 with mod_invites_api on SQLite, `pending` invites prefilled. */
async function prosodyCase(pending: number): Promise<(LoadResult & { serverUs: number }) | string> {
  if (!existsSync('/usr/bin/prosody') || !existsSync('/usr/lib/prosody/modules/mod_invites_api')) return 'prosody not installed';
  const dir = tempDir();
  mkdirSync(join(dir, 'data'), { recursive: true });
  mkdirSync(join(dir, 'certs'), { recursive: true });
  prefillSqlite(join(dir, 'data', 'prosody.sqlite'), pending);
  const port = await freePort();
  const config = join(dir, 'prosody.cfg.lua');
  writeFileSync(config, [
    'prosody_user = "root"', 'prosody_group = "root"', 'run_as_root = true', 'daemonize = false',
    `pidfile = ${JSON.stringify(join(dir, 'prosody.pid'))}`, `data_path = ${JSON.stringify(join(dir, 'data'))}`,
    'log = { { levels = { min = "info" }, to = "console" } }',
    'c2s_ports = { }', 's2s_ports = { }', 'c2s_direct_tls_ports = { }', 's2s_direct_tls_ports = { }', 'legacy_ssl_ports = { }', 'component_ports = { }',
    `http_ports = { ${port} }`, 'http_interfaces = { "127.0.0.1" }', 'https_ports = { }',
    'storage = "sql"', 'sql = { driver = "SQLite3", database = "prosody.sqlite" }',
    `http_default_host = "${HOST}"`, 'modules_enabled = { "invites", "invites_api", "http" }', `VirtualHost "${HOST}"`, '',
  ].join('\n'));
  // prosodyctl logs to stdout too (with log = console, e.g. "certmanager error ... /certs:
  // No such file or directory"): the key is the line of its own shape, not the whole stdout
  // (taking all of it made every request a 403).
  const made = await run('/usr/bin/prosodyctl', ['--config', config, 'mod_invites_api', 'create', HOST, 'bench'], { cwd: dir });
  const key = made.stdout.split('\n').reverse().find((line) => /^[A-Za-z0-9_-]+\/[A-Za-z0-9_-]+$/.test(line));
  if (made.code !== 0 || key === undefined) return `prosodyctl failed: ${made.stderr}${made.stdout}`;
  const server = start('/usr/bin/prosody', ['--config', config, '-F'], { cwd: dir });
  try {
    await new Promise((r) => setTimeout(r, 500));
    for (let i = 0; i < 100; i++) {
      try {
        const r = await load(inviteUrl(port, key), { amount: 1 }, 1);
        if (r.ok) break;
      } catch {
        /* not listening yet */
      }
      await new Promise((r) => setTimeout(r, 200));
    }
    await load(inviteUrl(port, key), { amount: 200 }, 8);
    const before = cpuMsOf(server.child.pid!);
    const r = await load(inviteUrl(port, key), SECONDS, 8);
    return { ...r, serverUs: ((cpuMsOf(server.child.pid!) - before) * 1000) / (r.ok + r.non2xx) };
  } finally {
    await server.stop();
  }
}

function uptimeText(): string {
  return `load average ${loadavg().map((l) => l.toFixed(2)).join(', ')}`;
}

async function ctlList(node: Node): Promise<{ ms: number; peakMb: number; lines: number }> {
  const began = performance.now();
  const r = await run('/usr/bin/time', ['-f', 'PEAK %M', process.execPath, CTL_BIN, '--config', node.config, 'mod_invites', 'list', HOST], { cwd: node.dir });
  const elapsed = performance.now() - began;
  const peak = Number(/PEAK (\d+)/.exec(r.stderr)?.[1] ?? NaN) / 1024;
  return { ms: elapsed, peakMb: peak, lines: r.stdout.split('\n').length - 1 };
}

async function main(): Promise<void> {
  const began = Date.now();
  const rows: Row[] = [];
  const loads: string[] = [`at start: ${uptimeText()}`];
  say(`${SECONDS} s per reference case; ${uptimeText()}`);

  say('ceiling: bare node:http at 8 and 64 connections');
  const top8 = await ceiling(8);
  const top64 = await ceiling(64);
  rows.push({ measure: 'bare node:http (ceiling), 8 connections', result: loadText(top8), ratio: '1.00x', target: '' });
  rows.push({ measure: 'bare node:http (ceiling), 64 connections', result: loadText(top64), ratio: '1.00x', target: '' });

  say('Prosody 0.12 on SQLite, 100k pending');
  const prosody = await prosodyCase(100_000);
  const prosodyRps = typeof prosody === 'string' || prosody.non2xx > 0 ? NaN : prosody.rps;
  rows.push({ measure: 'Prosody 0.12 on SQLite, 100,000 pending, 8 connections', result: typeof prosody === 'string' ? prosody : `${loadText(prosody)}; CPU per invite: server ${int(prosody.serverUs)} us`, ratio: '', target: '' });

  const sqliteCases: [number, number][] = [[10_000, 8], [10_000, 64], [100_000, 8], ...(MILLION ? ([[1_000_000, 8]] as [number, number][]) : [])];
  const sqliteRates = new Map<string, LoadResult>();
  let rss1m: { rss: number; peak: number } | undefined;
  let list1m: { ms: number; peakMb: number; lines: number } | undefined;
  for (const [pending, conns] of sqliteCases) {
    say(`Canto on SQLite, ${int(pending)} pending, ${conns} connections`);
    const node = await cantoNode('{ driver = "SQLite3", database = "prosody.sqlite" }');
    prefillSqlite(join(node.dir, 'data', 'prosody.sqlite'), pending);
    const server = await startCanto(node);
    try {
      const idle = memoryOf(server.running.child.pid!);
      const r = await measure(server.url, conns, server.running.child.pid!);
      sqliteRates.set(`${pending}/${conns}`, r.warm);
      const ceilingRps = conns === 8 ? top8.rps : top64.rps;
      const target =
        pending === 10_000 && conns === 8 ? '>= min(5,000, 0.1x ceiling) req/s, p99 < 20 ms'
        : pending === 10_000 ? '>= 10,000 req/s'
        : pending === 100_000 ? '>= 8x Prosody on SQLite'
        : '<= 15% slower than at 10,000';
      const base = sqliteRates.get('10000/8');
      const ok = r.warm.non2xx === 0 && r.warm.errors === 0;
      const pass =
        ok &&
        (pending === 10_000 && conns === 8 ? r.warm.rps >= Math.min(5_000, 0.1 * ceilingRps) && r.warm.p99 < 20
        : pending === 10_000 ? r.warm.rps >= 10_000
        : pending === 100_000 ? prosodyRps > 0 && r.warm.rps >= 8 * prosodyRps
        : base !== undefined && r.warm.rps >= 0.85 * base.rps);
      rows.push(...measuredRows(`Canto on SQLite, ${int(pending)} pending, ${conns} connections`, r, ceilingRps, target, pass));
      if (pending === 1_000_000) {
        const after = memoryOf(server.running.child.pid!);
        rss1m = { rss: Math.max(idle.rss, after.rss), peak: after.peak };
        list1m = await ctlList(node);
      }
    } finally {
      await server.running.stop();
      rows.push(commitRow(server.running));
    }
  }
  loads.push(`after SQLite: ${uptimeText()}`);
  if (rss1m) rows.push({ measure: 'server RSS at 1,000,000 pending (SQLite), during and after the load', result: `${int(rss1m.rss)} MB RSS, peak ${int(rss1m.peak)} MB`, ratio: '', target: '< 150 MB', pass: rss1m.peak < 150 });
  if (list1m) rows.push({ measure: '`ctl mod_invites list` on 1,000,000 invites (SQLite)', result: `${ms(list1m.ms)}, ${int(list1m.lines)} lines, peak ${int(list1m.peakMb)} MB RSS`, ratio: '', target: 'streams: peak < 150 MB', pass: list1m.peakMb < 150 });

  if (!PG_HOST) {
    rows.push({ measure: 'PostgreSQL cases', result: 'skipped: no cluster (eval "$(test/helpers/pg-cluster.sh start)" first)', ratio: '', target: '' });
  } else {
    const pgCases: [number, number][] = [[10_000, 64], ...(MILLION ? ([[1_000_000, 64]] as [number, number][]) : [])];
    let pg10k: LoadResult | undefined;
    for (const [pending, conns] of pgCases) {
      say(`Canto on PostgreSQL, ${int(pending)} pending, ${conns} connections`);
      const database = `canto_bench_${pending}`;
      await prefillPostgres(database, pending);
      const node = await cantoNode(`{ driver = "PostgreSQL", host = ${JSON.stringify(PG_HOST)}, username = ${JSON.stringify(PG_USER)}, database = "${database}" }`);
      const server = await startCanto(node);
      try {
        const r = await measure(server.url, conns, server.running.child.pid!);
        if (pending === 10_000) pg10k = r.warm;
        const target = pending === 10_000 ? '>= 5,000 req/s' : '<= 15% slower than at 10,000';
        const ok = r.warm.non2xx === 0 && r.warm.errors === 0;
        const pass = ok && (pending === 10_000 ? r.warm.rps >= 5_000 : pg10k !== undefined && r.warm.rps >= 0.85 * pg10k.rps);
        rows.push(...measuredRows(`Canto on PostgreSQL, ${int(pending)} pending, ${conns} connections`, r, top64.rps, target, pass));
        if (pending === 10_000) {
          say('two Canto nodes on one PostgreSQL, 32 connections each');
          const second = await cantoNode(`{ driver = "PostgreSQL", host = ${JSON.stringify(PG_HOST)}, username = ${JSON.stringify(PG_USER)}, database = "${database}" }`, node.key);
          const other = await startCanto(second);
          try {
            await Promise.all([load(server.url, { amount: 300 }, 32), load(other.url, { amount: 300 }, 32)]);
            const [a, b] = await Promise.all([load(server.url, SECONDS, 32), load(other.url, SECONDS, 32)]);
            rows.push({ measure: 'two Canto nodes on one PostgreSQL, 32 connections each, combined', result: `${int(a.rps + b.rps)} req/s (${int(a.rps)} + ${int(b.rps)}), p99 ${ms(Math.max(a.p99, b.p99))}, non-2xx ${int(a.non2xx + b.non2xx)}`, ratio: `${times((a.rps + b.rps) / top64.rps)} ceiling`, target: '' });
          } finally {
            await other.running.stop();
          }
        }
      } finally {
        await server.running.stop();
        rows.push(commitRow(server.running));
        await dropPostgres(database);
      }
    }
    loads.push(`after PostgreSQL: ${uptimeText()}`);
  }

  const section = [
    BEGIN,
    '## SQL storage (`npm run bench`, bench/sql.ts)',
    '',
    `Run ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} on ${cpus().length} cores, Node ${process.version}; each case ${int(WARM_UP)} warm-up requests, the first ${int(COLD)} (cold), then ${WINDOWS} windows of ${int(WINDOW)} on the warm server, whose median is the figure (so a case named N pending holds N + 3,300 to N + 18,300 meanwhile); the ceiling, Prosody and two nodes ${SECONDS} s each; whole part ${int((Date.now() - began) / 1000)} s.`,
    `The machine is shared: ${loads.join('; ')}.`,
    '',
    table(rows),
    END,
  ].join('\n');
  process.stdout.write(section + '\n');
  const path = join(ROOT, 'bench', 'RESULTS.md');
  const old = readFileSync(path, 'utf8');
  const a = old.indexOf(BEGIN);
  const b = old.indexOf(END);
  const next = a >= 0 && b > a ? old.slice(0, a) + section + old.slice(b + END.length) : `${old.trimEnd()}\n\n${section}\n`;
  writeFileSync(path, next, { mode: 0o640 });
  say(`wrote bench/RESULTS.md (${int((Date.now() - began) / 1000)} s)`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench sql: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
