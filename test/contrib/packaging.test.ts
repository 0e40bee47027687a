/**
 * Packaging: the systemd unit in contrib/ is valid (systemd-analyze verify) and runs Canto as
 * `prosody` with Prosody's config; `npm start` runs the build `npm ci` made, without building.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { request, ROOT, runCtl, testConfig } from '../helpers/canto.js';

const UNIT = join(ROOT, 'contrib', 'canto.service');
const analyze = spawnSync('sh', ['-c', 'command -v systemd-analyze'], { encoding: 'utf8' }).stdout.trim();

t.test('the systemd unit runs Canto as prosody with Prosody config, and reloads with SIGHUP', async (t) => {
  const unit = readFileSync(UNIT, 'utf8');
  t.match(unit, /^User=prosody$/m);
  t.match(unit, /^Group=prosody$/m);
  t.match(unit, /^ExecStart=\/usr\/bin\/node \/opt\/canto\/bin\/canto\.js --config \/etc\/prosody\/prosody\.cfg\.lua$/m);
  t.match(unit, /^ExecReload=\/bin\/kill -HUP \$MAINPID$/m);
  t.match(unit, /^UMask=0027$/m);
});

t.test('systemd-analyze verify accepts the unit', { skip: analyze ? false : 'systemd-analyze is not installed' }, async (t) => {
  const dir = t.testdir();
  // verify checks that ExecStart's program exists; node is where the unit says on Debian.
  const node = existsSync('/usr/bin/node') ? '/usr/bin/node' : process.execPath;
  const copy = join(dir, 'canto.service');
  writeFileSync(copy, readFileSync(UNIT, 'utf8').replace('/usr/bin/node', node));
  const r = spawnSync(analyze, ['verify', copy], { encoding: 'utf8' });
  t.equal(r.status, 0, r.stderr);
  t.equal(r.stderr.trim(), '', 'no warnings');
  // And it does fail on a broken unit, so the check above means something.
  const broken = join(dir, 'broken.service');
  writeFileSync(broken, readFileSync(copy, 'utf8').replace(`ExecStart=${node}`, 'ExecStart=/nonexistent/node'));
  t.not(spawnSync(analyze, ['verify', broken], { encoding: 'utf8' }).status, 0);
});

t.test('npm start runs the existing build: nothing is rebuilt', async (t) => {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  t.equal(pkg.scripts.start, 'node bin/canto.js');
  t.notOk('prestart' in pkg.scripts, 'no prestart build');
  const bundle = join(ROOT, 'dist', 'bundle', 'runtime', 'main.js');
  const before = statSync(bundle).mtimeMs;
  const dir = t.testdir({ 'prosody.cfg.lua': testConfig(['invites', 'invites_api']) });
  const env = { ...process.env, NODE_OPTIONS: '' };
  // npm runs the server as its own child: a process group of its own lets the test stop both.
  const child = spawn('npm', ['start', '--silent', '--', '--config', join(dir, 'prosody.cfg.lua')], { cwd: ROOT, env, stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const group = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone.
    }
  };
  t.teardown(() => group('SIGKILL'));
  let err = '';
  const port = await new Promise<number>((resolve, reject) => {
    child.stderr.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /http listening on 127\.0\.0\.1:(\d+)[^]*Canto ready/.exec(err);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}: ${err}`)));
  });
  const r = await request(`http://127.0.0.1:${port}/invites_api`, { headers: { Host: 'example.com' } });
  t.equal(r.status, 403, 'the server answers');
  const exited = new Promise((resolve) => child.once('exit', resolve));
  group('SIGTERM');
  await exited;
  t.equal(statSync(bundle).mtimeMs, before, 'the bundle was not rebuilt');
});

t.test("the README's canto.cfg.lua (Prosody's config included, Canto's own ports) checks clean", async (t) => {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Running Canto beside Prosody'));
  const lua = /```lua\n([^]*?)```/.exec(section)?.[1] ?? '';
  t.match(lua, /^Include "prosody\.cfg\.lua"$/m);
  const dir = t.testdir({ 'prosody.cfg.lua': testConfig(['invites', 'invites_api']).replace('http_ports = { 0 }', 'http_ports = { 5280 }'), 'canto.cfg.lua': lua });
  const r = await runCtl(dir, ['--config', join(dir, 'canto.cfg.lua'), 'check']);
  t.equal(r.code, 0, r.stdout + r.stderr);
  t.match(r.stdout, /^Done: 0 errors, 0 warnings\.$/m);
});
