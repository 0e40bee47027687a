/**
 * End-to-end helpers: start the real, built server and the real ctl as processes on real
 * sockets (ports picked by the OS), each in its own temp folder.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, cpSync, existsSync, lstatSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The parts of tap's Test the helpers use. */
type Test = {
  testdir(): string;
  teardown(fn: () => unknown): void;
};

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SERVER_BIN = join(ROOT, 'bin', 'canto.js');
export const CTL_BIN = join(ROOT, 'bin', 'ctl.js');
export const FIXTURES = join(ROOT, 'test', 'fixtures');

const IS_ROOT = process.getuid?.() === 0;
/** The `prosody` user's ids when this runs as root (CI): the server and ctl then switch to it. */
export const SERVICE_USER: { uid: number; gid: number } | undefined = (() => {
  if (!IS_ROOT) return undefined;
  try {
    const id = (flag: string) => Number(execFileSync('id', [flag, 'prosody'], { encoding: 'utf8' }).trim());
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return undefined;
  }
})();

/**
 * tap injects its process-info hook into every child; a server or ctl that became `prosody`
 * writes its record at exit too, so the record folder is open to all (sticky, as /tmp). Made
 * before each child starts: a tap run may have removed it since.
 */
export function openProcessRecords(): void {
  if (!SERVICE_USER) return;
  const records = join(ROOT, '.tap', 'processinfo');
  mkdirSync(records, { recursive: true });
  chmodSync(records, 0o1777);
}

/**
 * As root, hand a data folder a test prepared to the service user, as an operator's install
 * does (`chown -R prosody:prosody`): the server refuses a data folder that is not its user's.
 */
export function giveToServiceUser(path: string): void {
  if (!SERVICE_USER || !existsSync(path)) return;
  const walk = (p: string) => {
    chownSync(p, SERVICE_USER.uid, SERVICE_USER.gid);
    if (lstatSync(p).isDirectory()) for (const name of readdirSync(p)) walk(join(p, name));
  };
  walk(path);
}

export interface CantoServer {
  dir: string;
  httpPort: number;
  httpsPort: number | undefined;
  url(path: string): string;
  httpsUrl(path: string): string;
  stderr(): string;
  /**
   * The log so far, once it holds `pattern` (the server writes its log lines after the turn that
   * logged them, so a line about a request can arrive just after its answer); after `timeoutMs`
   * the log as it is, for the assertion to show.
   */
  logged(pattern: RegExp | string, timeoutMs?: number): Promise<string>;
  stop(signal?: NodeJS.Signals): Promise<{ code: number | null; stderr: string }>;
  process: ChildProcess;
}

export interface StartOptions {
  config: string;
  files?: Record<string, string | Buffer>;
  env?: Record<string, string>;
  dir?: string;
  /** Extra server arguments. */
  args?: string[];
}

openProcessRecords();

function childEnv(extra?: Record<string, string>): NodeJS.ProcessEnv {
  openProcessRecords();
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.PROSODY_CONFIG;
  delete env.NODE_OPTIONS; // tap's loader hooks must not leak into the processes under test
  return env;
}

export function writeFiles(dir: string, files: Record<string, string | Buffer>): void {
  for (const [rel, content] of Object.entries(files)) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
  }
}

/** Start the server; resolves once every listener is up. Stopped at test teardown. */
export async function startCanto(t: Test, opts: StartOptions): Promise<CantoServer> {
  const dir = opts.dir ?? t.testdir();
  writeFiles(dir, { 'prosody.cfg.lua': opts.config, ...opts.files });
  if (SERVICE_USER && !/^\s*run_as_root\s*=\s*true/m.test(opts.config)) {
    // The server's own folder (its log files go beside the config) and its data are its user's.
    chownSync(dir, SERVICE_USER.uid, SERVICE_USER.gid);
    giveToServiceUser(join(dir, 'data'));
  }
  const child = spawn(process.execPath, [SERVER_BIN, '--config', join(dir, 'prosody.cfg.lua'), ...(opts.args ?? [])], {
    cwd: dir,
    env: childEnv(opts.env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  let out = '';
  const exited = new Promise<number | null>((res) => child.once('exit', (code) => res(code)));
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  const ready = new Promise<{ http: number; https: number | undefined }>((res, rej) => {
    const ports = { http: 0, https: undefined as number | undefined };
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      for (const m of err.matchAll(/(https?) listening on \S+?:(\d+)\b/g)) {
        if (m[1] === 'http' && !ports.http) ports.http = Number(m[2]);
        if (m[1] === 'https' && ports.https === undefined) ports.https = Number(m[2]);
      }
      if (/Canto ready/.test(err)) res(ports);
    });
    void exited.then((code) => rej(new Error(`server exited with ${code} before it was ready:\n${err}${out}`)));
  });
  const timeout = setTimeout(() => child.kill('SIGKILL'), 20_000);
  let ports: { http: number; https: number | undefined };
  try {
    ports = await ready;
  } finally {
    clearTimeout(timeout);
  }
  let stopped: Promise<{ code: number | null; stderr: string }> | undefined;
  const server: CantoServer = {
    dir,
    httpPort: ports.http,
    httpsPort: ports.https,
    url: (path) => `http://127.0.0.1:${ports.http}${path}`,
    httpsUrl: (path) => `https://127.0.0.1:${ports.https}${path}`,
    stderr: () => err,
    async logged(pattern, timeoutMs = 10_000) {
      const found = () => (typeof pattern === 'string' ? err.includes(pattern) : pattern.test(err));
      for (const until = Date.now() + timeoutMs; !found() && Date.now() < until && child.exitCode === null; ) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      return err;
    },
    process: child,
    stop(signal = 'SIGTERM') {
      stopped ??= (async () => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
        const code = await exited;
        return { code, stderr: err };
      })();
      return stopped;
    },
  };
  t.teardown(() => server.stop('SIGKILL'));
  return server;
}

export interface CtlResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run the built ctl with `--config <dir>/prosody.cfg.lua` (unless args name a config). */
export function runCtl(dir: string, args: string[], opts: { env?: Record<string, string>; input?: string } = {}): Promise<CtlResult> {
  const full = args.includes('--config') ? args : ['--config', join(dir, 'prosody.cfg.lua'), ...args];
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, [CTL_BIN, ...full], { cwd: dir, env: childEnv(opts.env), stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', rej);
    child.on('close', (code) => res({ code, stdout, stderr }));
    child.stdin.end(opts.input ?? '');
  });
}

/** `ctl mod_invites_api create example.com ARGS...` in `dir`: the key it prints, `ID/SECRET`; throws if ctl fails. */
export async function createKey(dir: string, ...args: string[]): Promise<string> {
  const r = await runCtl(dir, ['mod_invites_api', 'create', 'example.com', ...args]);
  if (r.code !== 0) throw new Error(r.stderr);
  return r.stdout.trim();
}

/** Copy a fixture tree (files and folders) into `to`. */
export function copyFixtures(from: string, to: string): void {
  cpSync(from, to, { recursive: true });
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** Header names and values in the order the server sent them. */
  rawHeaders: string[];
  body: string;
}

/** One request with node:http(s); TLS certificates are not verified (the test server's are self-signed). */
export function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: http.Agent } = {}): Promise<Reply> {
  const u = new URL(url);
  const mod = u.protocol === 'https:' ? https : http;
  return new Promise((res, rej) => {
    const req = mod.request(
      u,
      { method: opts.method ?? 'GET', headers: opts.headers, rejectUnauthorized: false, agent: opts.agent ?? false },
      (r) => {
        const chunks: Buffer[] = [];
        r.on('data', (c: Buffer) => chunks.push(c));
        r.on('end', () => res({ status: r.statusCode ?? 0, headers: r.headers, rawHeaders: r.rawHeaders, body: Buffer.concat(chunks).toString() }));
        r.on('error', rej);
      },
    );
    req.on('error', rej);
    req.end(opts.body);
  });
}

/** A minimal config for tests: the given modules on example.com, OS-picked ports, data in ./data. */
export function testConfig(modules: string[], extra = '', hostExtra = ''): string {
  return [
    'http_ports = { 0 }',
    'https_ports = { }',
    'http_default_host = "example.com"',
    'data_path = "data"',
    `modules_enabled = { ${modules.map((m) => JSON.stringify(m)).join(', ')} }`,
    extra,
    'VirtualHost "example.com"',
    hostExtra,
    '',
  ].join('\n');
}
