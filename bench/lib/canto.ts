/**
 * A Canto instance for the bench: a temp folder with its config, a pre-filled invite store and
 * an API key made by the real ctl; the built server started from it.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run, start, type Running } from './processes.js';
import { HOST, prefillInvites } from './store.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const SERVER_BIN = join(ROOT, 'bin', 'canto.js');
export const CTL_BIN = join(ROOT, 'bin', 'ctl.js');

/** Just the invite API: no landing page, so Location is the xmpp: URI. */
export const API_ONLY = ['invites', 'invites_api'];
/** Also the landing page, so each invite gets a landing_page URL through `invite-created`. */
export const WITH_PAGE = ['invites', 'invites_api', 'invites_page', 'register_apps'];

export interface Instance {
  dir: string;
  config: string;
  dataDir: string;
  /** `ID/SECRET` of an API key. */
  key: string;
  pending: number;
  remove(): void;
}

function configText(modules: string[], extra: string[]): string {
  const lines = [
    'http_ports = { 0 }',
    'https_ports = { }',
    `http_default_host = "${HOST}"`,
    'data_path = "data"',
    `modules_enabled = { ${modules.map((m) => `"${m}"`).join(', ')} }`,
    // The bench prepares its data as whoever runs it; started as root, stay root rather than
    // refuse that data (the switch to prosody_user is tested, not measured).
    ...(process.getuid?.() === 0 ? ['run_as_root = true'] : []),
    ...extra,
  ];
  if (modules.includes('invites_page')) {
    lines.push('http_external_url = "https://example.com/"', 'http_paths = { invites_page = "/invite" }');
  }
  return [...lines, `VirtualHost "${HOST}"`, ''].join('\n');
}

const made: string[] = [];
process.on('exit', () => {
  for (const dir of made) rmSync(dir, { recursive: true, force: true });
});

/** `extra`: more global option lines for the config. */
export async function makeInstance(modules: string[], pending: number, extra: string[] = []): Promise<Instance> {
  const dir = mkdtempSync(join(tmpdir(), 'canto-bench-'));
  made.push(dir);
  const config = join(dir, 'prosody.cfg.lua');
  const dataDir = join(dir, 'data');
  writeFileSync(config, configText(modules, extra), { mode: 0o640 });
  prefillInvites(dataDir, pending);
  const created = await run(process.execPath, [CTL_BIN, '--config', config, 'mod_invites_api', 'create', HOST, 'bench'], { cwd: dir });
  const key = created.stdout.trim();
  if (created.code !== 0 || !/^[^/\s]+\/\S+$/.test(key)) {
    throw new Error(`ctl mod_invites_api create failed (exit ${created.code}):\n${created.stdout}${created.stderr}`);
  }
  return { dir, config, dataDir, key, pending, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface Server {
  running: Running;
  port: number;
  /** The invite URL with this instance's key. */
  inviteUrl: string;
}

/** `nodeArgs` go to node itself, e.g. `--cpu-prof`. */
export async function startServer(instance: Instance, nodeArgs: string[] = []): Promise<Server> {
  const running = start(process.execPath, [...nodeArgs, SERVER_BIN, '--config', instance.config], { cwd: instance.dir });
  const [, port] = await running.waitFor(/http listening on \S+?:(\d+)\b/);
  await running.waitFor(/Canto ready/);
  return { running, port: Number(port), inviteUrl: inviteUrl(Number(port), instance.key) };
}

export function inviteUrl(port: number, key: string): string {
  return `http://127.0.0.1:${port}/invites_api?key=${encodeURIComponent(key)}`;
}

/** One GET on a fresh connection; resolves with the status (0 if the connection failed). */
export function statusOf(url: string): Promise<number> {
  return new Promise((resolveStatus) => {
    const req = request(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolveStatus(res.statusCode ?? 0));
    });
    req.on('error', () => resolveStatus(0));
    req.end();
  });
}
