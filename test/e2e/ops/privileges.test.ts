/**
 * Privileges as Prosody's: started as root, the server binds, then becomes prosody_user before
 * it loads a module or opens data; ctl started as root becomes the data's owner first. Every
 * file either writes belongs to the data's owner, files 0640 and folders 0750. CI runs as root
 * with a `prosody` user (.ci/run makes it), so these switches are real there.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { request, runCtl, SERVER_BIN, startCanto, testConfig, writeFiles } from '../../helpers/canto.js';

const root = process.getuid?.() === 0;
const prosodyUid = (() => {
  try {
    return Number(execFileSync('id', ['-u', 'prosody'], { encoding: 'utf8' }).trim());
  } catch {
    return undefined;
  }
})();
const skip = !root ? 'needs root (CI runs as root)' : prosodyUid === undefined ? "needs a 'prosody' user (.ci/run creates it)" : false;

const MODULES = ['invites', 'invites_api', 'invites_page'];

/** Uid and gid of a running process, from /proc. */
function processIds(pid: number): { uid: number; gid: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { uid: Number(/^Uid:\s+(\d+)/m.exec(status)![1]), gid: Number(/^Gid:\s+(\d+)/m.exec(status)![1]) };
}

/** Every file and folder under `dir`, with owner and mode. */
function tree(dir: string): { path: string; uid: number; mode: string; folder: boolean }[] {
  const out: { path: string; uid: number; mode: string; folder: boolean }[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    out.push({ path: p, uid: st.uid, mode: (st.mode & 0o777).toString(8), folder: st.isDirectory() });
    if (st.isDirectory()) for (const name of readdirSync(p)) walk(join(p, name));
  };
  walk(dir);
  return out;
}

t.test('started as root, the server runs as prosody and so does ctl; all data is theirs', { skip }, async (t) => {
  const server = await startCanto(t, { config: testConfig(MODULES) });
  t.same(processIds(server.process.pid!).uid, prosodyUid, 'the server process runs as prosody');
  const key = await runCtl(server.dir, ['mod_invites_api', 'create', 'example.com', 'root made this']);
  t.equal(key.code, 0, key.stderr);
  const reply = await request(server.url(`/invites_api?key=${key.stdout.trim()}`));
  t.equal(reply.status, 201, 'the server uses the key ctl (run as root) wrote');
  const gen = await runCtl(server.dir, ['mod_invites', 'generate', 'example.com']);
  t.equal(gen.code, 0, gen.stderr);
  await server.stop();
  for (const entry of tree(join(server.dir, 'data'))) {
    t.equal(entry.uid, prosodyUid, `${entry.path} belongs to prosody`);
    if (!entry.path.endsWith('.sock')) t.equal(entry.mode, entry.folder ? '750' : '640', `${entry.path} is ${entry.folder ? '0750' : '0640'}`);
  }
});

t.test('a prosody_user that does not exist: the server refuses to run as root and writes nothing', { skip }, async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'prosody.cfg.lua': testConfig(MODULES, 'prosody_user = "canto-no-such-user"') });
  const r = execServer(dir);
  t.equal(r.code, 1);
  t.match(
    r.stderr,
    /\terror\tCouldn't switch to user\/group 'canto-no-such-user'\/'canto-no-such-user': no such user\n.*\terror\tDanger, Will Robinson! Canto doesn't need to be run as root, so don't do it!\n.*\terror\tSet prosody_user to the user that owns the data \(or run_as_root = true\); refusing to run as root\n$/,
  );
  t.notOk(existsSync(join(dir, 'data')), 'no data folder was made');
});

t.test('a data folder that belongs to root: the server refuses and leaves it as it was', { skip }, async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'prosody.cfg.lua': testConfig(MODULES), 'data/example%2ecom/invite_token.dat': 'return {};\n' });
  const before = tree(join(dir, 'data'));
  const r = execServer(dir);
  t.equal(r.code, 1);
  t.match(r.stderr, new RegExp(`\\terror\\tThe data folder ${escape(join(dir, 'data'))} belongs to root, not to 'prosody', the user Canto runs as\\n`));
  t.match(r.stderr, new RegExp(`\\terror\\tGive it to that user \\(chown -R prosody:prosody ${escape(join(dir, 'data'))}\\) or set prosody_user = "root"\\n`));
  t.same(tree(join(dir, 'data')), before, 'nothing was changed');
  t.equal(readFileSync(join(dir, 'data/example%2ecom/invite_token.dat'), 'utf8'), 'return {};\n');
});

t.test('prosody_user = "root" is still running as root: refused unless run_as_root', { skip }, async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'prosody.cfg.lua': testConfig(MODULES, 'prosody_user = "root"') });
  const r = execServer(dir);
  t.equal(r.code, 1);
  t.match(r.stderr, /\terror\tprosody_user 'root' is root\n.*Danger, Will Robinson!/);
});

t.test('run_as_root = true keeps root, as Prosody', { skip }, async (t) => {
  const server = await startCanto(t, { config: testConfig(MODULES, 'run_as_root = true') });
  t.equal(processIds(server.process.pid!).uid, 0);
});

t.test('a config the prosody user cannot read: the server says so and exits 1', { skip }, async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'prosody.cfg.lua': testConfig(MODULES) });
  chmodSync(join(dir, 'prosody.cfg.lua'), 0o600);
  const r = execServer(dir);
  t.equal(r.code, 1);
  t.match(r.stderr, new RegExp(`\\terror\\tThe config file ${escape(join(dir, 'prosody.cfg.lua'))} is not readable by the 'prosody' user: EACCES\\n$`));
});

t.test('ctl as root becomes the owner of existing data, whoever that is', { skip }, async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'prosody.cfg.lua': testConfig(MODULES) });
  mkdirSync(join(dir, 'data'), { mode: 0o750 });
  chownSync(join(dir, 'data'), prosodyUid!, 0);
  const r = await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'k']);
  t.equal(r.code, 0, r.stderr);
  for (const entry of tree(join(dir, 'data'))) t.equal(entry.uid, prosodyUid, `${entry.path} belongs to the data's owner`);
});

t.test('ctl as root with no data and no such prosody_user refuses and writes nothing', { skip }, async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'prosody.cfg.lua': testConfig(MODULES, 'prosody_user = "canto-no-such-user"') });
  const r = await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'k']);
  t.same(r, {
    code: 1,
    stdout: '',
    stderr:
      "Error: Couldn't switch to user/group 'canto-no-such-user'/'canto-no-such-user': no such user\n" +
      "Error: ctl refuses to work on the data as root; run it as the data's owner, or set run_as_root = true\n",
  });
  t.notOk(existsSync(join(dir, 'data')));
});

t.test("ctl as root keeps root's own data root's", { skip }, async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'prosody.cfg.lua': testConfig(MODULES) });
  mkdirSync(join(dir, 'data'), { mode: 0o750 });
  const r = await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'k']);
  t.equal(r.code, 0, r.stderr);
  for (const entry of tree(join(dir, 'data'))) t.equal(entry.uid, 0, `${entry.path} stays root's`);
});

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function execServer(dir: string): { code: number | null; stderr: string } {
  const env = { ...process.env };
  delete env.NODE_OPTIONS;
  try {
    execFileSync(process.execPath, [SERVER_BIN, '--config', join(dir, 'prosody.cfg.lua')], { cwd: dir, env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'], timeout: 20_000 });
    return { code: 0, stderr: '' };
  } catch (err) {
    const e = err as { status: number | null; stderr: string };
    return { code: e.status, stderr: e.stderr };
  }
}
