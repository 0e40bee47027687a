/**
 * A plugin in a folder outside the Canto checkout, named in plugin_paths, imports
 * `canto/module-api` and gets the running Canto's own instance of it, as TypeScript (through
 * tsx) and as JavaScript, in the server and in ctl.
 */
import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { copyFixtures, FIXTURES, request, ROOT, runCtl, startCanto, testConfig } from '../helpers/canto.js';

const outside = mkdtempSync(join(tmpdir(), 'canto-plugins-'));
// mkdtemp makes it 0700; started as root, the server and ctl read plugins as the prosody user.
chmodSync(outside, 0o755);
copyFixtures(join(FIXTURES, 'outside'), outside);
t.teardown(() => rmSync(outside, { recursive: true, force: true }));

t.test('the plugin folder is outside the checkout, with no node_modules', async (t) => {
  t.notOk(outside.startsWith(ROOT));
  t.notOk(existsSync(join(outside, 'node_modules')));
});

for (const lang of ['ts', 'js']) {
  const name = `outside_${lang}`;
  const word = lang === 'ts' ? 'typescript' : 'javascript';

  t.test(`a ${word} plugin shares the host's store symbols and answers over HTTP`, async (t) => {
    const server = await startCanto(t, { config: testConfig([name], `plugin_paths = { ${JSON.stringify(outside)} }`) });
    const reply = await request(server.url(`/${name}`), { headers: { Host: 'example.com' } });
    t.equal(reply.status, 200);
    t.equal(reply.body, `${word}: true`);
    t.notOk(existsSync(join(server.dir, 'data', 'example%2ecom', `${name}.dat`)), 'KEEP wrote nothing');
    const missing = await request(server.url(`/${name}/missing`), { headers: { Host: 'example.com', Accept: 'application/json' } });
    t.equal(missing.status, 404, "the plugin's HttpError is the server's");
    t.same(JSON.parse(missing.body), { type: 'cancel', condition: 'item-not-found', text: 'No such thing' });
  });

  t.test(`a ${word} plugin's UsageError is ctl's: usage on stderr, exit 2`, async (t) => {
    const dir = t.testdir({ 'prosody.cfg.lua': testConfig([name], `plugin_paths = { ${JSON.stringify(outside)} }`) });
    const result = await runCtl(dir, [`mod_${name}`, 'refuse', 'example.com']);
    t.same(result, {
      code: 2,
      stdout: '',
      stderr: `ctl: nothing is right\nUsage: ctl mod_${name} refuse HOST\n\nAlways refuses its arguments\n\nArguments:\n  HOST                     a VirtualHost from the config\n`,
    });
  });
}
