/**
 * Memory of a large SQLite store (issue 9): the server's RSS at N pending invites while it
 * mints more, and `ctl mod_invites list` on the N invites (time, lines, peak RSS), the list
 * checked to be in order (oldest first, ties by token). Not part of `npm run bench`: run it
 * alone, `node --import tsx bench/sql-list.ts` after `npm run build`.
 *
 * Env: BENCH_LIST_COUNT (pending invites, default 1,000,000). Writes its section of
 * bench/RESULTS.md between the sql-list markers.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillSqlite, inviteRow } from '../test/helpers/sqlite-rows.js';
import { CTL_BIN, ROOT, SERVER_BIN, inviteUrl } from './lib/canto.js';
import { load } from './lib/load.js';
import { memoryOf, run, start } from './lib/processes.js';
import { int, loadText, ms, table, type Row } from './lib/report.js';

const COUNT = Number(process.env.BENCH_LIST_COUNT ?? 1_000_000);
const HOST = 'example.com';
const BEGIN = '<!-- sql list bench: begin -->';
const END = '<!-- sql list bench: end -->';
const say = (line: string) => process.stderr.write(`bench sql-list: ${line}\n`);
const load3 = () => loadavg().map((l) => l.toFixed(2)).join(', ');

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'canto-bench-list-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  const config = join(dir, 'prosody.cfg.lua');
  writeFileSync(config, ['http_ports = { 0 }', 'https_ports = { }', `http_default_host = "${HOST}"`, 'data_path = "data"', 'storage = "sql"', 'sql = { driver = "SQLite3", database = "prosody.sqlite" }', 'modules_enabled = { "invites", "invites_api" }', ...(process.getuid?.() === 0 ? ['run_as_root = true'] : []), `VirtualHost "${HOST}"`, ''].join('\n'));
  mkdirSync(join(dir, 'data'));
  const file = join(dir, 'data', 'prosody.sqlite');
  say(`${int(COUNT)} invites into ${file}; load average ${load3()}`);
  const now = Math.floor(Date.now() / 1000);
  // A day of invites, many per second.
  fillSqlite(file, COUNT, (i) => inviteRow(HOST, now - 86400 + (i % 86400), { additional_data: { source: 'api/token/prefill0000' } }));
  const made = await run(process.execPath, [CTL_BIN, '--config', config, 'mod_invites_api', 'create', HOST, 'bench'], { cwd: dir });
  if (made.code !== 0) throw new Error(`ctl failed: ${made.stderr}`);
  const key = made.stdout.trim();

  const rows: Row[] = [];
  const server = start(process.execPath, [SERVER_BIN, '--config', config], { cwd: dir });
  try {
    const [, port] = await server.waitFor(/http listening on \S+?:(\d+)\b/, 60_000);
    await server.waitFor(/Canto ready/, 60_000);
    const idle = memoryOf(server.child.pid!);
    const minted = await load(inviteUrl(Number(port), key), { amount: 3_000 }, 8);
    const after = memoryOf(server.child.pid!);
    rows.push({ measure: `server at ${int(COUNT)} pending (SQLite), idle then after 3,000 invites at 8 connections`, result: `${int(idle.rss)} MB RSS idle, ${int(after.rss)} MB after, peak ${int(after.peak)} MB; ${loadText(minted)}`, ratio: '', target: '< 150 MB', pass: after.peak < 150 });

    say('ctl mod_invites list');
    const began = performance.now();
    const listed = await run('/usr/bin/time', ['-f', 'PEAK %M', process.execPath, CTL_BIN, '--config', config, 'mod_invites', 'list', HOST], { cwd: dir });
    const elapsed = performance.now() - began;
    const peak = Number(/PEAK (\d+)/.exec(listed.stderr)?.[1] ?? NaN) / 1024;
    const lines = listed.stdout.split('\n');
    let ordered = true;
    let prev: [number, string] = [-Infinity, ''];
    for (const line of lines.slice(0, -2)) {
      const [token, , expires] = line.split('\t') as [string, string, string];
      const at: [number, string] = [Date.parse(expires) / 1000 - 7 * 86400, token];
      if (at[0] < prev[0] || (at[0] === prev[0] && at[1] <= prev[1])) ordered = false;
      prev = at;
    }
    const total = COUNT + 3_000;
    rows.push({
      measure: `\`ctl mod_invites list\` on ${int(total)} invites (SQLite)`,
      result: `${ms(elapsed)}, ${int(lines.length - 1)} lines, ${ordered ? 'in order' : 'OUT OF ORDER'}, peak ${int(peak)} MB RSS`,
      ratio: '',
      target: 'streams (peak < 150 MB), oldest first',
      pass: listed.code === 0 && peak < 150 && ordered && lines.at(-2) === `${total} pending invites`,
    });
  } finally {
    await server.stop();
  }

  const section = [BEGIN, '## SQL storage: memory at a large store (bench/sql-list.ts)', '', `Run ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')} on ${cpus().length} cores, Node ${process.version}; the machine is shared (load average ${load3()} at the end).`, '', table(rows), END].join('\n');
  process.stdout.write(section + '\n');
  const path = join(ROOT, 'bench', 'RESULTS.md');
  const old = readFileSync(path, 'utf8');
  const a = old.indexOf(BEGIN);
  const b = old.indexOf(END);
  writeFileSync(path, a >= 0 && b > a ? old.slice(0, a) + section + old.slice(b + END.length) : `${old.trimEnd()}\n\n${section}\n`, { mode: 0o640 });
}

main().catch((err: unknown) => {
  process.stderr.write(`bench sql-list: ${(err as Error).stack ?? String(err)}\n`);
  process.exitCode = 1;
});
