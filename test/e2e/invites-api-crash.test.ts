/**
 * kill -9 in the middle of a burst of creates: every invite that was answered 201 is in the
 * store after a restart, and the server starts and creates again.
 */
import t from 'tap';
import { request, runCtl, startCanto, testConfig } from '../helpers/canto.js';

const URI = /^xmpp:example\.com\?register;preauth=([A-Za-z0-9_-]{24})$/;

t.test('every invite answered 201 survives a kill -9', async (t) => {
  const config = testConfig(['invites', 'invites_api']);
  const server = await startCanto(t, { config });
  const dir = server.dir;
  const key = (await runCtl(dir, ['mod_invites_api', 'create', 'example.com'])).stdout.trim();

  const answered: string[] = [];
  let killed = false;
  async function worker(): Promise<void> {
    while (!killed) {
      try {
        const reply = await request(server.url(`/invites_api?key=${key}`));
        if (reply.status === 201) answered.push(URI.exec(String(reply.headers.location))![1]!);
        if (answered.length >= 40 && !killed) {
          killed = true;
          server.process.kill('SIGKILL');
        }
      } catch {
        return; // the connection died with the server
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker));
  await server.stop();
  t.ok(answered.length >= 40, `${answered.length} invites answered before the kill`);

  const listed = await runCtl(dir, ['mod_invites', 'list', 'example.com']);
  t.equal(listed.code, 0, listed.stderr);
  const stored = new Set(listed.stdout.split('\n').map((line) => line.split('\t')[0]));
  const lost = answered.filter((token) => !stored.has(token));
  t.same(lost, [], 'no answered invite was lost');

  const restarted = await startCanto(t, { config, dir });
  t.equal((await request(restarted.url(`/invites_api?key=${key}`))).status, 201, 'the restarted server creates invites');
});
