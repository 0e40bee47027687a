/**
 * mod_sample's tests, on the Canto test kit: an in-process host from a config, requests
 * without sockets, ctl commands with their output and exit code. Run them with
 * `npx tap <this folder>`.
 */
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { startHost } from 'canto/testing';

/** The folder that holds mod_sample/, as the config's plugin_paths names it. */
const PLUGINS = fileURLToPath(new URL('../..', import.meta.url));

const config = (hostOptions = '') => `modules_enabled = { "sample" }\nVirtualHost "example.com"\n${hostOptions}`;

t.test('GET /sample answers the greeting', async (t) => {
  const host = await startHost(t, { config: config(), plugins: [PLUGINS] });
  const res = await host.inject('/sample?name=Ada');
  t.equal(res.status, 200);
  t.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  t.equal(res.body, 'Hello, Ada!\n');
  t.equal((await host.inject({ method: 'POST', url: '/sample' })).status, 405, 'only GET is routed');
});

t.test('sample_greeting sets the greeting per host', async (t) => {
  const host = await startHost(t, { config: config('  sample_greeting = "Hi"\n'), plugins: [PLUGINS] });
  t.equal((await host.inject('/sample')).body, 'Hi!\n');
  t.equal(host.api('example.com', 'sample').greet('Bo'), 'Hi, Bo!');
});

t.test('an empty greeting stops the module with the option named', async (t) => {
  await t.rejects(startHost(t, { config: config('  sample_greeting = ""\n'), plugins: [PLUGINS] }), /sample_greeting/);
});

t.test('ctl mod_sample greet', async (t) => {
  const host = await startHost(t, { config: config(), plugins: [PLUGINS] });
  t.same(await host.ctl('mod_sample', 'greet', 'example.com', 'Ada'), { code: 0, stdout: 'Hello, Ada!\n', stderr: '' });
  const misuse = await host.ctl('mod_sample', 'greet', 'example.com', 'Ada', 'Bo');
  t.equal(misuse.code, 2);
  t.match(misuse.stderr, "ctl: unexpected argument 'Bo'\nUsage: ctl mod_sample greet HOST [NAME]\n");
});
