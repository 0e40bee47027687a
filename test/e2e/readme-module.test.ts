/**
 * The README's "Writing a module" example, as written: saved as plugins/mod_greeter/index.ts in
 * a folder outside the checkout (it finds `canto/module-api` through the running Canto), loaded
 * from plugin_paths as TypeScript, and used over HTTP and ctl as the README says.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { ROOT, request, runCtl, startCanto } from '../helpers/canto.js';

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
const section = readme.slice(readme.indexOf('## Writing a module'), readme.indexOf('\n## ', readme.indexOf('## Writing a module') + 1));
const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';

t.test('the example module works as the README says', async (t) => {
  t.match(code, /^\/\/ plugins\/mod_greeter\/index\.ts\n/, 'the example names its file');
  const dir = t.testdir();
  mkdirSync(join(dir, 'plugins', 'mod_greeter'), { recursive: true });
  writeFileSync(join(dir, 'plugins', 'mod_greeter', 'index.ts'), code);
  const config = [
    'http_ports = { 0 }',
    'https_ports = { }',
    'data_path = "data"',
    'plugin_paths = { "plugins" }',
    'modules_enabled = { "greeter" }',
    'VirtualHost "example.com"',
    '',
  ].join('\n');
  const server = await startCanto(t, { config, dir });
  const greet = () => request(server.url('/greeter/alice'), { headers: { Host: 'example.com' } });
  const first = await greet();
  t.equal(first.status, 200);
  t.equal(first.body, 'Hello, alice!');
  t.equal(first.headers['content-type'], 'text/plain');
  await greet();
  const visits = await runCtl(dir, ['mod_greeter', 'visits', 'example.com', 'alice']);
  t.same(visits, { code: 0, stdout: '2\n', stderr: '' });
  t.match(readFileSync(join(dir, 'data', 'example%2ecom', 'greeter_visits.dat'), 'utf8'), '["alice"] = 2;');
});
