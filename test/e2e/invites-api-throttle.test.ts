/**
 * Repeated failed authentication from one address is throttled with 429 and Retry-After.
 */
import { connect } from 'node:net';
import t from 'tap';
import { request, runCtl, startCanto, testConfig } from '../helpers/canto.js';

t.test('after the allowed failures a client gets 429 until its window is over', async (t) => {
  const config = testConfig(['invites', 'invites_api'], 'invites_api_max_failures = 3\ninvites_api_failure_window = 600');
  const server = await startCanto(t, { config });
  const created = await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com']);
  const key = created.stdout.trim();
  const [id] = key.split('/');

  t.equal((await request(server.url(`/invites_api?key=${key}`))).status, 201, 'successes do not count');
  for (let i = 1; i <= 3; i++) {
    t.equal((await request(server.url(`/invites_api?key=${id}/wrong${i}`))).status, 403, `failure ${i} is a plain 403`);
  }
  const throttled = await request(server.url(`/invites_api?key=${id}/wrong4`));
  t.equal(throttled.status, 429);
  const retryAfter = Number(throttled.headers['retry-after']);
  t.ok(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 600, `Retry-After ${throttled.headers['retry-after']}`);

  const valid = await request(server.url(`/invites_api?key=${key}`));
  t.equal(valid.status, 429, 'while throttled even a valid key is not checked, so guessing learns nothing');
  t.notOk(valid.headers.location);
  const bearer = await request(server.url('/invites_api'), { headers: { Authorization: `Bearer ${key}` } });
  t.equal(bearer.status, 429);
  t.notMatch(server.stderr(), key.split('/')[1]!, 'the secret is not logged');
});

t.test('the defaults allow ten failures per minute', async (t) => {
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api']) });
  const statuses: number[] = [];
  for (let i = 0; i < 11; i++) statuses.push((await request(server.url('/invites_api?key=AAAAAAAAAAAA/wrong'))).status);
  t.same(statuses, [...Array(10).fill(403), 429]);
});

/** Writes every request in one write on one connection; resolves with the statuses of the answers, in order. */
function pipelined(port: number, requests: string[]): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    const statuses = () => [...received.matchAll(/^HTTP\/1\.1 (\d{3}) /gm)].map((m) => Number(m[1]));
    socket.on('connect', () => socket.write(requests.join('')));
    socket.on('data', (d: Buffer) => {
      received += d.toString('latin1');
      if (statuses().length >= requests.length) socket.end();
    });
    socket.on('error', reject);
    socket.on('close', () => resolve(statuses()));
  });
}

const wrongKey = (i: number, from?: string) =>
  `GET /invites_api?key=AAAAAAAAAAAA/wrong${i} HTTP/1.1\r\nHost: example.com\r\n${from ? `X-Forwarded-For: ${from}\r\n` : ''}\r\n`;

t.test('500 wrong secrets pipelined in one write: only the budget is checked', async (t) => {
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api']) });
  const statuses = await pipelined(server.httpPort, Array.from({ length: 500 }, (_, i) => wrongKey(i)));
  t.equal(statuses.length, 500, 'every request was answered');
  t.same(statuses.slice(0, 10), Array(10).fill(403), 'ten were checked');
  t.same([...new Set(statuses.slice(10))], [429], 'the other 490 were refused unchecked');

  // The same from one address over many connections at once: counted before the check as well.
  const parallel = await Promise.all(Array.from({ length: 40 }, (_, i) => pipelined(server.httpPort, [wrongKey(i, '203.0.113.9')])));
  const checked = parallel.flat().filter((s) => s === 403).length;
  t.ok(checked <= 10, `${checked} of 40 parallel attempts were checked (at most 10)`);
  t.equal(parallel.flat().filter((s) => s === 429).length, 40 - checked);
});

t.test('flooding the throttle from 10,001 other addresses does not set a throttled client free', async (t) => {
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api']) });
  const attacker = '198.51.100.1';
  const own = await pipelined(server.httpPort, Array.from({ length: 11 }, (_, i) => wrongKey(i, attacker)));
  t.equal(own.at(-1), 429, 'the attacker is throttled');

  // Each other address fails once (proxied through loopback, a trusted proxy), 101 pipelined on
  // each of 100 connections: a connection's queue is short enough to finish within http_header_timeout.
  const others = Array.from({ length: 10_001 }, (_, i) => wrongKey(i, `10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`));
  const flood = await Promise.all(Array.from({ length: 100 }, (_, k) => pipelined(server.httpPort, others.slice(k * 101, (k + 1) * 101))));
  t.equal(flood.flat().filter((s) => s === 403).length, 10_001, 'every other address was checked once');

  const after = await pipelined(server.httpPort, [wrongKey(99, attacker)]);
  t.same(after, [429], 'the attacker is still throttled');
  t.equal(server.process.exitCode, null);
});

t.test('1,000 failed authentications from one address make a bounded number of log lines, with the count', async (t) => {
  const config = testConfig(['invites', 'invites_api'], 'invites_api_max_failures = 100000\ninvites_api_failure_window = 2');
  const server = await startCanto(t, { config });
  const statuses = await pipelined(server.httpPort, Array.from({ length: 1000 }, (_, i) => wrongKey(i, '192.0.2.50')));
  t.same([...new Set(statuses)], [403]);
  t.equal((await server.stop()).code, 0);

  const lines = server.stderr().split('\n').filter((l) => l.includes('Refused invite request from 192.0.2.50'));
  // A first line stands for one failure, a summary line for the count it gives.
  const counted = lines.reduce((sum, l) => sum + Number(/\((\d+) more like it in the last 2 s\)$/.exec(l)?.[1] ?? 1), 0);
  t.equal(counted, 1000, 'the lines account for every failure');
  t.ok(lines.length <= 20, `${lines.length} lines for 1,000 failures`);
  t.match(lines[0], /\twarn\tRefused invite request from 192\.0\.2\.50: unknown key AAAAAAAAAAAA$/);
});
