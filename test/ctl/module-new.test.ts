/**
 * `npx ctl module new`: the module it writes passes its own tap test (on canto/testing: loaded
 * by the host as the server loads it, its route through the server's HTTP pipeline, its ctl
 * command) as written, under tap from the checkout and on the built canto/testing.
 * (test/e2e/plugins-outside.test.ts runs plugins in the server process itself.)
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, runCtl, testConfig, writeFiles } from '../helpers/canto.js';

const FILES = ['README.md', 'index.ts', 'options.ts', 'test/guest_book.test.ts', 'types.ts'];

/** Runs node with `args` in `cwd`, as a process of its own (not a subtest stream of this run). */
function run(cwd: string, args: string[]): Promise<{ code: number | null; output: string }> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_OPTIONS; // the outer tap's loader hooks stay out of the inner run
  delete env.TAP;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

t.test('module new writes a module that passes its own test', async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'prosody.cfg.lua': testConfig(['guest_book'], 'plugin_paths = { "plugins" }') });
  const made = await runCtl(dir, ['module', 'new', 'guest_book', '--dir', 'plugins']);
  t.same(made, {
    code: 0,
    stdout: [
      ...FILES.map((f) => `Created plugins/mod_guest_book/${f}`),
      'Enable it with plugin_paths = { "plugins" } and modules_enabled = { "guest_book" };',
      'test it with: npx tap plugins/mod_guest_book/test',
      '',
    ].join('\n'),
    stderr: '',
  });
  const folder = join(dir, 'plugins', 'mod_guest_book');
  t.same(readdirSync(folder).sort(), ['README.md', 'index.ts', 'options.ts', 'test', 'types.ts']);
  const index = readFileSync(join(folder, 'index.ts'), 'utf8');
  t.match(index, "import { defineModule } from 'canto/module-api';");
  t.match(index, 'defineModule<GuestBookApi, GuestBookOptions>');
  t.notMatch(readdirSync(folder).join() + index + readFileSync(join(folder, 'types.ts'), 'utf8'), /sample/i, 'no trace of the template name');

  // The README's kit example, saved where it says, runs beside the module's own test.
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('### Testing a module: canto/testing'));
  const example = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
  t.match(example, /^\/\/ plugins\/mod_guest_book\/test\/greet\.test\.ts\n/, 'the README example names its file');
  writeFiles(folder, { 'test/greet.test.ts': example });

  const ran = await run(ROOT, [join(ROOT, 'node_modules', 'tap', 'dist', 'esm', 'run.mjs'), join(folder, 'test')]);
  t.equal(ran.code, 0, 'its own test passes');
  if (ran.code !== 0) t.comment(ran.output);
  t.match(ran.output, /^ok \d - \S+\/mod_guest_book\/test\/guest_book\.test\.ts/m, 'its own test file passed');
  t.match(ran.output, /^ok \d - \S+\/mod_guest_book\/test\/greet\.test\.ts/m, "the README's example passed");
  t.equal([...ran.output.matchAll(/^ {4}ok \d+ - /gm)].length, 5, 'all five tests ran and passed');
  t.notMatch(ran.output, /not ok/);

  // Without tap's canto-source condition, canto/testing and canto/module-api are the build in
  // dist/, as for a project that has Canto in its node_modules.
  const built = await run(ROOT, ['--import', 'tsx', join(folder, 'test', 'guest_book.test.ts')]);
  t.equal(built.code, 0, 'its test passes on the built canto/testing');
  if (built.code !== 0) t.comment(built.output);
  t.equal([...built.output.matchAll(/^ok \d+ - /gm)].length, 4, 'its four tests passed');
  t.notMatch(built.output, /not ok/);
});

t.test('module new refuses what it cannot do, and changes nothing', async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'plugins/mod_taken/index.ts': 'export default {};\n' });
  const usage = (await runCtl(dir, ['module', 'new', '--help'])).stdout;
  t.match(usage, /^Usage: ctl module new NAME \[--dir DIR\]\n/);
  for (const [args, message] of [
    [['module', 'new'], 'ctl: missing NAME'],
    [['module', 'new', 'Bad-Name'], "ctl: invalid module name 'Bad-Name': use lower-case letters, digits and _, starting with a letter"],
    [['module', 'new', 'a', 'b'], "ctl: unexpected argument 'b'"],
    [['module', 'new', 'a', '--dir'], "ctl: option '--dir' needs a value (DIR)"],
    [['module', 'old', 'a'], "ctl: unknown module command 'old'"],
  ] as const) {
    t.same(await runCtl(dir, [...args]), { code: 2, stdout: '', stderr: `${message}\n${usage}` }, args.join(' '));
  }
  t.same(await runCtl(dir, ['module', 'new', 'mod_taken']), { code: 1, stdout: '', stderr: `Error: ${join(dir, 'plugins', 'mod_taken')} already exists\n` });
  t.same(readdirSync(join(dir, 'plugins')), ['mod_taken'], 'nothing else was written');
  t.notOk(existsSync(join(dir, 'mod_a')));
});
