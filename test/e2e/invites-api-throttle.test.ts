/**
 * Repeated failed authentication from one address is throttled with 429 and Retry-After.
 */
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
