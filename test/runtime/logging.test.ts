/**
 * Prosody's `log` option (runtime/logging.ts) on the real server: sinks by level, files
 * beside the config, and no secret in any of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { request, runCtl, startCanto, testConfig } from '../helpers/canto.js';

t.test('log sinks by level go to the console and to files, and never hold a secret', async (t) => {
  const log = [
    'log = {',
    '  { levels = { min = "info" }, to = "console" };',
    '  { levels = { min = "debug" }, to = "file", filename = "logs/canto.debug" };',
    '  { levels = { "warn", "error" }, to = "file", filename = "logs/canto.warn" };',
    '}',
  ].join('\n');
  const server = await startCanto(t, { config: testConfig(['invites', 'invites_api'], log) });
  const created = await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com', 'logged']);
  const key = created.stdout.trim();
  const secret = key.split('/')[1]!;
  t.equal((await request(server.url(`/invites_api?key=${key}`), { headers: { Host: 'example.com' } })).status, 201);
  const wrong = `${key.split('/')[0]}/${secret.slice(0, -1)}x`;
  t.equal((await request(server.url(`/invites_api?key=${wrong}`), { headers: { Host: 'example.com' } })).status, 403);
  await server.stop();

  const debug = readFileSync(join(server.dir, 'logs', 'canto.debug'), 'utf8');
  const warn = readFileSync(join(server.dir, 'logs', 'canto.warn'), 'utf8');
  t.match(debug, /\tinfo\tCanto ready/, 'info reaches the debug file');
  t.match(debug, /\tdebug\tGET \/invites_api\?key=REDACTED -> 201\n/, 'and so does debug, with key= redacted');
  t.match(warn, /\twarn\tRefused invite request from 127\.0\.0\.1: wrong secret for key /);
  t.notMatch(warn, /\t(info|debug)\t/, 'the level list keeps the rest out');
  t.notMatch(server.stderr(), /\tdebug\t/, 'the console takes info and up');
  for (const [name, text] of [['console', server.stderr()], ['debug file', debug], ['warn file', warn]] as const) {
    t.notMatch(text, secret, `no secret in the ${name}`);
    t.notMatch(text, secret.slice(0, -1), `not even the wrong one, in the ${name}`);
  }
});
