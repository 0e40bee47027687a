/**
 * One validation path (issue 8): the same broken configs go to `ctl check` and to server start,
 * and both must refuse them (exit 1) with the same messages at the same file:line:column. The
 * cases are split over three test files (HTTP, storage/log/TLS, reading the file) so that each
 * stays short on a loaded machine; this is their shared runner.
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { runCtl, SERVER_BIN, writeFiles } from './canto.js';

export const BASE = ['http_ports = { 0 }', 'https_ports = { }', 'data_path = "data"', 'modules_enabled = { "invites", "invites_api", "invites_page" }'];
export const HOST = 'VirtualHost "example.com"';

/** The lines between the base and the VirtualHost (or a whole file), and the error they must give. */
export interface BrokenConfig {
  name: string;
  lines?: string[];
  file?: string;
  host?: string[];
  error: RegExp;
}

/** The parts of a tap test used here. */
interface Test {
  testdir(): string;
  test(name: string, extra: object, fn: (t: Test) => Promise<void>): unknown;
  equal(found: unknown, wanted: unknown, message: string): boolean;
  ok(found: unknown, message: string): boolean;
  notOk(found: unknown, message: string): boolean;
  same(found: unknown, wanted: unknown, message: string): boolean;
}

/** The problems a run reported, as `file:line:column: message` (or `message`). */
export function checkErrors(stdout: string, stderr: string): string[] {
  const lines = [...stdout.split('\n'), ...stderr.split('\n')];
  return lines.flatMap((l) => {
    let m = /^(.*?)error: (.*)$/.exec(l);
    if (m && !l.startsWith('Error: ')) return [`${m[1]}${m[2]}`];
    m = /^Error: (.*)$/.exec(l);
    return m ? [m[1]!] : [];
  });
}

export function serverErrors(stderr: string): string[] {
  return stderr.split('\n').flatMap((l) => {
    let m = /\terror\t(.*)$/.exec(l);
    if (m) return /^Failed to start: \d+ errors? in the config/.test(m[1]!) ? [] : [m[1]!];
    m = /^canto: (.*)$/.exec(l);
    return m ? [m[1]!] : [];
  });
}

export function startServer(dir: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const env = { ...process.env };
    delete env.NODE_OPTIONS;
    delete env.PROSODY_CONFIG;
    const child = spawn(process.execPath, [SERVER_BIN, '--config', join(dir, 'prosody.cfg.lua')], { cwd: dir, env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // A server that started after all would be a failure of this test; do not leave it running.
    const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

/** Feed every case to ctl check and to server start, three cases at a time, and compare. */
export async function checkAgreement(t: Test, cases: readonly BrokenConfig[]): Promise<void> {
  const root = t.testdir();
  const run = async (c: BrokenConfig, i: number) => {
    const dir = join(root, `case-${i}`);
    const text = c.file ?? [...BASE, ...(c.lines ?? []), HOST, ...(c.host ?? []), ''].join('\n');
    writeFiles(dir, { 'prosody.cfg.lua': text });
    const [check, server] = await Promise.all([runCtl(dir, ['check']), startServer(dir)]);
    const data = join(dir, 'data');
    return { c, check, server, data: existsSync(data) ? readdirSync(data) : [] };
  };
  const results: Awaited<ReturnType<typeof run>>[] = [];
  for (let i = 0; i < cases.length; i += 3) results.push(...(await Promise.all(cases.slice(i, i + 3).map((c, j) => run(c, i + j)))));
  for (const { c, check, server, data } of results) {
    t.test(c.name, {}, async (t) => {
      t.equal(check.code, 1, `ctl check exits 1\n${check.stdout}${check.stderr}`);
      t.equal(server.code, 1, `server start exits 1\n${server.stderr}`);
      const fromCheck = checkErrors(check.stdout, check.stderr);
      const fromServer = serverErrors(server.stderr);
      t.ok(fromCheck.some((e) => c.error.test(e)), `ctl check names the problem: ${fromCheck.join(' | ')}`);
      t.same(fromServer, fromCheck, 'the server refuses with the same messages');
      t.notOk(server.stderr.includes('Canto ready'), 'the server never got ready');
      // Neither wrote anything: at most the empty folder a root start prepares for its user.
      t.same(data, [], 'no data was written');
    });
  }
}
