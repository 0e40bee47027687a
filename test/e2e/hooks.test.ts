/**
 * Event hooks on the real server: an async invite-created handler is awaited before
 * mod_invites_page's own handler runs, and a handler that throws is logged with module, host
 * and event while the others still run.
 */
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { FIXTURES, request, runCtl, startCanto, testConfig } from '../helpers/canto.js';

const config = (extra = '') =>
  testConfig(['invites', 'invites_api', 'invites_page', 'async_hook'], `plugin_paths = { ${JSON.stringify(join(FIXTURES, 'plugins'))} }\n${extra}`);

/** Mint an invite over the API; returns its Location and what ctl shows of it. */
async function mint(t: Test, extra?: string) {
  const server = await startCanto(t, { config: config(extra) });
  const key = (await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com', 'hooks'])).stdout.trim();
  const reply = await request(server.url(`/invites_api?key=${key}`), { headers: { Host: 'example.com' } });
  const location = String(reply.headers.location);
  const token = location.slice(location.indexOf('?') + 1);
  const shown = await runCtl(server.dir, ['mod_invites', 'show', 'example.com', token]);
  return { server, reply, location, shown: shown.stdout };
}

t.test('an async handler is awaited and the landing-page handler after it still runs', async (t) => {
  const { server, reply, location, shown } = await mint(t);
  t.equal(reply.status, 201);
  t.match(location, new RegExp(`^http://example\\.com:${server.httpPort}/invites_page\\?[A-Za-z0-9_-]{24}$`), 'the landing page, not the xmpp: URI');
  t.match(shown, /^additional_data: \{"source":"api\/token\/[\w-]+","tagged":"after a wait"\}$/m, 'what the async handler set was stored');
  t.notMatch(server.stderr(), /\terror\t/);
});

t.test('a handler that throws is logged with module, host and event; the rest still run', async (t) => {
  const { server, reply, location, shown } = await mint(t, 'async_hook_throw = true');
  t.equal(reply.status, 201);
  t.match(location, /\/invites_page\?[A-Za-z0-9_-]{24}$/);
  t.match(shown, /^additional_data: \{"source":"api\/token\/[\w-]+","tagged":"after a wait"\}$/m);
  t.match(await server.logged(/\n\w{3} \d\d \d\d:\d\d:\d\d example\.com:async_hook\s*\terror\tError in a handler for event 'invite-created': the throwing handler\n/), /\n\w{3} \d\d \d\d:\d\d:\d\d example\.com:async_hook\s*\terror\tError in a handler for event 'invite-created': the throwing handler\n/);
});
