/**
 * The README's quick start, typed as written: its `sh` blocks run in bash, from the repository
 * root, against the real server started with prosody.cfg.example. Two things differ, so that
 * `npm test` works while `npm start` runs: the config is a copy in a temp folder, named by
 * $PROSODY_CONFIG, and its ports 5280/5281 become free ones (port 0), with the blocks' own
 * `localhost:5281` / `localhost:5280` rewritten to the ports the server got.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, request, startCanto } from '../helpers/canto.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const quickStart = readme.slice(readme.indexOf('## Quick start'), readme.indexOf('\n## ', readme.indexOf('## Quick start') + 1));
const blocks = [...quickStart.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());

t.test('the quick start has the steps a newcomer types', async (t) => {
  t.match(blocks[0], /^npm ci && npm start$/);
  t.ok(blocks.some((b) => b.includes('npx ctl mod_invites_api create example.com "My test key"')));
  t.equal(blocks.at(-1), 'npm test');
});

t.test('every quick-start command works as written against npm start with prosody.cfg.example', async (t) => {
  const dir = t.testdir();
  const config = join(dir, 'prosody.cfg.lua');
  const example = readFileSync(join(ROOT, 'prosody.cfg.example'), 'utf8');
  t.match(example, /^http_ports = \{ 5280 \}$/m, 'the example listens where the README says');
  t.match(example, /^https_ports = \{ 5281 \}$/m);
  const server = await startCanto(t, {
    dir,
    config: example.replace(/^(https?_ports) = \{ 528[01] \}$/gm, '$1 = { 0 }'),
  });
  const onPorts = (text: string) =>
    text.replaceAll('localhost:5281', `localhost:${server.httpsPort}`).replaceAll('localhost:5280', `localhost:${server.httpPort}`);

  const steps = blocks.filter((b) => !b.startsWith('npm ')).map(onPorts);
  // One bash session, so $KEY set in one block is there for the next; a marker after each block.
  const script = ['set -e', ...steps.map((b, i) => `${b}\necho\necho "=== ${i}"`)].join('\n');
  const run = spawnSync('bash', ['-c', script], {
    cwd: ROOT,
    env: { ...process.env, PROSODY_CONFIG: config, NODE_OPTIONS: '' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  t.equal(run.status, 0, run.stderr);
  const outputs = run.stdout.split(/\n=== \d+\n/);
  const out = (needle: string) => outputs[steps.findIndex((s) => s.includes(needle))] ?? '';

  t.match(outputs[steps.indexOf('npx ctl mod_invites_api create example.com "My test key"')], /^[A-Za-z0-9_-]{12}\/[A-Za-z0-9_-]{36}\n$/, 'create prints ID/SECRET');
  t.match(out('curl -k -i "https'), /^HTTP\/1\.1 201 Created\r\n[\s\S]*Location: https:\/\/example\.com\/invite\?[A-Za-z0-9_-]{24}\r\n/);
  t.match(out('Authorization: Bearer'), /^HTTP\/1\.1 201 Created\r\n/);
  const json = JSON.parse(out('application/json')) as { uri: string; landing_page: string };
  t.match(json.uri, /^xmpp:example\.com\?register;preauth=[A-Za-z0-9_-]{24}$/);

  const token = json.landing_page.split('?')[1];
  const page = await request(`https://localhost:${server.httpsPort}/invite?${token}`);
  t.equal(page.status, 200, 'the landing page is served where the README says');
  t.match(page.body, /example\.com/);

  t.match(out('mod_invites_api list'), /^[A-Za-z0-9_-]{12}\tMy test key/m, 'list shows the keys by id and name');
  const keys = [...out('mod_invites_api list').matchAll(/^([A-Za-z0-9_-]{12})\t/gm)].map((m) => m[1]);
  const left = spawnSync(process.execPath, [join(ROOT, 'bin', 'ctl.js'), 'mod_invites_api', 'list', 'example.com'], {
    env: { ...process.env, PROSODY_CONFIG: config, NODE_OPTIONS: '' },
    encoding: 'utf8',
  });
  t.equal(left.stdout.trim().split('\n').length, keys.length - 1, 'delete removed the key');
});
