/**
 * `npm run bench:crash`: kill -9 cycles under load (issue 13's crash harness). Each cycle starts
 * the built server on the same data folder, mints invites through the API on CRASH_CONNECTIONS
 * keep-alive connections while a ctl `mod_invites generate` runs beside it, then kills the
 * server with SIGKILL at a random moment. Every invite acknowledged (a 201's token, or a ctl
 * that exited 0 with its link) must be in the store afterwards; invites stored but never
 * acknowledged (in flight at the kill) are allowed and counted.
 *
 * Passes (exit 0) when nothing acknowledged is lost and the store parses after every kill.
 *
 * Env: CRASH_CYCLES (5), CRASH_CONNECTIONS (8), CRASH_MIN_MS (1000) and CRASH_MAX_MS (3000) of
 * load before each kill, CRASH_PREFILL (1000 pending invites), CRASH_SEED (1).
 */
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { API_ONLY, CTL_BIN, makeInstance, startServer } from './lib/canto.js';
import { run } from './lib/processes.js';
import { HOST, inviteFile } from './lib/store.js';

const CYCLES = Number(process.env.CRASH_CYCLES ?? 5);
const CONNECTIONS = Number(process.env.CRASH_CONNECTIONS ?? 8);
const MIN_MS = Number(process.env.CRASH_MIN_MS ?? 1000);
const MAX_MS = Number(process.env.CRASH_MAX_MS ?? 3000);
const PREFILL = Number(process.env.CRASH_PREFILL ?? 1000);
let seed = Number(process.env.CRASH_SEED ?? 1) >>> 0;

const say = (line: string) => process.stderr.write(`crash: ${line}\n`);
const TOKEN = /preauth=([A-Za-z0-9_-]{24})/;

/** A small LCG: the same seed gives the same kill times. */
function random(): number {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
}

/** The tokens in the store file; throws if it does not parse as Prosody's format. */
function storedTokens(dataDir: string): Set<string> {
  const text = readFileSync(inviteFile(dataDir), 'utf8');
  if (!/^return \{\n[^]*\n\};\n$/.test(text) && text !== 'return {\n};\n') throw new Error('the store file is not a whole Lua table');
  return new Set([...text.matchAll(/^\t\["([A-Za-z0-9_-]{24})"\] = \{$/gm)].map((m) => m[1]!));
}

/** One GET; the token of a 201, else undefined (refused, or the connection died with the server). */
function mint(url: string, agent: Agent): Promise<string | undefined> {
  return new Promise((resolve) => {
    const req = request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 201 ? TOKEN.exec(String(res.headers.location))?.[1] : undefined));
      res.on('error', () => resolve(undefined));
    });
    req.on('error', () => resolve(undefined));
    req.end();
  });
}

async function main(): Promise<void> {
  const instance = await makeInstance(API_ONLY, PREFILL);
  const acknowledged = new Set<string>();
  let viaCtl = 0;
  const rows: string[] = [];
  let before = storedTokens(instance.dataDir).size;
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const server = await startServer(instance);
    const agent = new Agent({ keepAlive: true, maxSockets: CONNECTIONS });
    let killed = false;
    let acks = 0;
    const loop = async () => {
      while (!killed) {
        // A 201 that arrives as the kill goes out is acknowledged all the same.
        const token = await mint(server.inviteUrl, agent);
        if (token) {
          acknowledged.add(token);
          acks++;
        }
      }
    };
    const loops = Array.from({ length: CONNECTIONS }, loop);
    // A ctl beside the server: another process committing to the same file.
    const ctl = run(process.execPath, [CTL_BIN, '--config', instance.config, 'mod_invites', 'generate', HOST], { cwd: instance.dir }).then((r) => {
      const token = /[?=]([A-Za-z0-9_-]{24})(?![A-Za-z0-9_-])/.exec(r.stdout)?.[1];
      if (r.code === 0 && token) {
        acknowledged.add(token);
        viaCtl++;
      }
      return r.code;
    });
    const waitMs = MIN_MS + Math.floor(random() * (MAX_MS - MIN_MS));
    await new Promise((r) => setTimeout(r, waitMs));
    server.running.child.kill('SIGKILL');
    killed = true;
    await server.running.stop();
    await Promise.all(loops);
    agent.destroy();
    const ctlCode = await ctl;
    const stored = storedTokens(instance.dataDir);
    const lostSoFar = [...acknowledged].filter((t) => !stored.has(t)).length;
    rows.push(`| ${cycle} | ${waitMs} | ${acks} | ${ctlCode} | ${stored.size - before} | ${lostSoFar} |`);
    before = stored.size;
  }
  const stored = storedTokens(instance.dataDir);
  const lost = [...acknowledged].filter((t) => !stored.has(t));
  const unacknowledged = stored.size - PREFILL - (acknowledged.size - lost.length);
  console.log('| cycle | load before kill (ms) | 201s | ctl exit | new in store | lost so far |');
  console.log('|---|---|---|---|---|---|');
  for (const row of rows) console.log(row);
  console.log('');
  console.log(`| kill -9 cycles | ${CYCLES} (${CONNECTIONS} connections, a ctl generate in each) |`);
  console.log('|---|---|');
  console.log(`| acknowledged invites | ${acknowledged.size} (${viaCtl} by ctl) |`);
  console.log(`| of them in the store | ${acknowledged.size - lost.length} |`);
  console.log(`| lost | ${lost.length} |`);
  console.log(`| stored, never acknowledged (in flight at a kill) | ${unacknowledged} |`);
  for (const t of lost.slice(0, 5)) say(`lost: ${t}`);
  const ok = lost.length === 0;
  say(ok ? 'passed' : 'FAILED');
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) => {
  say(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
