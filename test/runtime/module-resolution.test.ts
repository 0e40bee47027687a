/**
 * runtime/module-resolution.ts: a plugin outside the checkout, loaded in-process from the
 * TypeScript sources, gets the very instance of `canto/module-api` the host runs; and the
 * built module bundles carry no runtime code of their own. (test/e2e/plugin-paths.test.ts
 * loads the same plugins in the built server and ctl.)
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { readConfig } from '../../runtime/config/index.js';
import { KEEP, UsageError } from '../../runtime/module-api.js';
import { Runtime } from '../../runtime/runtime.js';
import { copyFixtures, FIXTURES, ROOT } from '../helpers/canto.js';

const outside = mkdtempSync(join(tmpdir(), 'canto-plugins-'));
copyFixtures(join(FIXTURES, 'outside'), outside);
// tap compiles TypeScript with ts-node, which (unlike tsx in the server) follows the nearest
// package.json to choose ESM, as a plugin author's own package would declare.
writeFileSync(join(outside, 'package.json'), '{ "type": "module" }\n');
t.teardown(() => rmSync(outside, { recursive: true, force: true }));

for (const name of ['outside_ts', 'outside_js']) {
  t.test(`mod_${name} from a folder outside the checkout shares the host's module API`, async (t) => {
    const file = join(t.testdir(), 'prosody.cfg.lua');
    writeFileSync(file, [`plugin_paths = { ${JSON.stringify(outside)} }`, 'data_path = "data"', 'VirtualHost "example.com"'].join('\n'));
    const rt = new Runtime(readConfig(file), 'server');
    t.teardown(() => rt.shutdown());
    const api = (await rt.host('example.com')!.load(name)) as { kept: symbol; UsageError: unknown };
    t.equal(api.kept, KEEP);
    t.equal(api.UsageError, UsageError);
  });
}

t.test('built module bundles import the API and bundle no runtime code', async (t) => {
  const bundles = join(ROOT, 'dist', 'bundle', 'modules');
  const names = readdirSync(bundles);
  t.ok(names.includes('mod_invites'));
  for (const name of names) {
    const code = readFileSync(join(bundles, name, 'index.js'), 'utf8');
    // esbuild heads each bundled source file with a `// path` comment.
    const sources = [...code.matchAll(/^\/\/ (\S+\.ts)$/gm)].map((m) => m[1]!);
    t.same(sources.filter((s) => !s.startsWith(`modules/${name}/`)), [], `${name} bundles only its own files`);
    const imports = [...code.matchAll(/^import .* from "([^"]+)";$/gm)].map((m) => m[1]!);
    t.ok(imports.includes('canto/module-api'), `${name} imports canto/module-api`);
    t.same(imports.filter((s) => s.startsWith('.') || s.startsWith('/')), [], `${name} imports no file outside itself`);
  }
});
