/**
 * `npm run bench:fuzz`: random and malformed HTTP requests against the built server on
 * loopback (issue 13's fuzz harness). Each request goes out on its own connection as raw bytes:
 * mutated request lines, methods, paths (percent-encoding, traversal, real and broken tokens),
 * queries (`key=` spelled many ways), headers (duplicates, bad names and values, huge ones,
 * wrong or conflicting Content-Length / Transfer-Encoding, Expect), bodies (bytes, broken JSON),
 * pipelined batches, cut-off requests and plain garbage. The client always ends its side once
 * it has written, so every connection must be answered and closed by the server.
 *
 * Passes (exit 0) when: no 5xx, no malformed response, no connection left open longer than
 * FUZZ_HANG_MS after the client finished, the server still running and still minting invites.
 *
 * Env: FUZZ_REQUESTS (2000), FUZZ_CONNECTIONS (8 at a time), FUZZ_SEED (1), FUZZ_HANG_MS (10000).
 */
import { readFileSync } from 'node:fs';
import net from 'node:net';
import { CTL_BIN, WITH_PAGE, makeInstance, startServer, statusOf } from './lib/canto.js';
import { memoryOf, run } from './lib/processes.js';
import { HOST, inviteFile } from './lib/store.js';

const REQUESTS = Number(process.env.FUZZ_REQUESTS ?? 2000);
const CONNECTIONS = Number(process.env.FUZZ_CONNECTIONS ?? 8);
const SEED = Number(process.env.FUZZ_SEED ?? 1);
const HANG_MS = Number(process.env.FUZZ_HANG_MS ?? 10_000);
const MODULES = [...WITH_PAGE, 'invites_register_web', 'invites_register_api', 'http_admin_api'];

const say = (line: string) => process.stderr.write(`fuzz: ${line}\n`);

/** mulberry32: the same seed gives the same corpus. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Corpus {
  key: string;
  admin: string;
  tokens: string[];
}

/** One fuzzed connection's bytes. */
function generator(random: () => number, corpus: Corpus): () => Buffer {
  const int = (n: number) => Math.floor(random() * n);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)]!;
  const chance = (p: number) => random() < p;
  const bytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const ascii = (n: number, from = 0x21, to = 0x7e) => String.fromCharCode(...Array.from({ length: n }, () => from + int(to - from + 1)));
  const pctAll = (s: string) => [...Buffer.from(s)].map((b) => '%' + b.toString(16).padStart(2, '0')).join('');
  const token = () => pick([...corpus.tokens, 'AAAAAAAAAAAAAAAAAAAAAAAA', ascii(24), '', 'x'.repeat(5000), '%00', '..%2f..%2f', pctAll(pick(corpus.tokens))]);

  const methods = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'get', 'G\u00e9T', 'BREW', ''];
  const bases = [
    '/', '/invites_api', '/invite', '/invite/setup/conversations', '/invite/static/style.css', '/register', '/register_api/invite/',
    '/register_api/register', '/admin_api/invites', '/admin_api/invites/account', '/admin_api/invites/group', '/admin_api/invites/reset',
    '/admin_api/users', '/admin_api/users/alice', '/admin_api/server/info', '/admin_api/openapi.json', '/register_apps/assets/',
    '/invite/../../etc/passwd', '/%2e%2e/%2e%2e/etc/passwd', '//invites_api', '/invites_api/', '*', 'http://example.com/invites_api',
    'https://evil.example/invite', '/\u00ff\u0000', '/%', '/%zz', '/' + 'a/'.repeat(2000),
  ];
  const path = (): string => {
    let p = pick(bases);
    if (p.endsWith('/') && chance(0.5)) p += token();
    if (chance(0.2)) p = p.replace(/[a-z]/g, (c) => (chance(0.3) ? pctAll(c) : c));
    if (chance(0.5)) {
      const params = Array.from({ length: 1 + int(4) }, () =>
        pick([
          `key=${corpus.key}`, `%6bey=${corpus.key}`, `k%65y=${encodeURIComponent(corpus.key)}`, `key=${corpus.key.slice(0, -1)}`, 'key=', 'key',
          `key=${corpus.admin}`, 'redirect=true', 'redirect', `t=${token()}`, `c=${pick(['conversations', 'x', ''])}`, token(),
          `limit=${pick(['1', '0', '-1', '1000000', 'NaN', '1e3'])}`, `cursor=${ascii(int(60))}`, `type=${pick(['account', 'x'])}`,
          `valid=${pick(['true', 'false', 'any', ''])}`, ascii(int(40)), '=&&=&', '%ff%fe=%00',
        ]),
      );
      p += '?' + params.join(pick(['&', ';', '&&']));
    }
    if (chance(0.05)) p += '#' + ascii(10);
    return p;
  };
  const jsonish = (): string =>
    pick([
      '{}', '[]', 'null', '{"username":"alice","password":"a-long-password","token":"' + token() + '"}', '{"ttl":-1}', '{"ttl":1e308}',
      '{"groups":null}', '{"groups":["' + 'g'.repeat(300) + '"]}', '{"username":' + '['.repeat(5000) + ']'.repeat(5000) + '}', '{"a":', '\u0000',
      JSON.stringify({ note: ascii(2000), max_uses: 2 ** 53 }), '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{}}}',
    ]);

  return () => {
    const kind = random();
    // Plain garbage, or a request cut off anywhere.
    if (kind < 0.05) return bytes(1 + int(2000));
    const method = pick(methods);
    const version = chance(0.9) ? 'HTTP/1.1' : pick(['HTTP/1.0', 'HTTP/2.0', 'HTTP/1.1x', 'HTTP/0.9', '']);
    const headers: string[] = [];
    if (chance(0.95)) headers.push(`Host: ${pick([HOST, HOST.toUpperCase(), `${HOST}:1`, 'other.example', '', '[::1]', ascii(30), 'example.com.'])}`);
    if (chance(0.1)) headers.push(`Host: ${HOST}`);
    if (chance(0.3)) headers.push(`Authorization: ${pick(['Bearer ' + corpus.key, 'Bearer ' + corpus.admin, 'bearer  ' + corpus.admin, 'Basic YTpi', 'Bearer', 'Bearer ' + ascii(int(300)), ''])}`);
    if (chance(0.3)) headers.push(`Accept: ${pick(['application/json', 'text/html', '*/*', ascii(20), 'application/json;q=0'])}`);
    if (chance(0.2)) headers.push(`Origin: ${pick(['https://evil.example', 'null', ascii(30)])}`);
    if (chance(0.2)) headers.push(`X-Forwarded-For: ${pick(['1.2.3.4', '::1', 'unknown', ascii(50), '1.1.1.1, 2.2.2.2'])}`);
    if (chance(0.1)) headers.push(`User-Agent: ${ascii(int(500))}`);
    if (chance(0.05)) headers.push(`${ascii(10)}: ${ascii(10)}`);
    if (chance(0.03)) headers.push(`X-Big: ${'a'.repeat(20_000 + int(60_000))}`);
    if (chance(0.03)) headers.push(`X-Bin: ${ascii(20, 0x00, 0xff)}`);
    if (chance(0.03)) headers.push('Bad Header Without Colon');
    let body = '';
    if (chance(0.4)) body = chance(0.7) ? jsonish() : bytes(int(3000)).toString('latin1');
    if (body || chance(0.1)) {
      if (chance(0.5)) headers.push(`Content-Type: ${pick(['application/json', 'application/x-www-form-urlencoded', 'text/plain', 'application/json; charset=latin1', ascii(15)])}`);
      const framing = random();
      if (framing < 0.6) headers.push(`Content-Length: ${Buffer.byteLength(body, 'latin1')}`);
      else if (framing < 0.7) headers.push(`Content-Length: ${pick(['-1', 'abc', '99999999999999999999', '0x10', `${body.length}, ${body.length + 1}`])}`);
      else if (framing < 0.8) headers.push(`Content-Length: ${body.length}`, `Content-Length: ${body.length + 1}`);
      else if (framing < 0.9) {
        headers.push(`Transfer-Encoding: ${pick(['chunked', 'Chunked', 'gzip, chunked', 'chunked, gzip', 'identity'])}`);
        body = chance(0.7) ? `${Buffer.byteLength(body, 'latin1').toString(16)}\r\n${body}\r\n0\r\n\r\n` : pick(['zz\r\n', '5\r\nab\r\n0\r\n\r\n', '0\r\n']);
      } else {
        headers.push('Transfer-Encoding: chunked', `Content-Length: ${body.length}`);
      }
      if (chance(0.2)) headers.push('Expect: 100-continue');
    }
    if (chance(0.05)) headers.push(`Expect: ${pick(['100-continue', 'nonsense'])}`);
    let text = `${method} ${path()} ${version}\r\n${headers.join('\r\n')}${headers.length ? '\r\n' : ''}\r\n`;
    if (chance(0.03)) text = text.replace(/\r\n/g, '\n');
    let out = Buffer.concat([Buffer.from(text, 'latin1'), Buffer.from(body, 'latin1')]);
    // Pipelined: this request and a well-formed one after it.
    if (chance(0.1)) out = Buffer.concat([out, Buffer.from(`GET /invite?${pick(corpus.tokens)} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`)]);
    if (chance(0.05)) out = out.subarray(0, int(out.length));
    return out;
  };
}

interface Outcome {
  statuses: number[];
  /** The server sent bytes that are not whole responses (closing without a word is fine). */
  malformed: boolean;
  hung: boolean;
  stream: Buffer;
}

/** Status codes of the responses in a byte stream, framed by Content-Length or chunked. */
/** `headRequest`: the first request was a HEAD, so its answer may have no body whatever its Content-Length. */
function statusesOf(stream: Buffer, headRequest: boolean): Omit<Outcome, 'hung' | 'stream'> {
  const statuses: number[] = [];
  let rest = stream.toString('latin1');
  while (rest.length > 0) {
    const end = rest.indexOf('\r\n\r\n');
    const m = /^HTTP\/1\.1 (\d{3}) [^\r\n]*/.exec(rest);
    if (end < 0 || !m) return { statuses, malformed: true };
    const status = Number(m[1]);
    statuses.push(status);
    const head = rest.slice(0, end);
    rest = rest.slice(end + 4);
    if (/\r\ntransfer-encoding: *chunked/i.test(head)) {
      for (;;) {
        const line = /^([0-9a-f]+)\r\n/i.exec(rest);
        if (!line) return { statuses, malformed: true };
        const size = parseInt(line[1]!, 16);
        if (rest.slice(line[0].length + size, line[0].length + size + 2) !== '\r\n') return { statuses, malformed: true };
        rest = rest.slice(line[0].length + size + 2);
        if (size === 0) break;
      }
      continue;
    }
    const length = /\r\ncontent-length: *(\d+)/i.exec(head);
    // A HEAD's answer has no body, unless the request was too broken for the server to tell it was a HEAD (a 400 page).
    const headAnswer = headRequest && statuses.filter((s) => s !== 100).length === 1 && (rest.length === 0 || /^HTTP\/1\.1 \d{3} /.test(rest));
    const bodiless = status === 100 || status === 304 || status === 204 || headAnswer;
    const skip = bodiless ? 0 : Number(length?.[1] ?? 0);
    if (rest.length < skip) return { statuses, malformed: true };
    rest = rest.slice(skip);
  }
  return { statuses, malformed: false };
}

function send(port: number, bytes: Buffer): Promise<Outcome> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const socket = net.connect(port, '127.0.0.1');
    let timer: NodeJS.Timeout | undefined;
    let hung = false;
    socket.on('data', (d: Buffer) => chunks.push(d));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(timer);
      const stream = Buffer.concat(chunks);
      resolve({ ...statusesOf(stream, bytes.subarray(0, 5).toString('latin1') === 'HEAD '), hung, stream });
    });
    socket.write(bytes, () => {
      socket.end();
      timer = setTimeout(() => {
        hung = true;
        socket.destroy();
      }, HANG_MS);
    });
  });
}

async function main(): Promise<void> {
  // Wrong keys are most of the corpus: a throttle at the default would answer 429 to the rest.
  const instance = await makeInstance(MODULES, 50, ['invites_api_max_failures = 1000000', 'invites_register_max_failures = 1000000']);
  const admin = await run(process.execPath, [CTL_BIN, '--config', instance.config, 'mod_invites_api', 'create', HOST, 'fuzz admin', '--scope', 'admin'], { cwd: instance.dir });
  if (admin.code !== 0) throw new Error(`ctl create --scope admin failed: ${admin.stderr}`);
  const tokens = [...readFileSync(inviteFile(instance.dataDir), 'utf8').matchAll(/^\t\["([A-Za-z0-9_-]{24})"\] = \{$/gm)].map((m) => m[1]!).slice(0, 20);
  const server = await startServer(instance);
  const pid = server.running.child.pid!;
  const rssBefore = memoryOf(pid).rss;
  const next = generator(prng(SEED), { key: instance.key, admin: admin.stdout.trim(), tokens });

  const classes = new Map<string, number>();
  const fives: string[] = [];
  const odd: string[] = [];
  let malformed = 0;
  let hung = 0;
  let responses = 0;
  let sent = 0;
  const began = Date.now();
  const worker = async () => {
    while (sent < REQUESTS) {
      sent++;
      const bytes = next();
      const outcome = await send(server.port, bytes);
      responses += outcome.statuses.length;
      for (const s of outcome.statuses) {
        const c = `${Math.floor(s / 100)}xx`;
        classes.set(c, (classes.get(c) ?? 0) + 1);
        if (s >= 500 && fives.length < 5) fives.push(`${s} for ${JSON.stringify(bytes.subarray(0, 200).toString('latin1'))}`);
      }
      if (outcome.malformed) {
        malformed++;
        if (odd.length < 5) odd.push(`${JSON.stringify(outcome.stream.subarray(0, 300).toString('latin1'))} for ${JSON.stringify(bytes.subarray(0, 200).toString('latin1'))}`);
      }
      if (outcome.hung) hung++;
    }
  };
  await Promise.all(Array.from({ length: CONNECTIONS }, worker));
  const seconds = (Date.now() - began) / 1000;
  const alive = server.running.child.exitCode === null && server.running.child.signalCode === null;
  const after = alive ? await statusOf(server.inviteUrl) : 0;
  const memory = alive ? memoryOf(pid) : { rss: NaN, peak: NaN };
  await server.running.stop();
  const errorLines = server.running.stderr().split('\n').filter((l) => /\terror\t/.test(l));

  const ok = (classes.get('5xx') ?? 0) === 0 && malformed === 0 && hung === 0 && alive && after === 201;
  console.log(`| fuzz (seed ${SEED}) | |`);
  console.log('|---|---|');
  console.log(`| connections sent | ${sent} (${CONNECTIONS} at a time, ${seconds.toFixed(1)} s) |`);
  console.log(`| responses | ${responses}: ${[...classes].sort().map(([c, n]) => `${c} ${n}`).join(', ')} |`);
  console.log(`| 5xx | ${classes.get('5xx') ?? 0} |`);
  console.log(`| malformed responses | ${malformed} |`);
  console.log(`| connections left open > ${HANG_MS} ms | ${hung} |`);
  console.log(`| server alive, next invite | ${alive ? 'yes' : 'NO'}, ${after} |`);
  console.log(`| server RSS before / after / peak | ${rssBefore.toFixed(0)} / ${memory.rss.toFixed(0)} / ${memory.peak.toFixed(0)} MB |`);
  console.log(`| error lines in the server log | ${errorLines.length} |`);
  for (const f of fives) say(`5xx: ${f}`);
  for (const o of odd) say(`malformed: ${o}`);
  for (const l of errorLines.slice(0, 5)) say(`log: ${l}`);
  say(ok ? 'passed' : 'FAILED');
  process.exitCode = ok ? 0 : 1;
}

main().catch((err: unknown) => {
  say(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exitCode = 1;
});
