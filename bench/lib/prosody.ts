/**
 * The reference the issue measures Canto against: the real Prosody 0.12 (Debian's prosody and
 * prosody-modules) serving the same `GET /invites_api` with mod_storage_sql on SQLite, from a
 * temp folder pre-filled with the same pending invites (rows as mod_storage_sql writes them).
 * Prosody picks no port of its own: a free one is found first.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { inviteUrl, statusOf } from './canto.js';
import { run, start, type Running } from './processes.js';
import { HOST } from './store.js';

const PROSODY = '/usr/bin/prosody';
const PROSODYCTL = '/usr/bin/prosodyctl';

export function prosodyAvailable(): boolean {
  return existsSync(PROSODY) && existsSync('/usr/lib/prosody/modules/mod_invites_api') && existsSync('/usr/bin/sqlite3');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

export interface ProsodyInstance {
  running: Running;
  inviteUrl: string;
  /** Rows in the invite store now. */
  count(): number;
  stop(): Promise<void>;
}

const sqlString = (s: string) => `'${s.replace(/'/g, "''")}'`;

export async function startProsody(pending: number): Promise<ProsodyInstance> {
  const dir = mkdtempSync(join(tmpdir(), 'canto-bench-prosody-'));
  const port = await freePort();
  const config = join(dir, 'prosody.cfg.lua');
  mkdirSync(join(dir, 'data'), { mode: 0o750 });
  mkdirSync(join(dir, 'certs'));
  writeFileSync(
    config,
    [
      'run_as_root = true', // the bench runs as whoever runs it; nothing here is exposed
      'prosody_user = "root"',
      'prosody_group = "root"',
      `pidfile = ${JSON.stringify(join(dir, 'prosody.pid'))}`,
      'log = { { levels = { min = "info" }, to = "console" } }',
      `data_path = ${JSON.stringify(join(dir, 'data'))}`,
      `http_ports = { ${port} }`,
      'http_interfaces = { "127.0.0.1" }',
      `http_default_host = "${HOST}"`,
      'https_ports = { }',
      'c2s_ports = { }',
      's2s_ports = { }',
      'c2s_direct_tls_ports = { }',
      's2s_direct_tls_ports = { }',
      'modules_enabled = { "invites", "invites_api", "http" }',
      'storage = "sql"',
      'sql = { driver = "SQLite3", database = "prosody.sqlite" }',
      `VirtualHost "${HOST}"`,
      '',
    ].join('\n'),
  );
  // prosodyctl makes the schema and the key, exactly as an operator would.
  const created = await run(PROSODYCTL, ['--config', config, 'mod_invites_api', 'create', HOST, 'bench'], { cwd: dir });
  const key = created.stdout.trim().split('\n').pop() ?? '';
  if (created.code !== 0 || !/^[^/\s]+\/\S+$/.test(key)) throw new Error(`prosodyctl mod_invites_api create failed:\n${created.stdout}${created.stderr}`);
  const db = join(dir, 'data', 'prosody.sqlite');
  if (pending > 0) {
    const now = Math.floor(Date.now() / 1000);
    const rows: string[] = [];
    for (let i = 0; i < pending; i++) {
      const token = randomBytes(18).toString('base64url');
      const value = JSON.stringify({
        created_at: now, jid: HOST, token, additional_data: { source: 'api/token/prefill0000' }, allow_registration: true,
        uri: `xmpp:${HOST}?register;preauth=${token}`, expires: now + 7 * 86400, type: 'register',
      });
      rows.push(`INSERT INTO prosody VALUES (${sqlString(HOST)}, '', 'invite_token', ${sqlString(token)}, 'json', ${sqlString(value)});`);
    }
    const sqlFile = join(dir, 'prefill.sql');
    writeFileSync(sqlFile, `BEGIN;\n${rows.join('\n')}\nCOMMIT;\n`);
    execFileSync('sqlite3', [db, `.read ${sqlFile}`]);
  }
  const running = start(PROSODY, ['--config', config, '-F'], { cwd: dir });
  const url = inviteUrl(port, key);
  for (let waited = 0; ; waited += 20) {
    const status = await statusOf(url);
    if (status === 201) break;
    if (waited > 20_000) {
      await running.stop();
      throw new Error(`Prosody did not answer 201 within 20 s (last status ${status})`);
    }
    await sleep(20);
  }
  return {
    running,
    inviteUrl: url,
    count: () => Number(execFileSync('sqlite3', [db, "SELECT count(*) FROM prosody WHERE store = 'invite_token'"], { encoding: 'utf8' }).trim()),
    stop: async () => {
      await running.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
