/**
 * Loading and unloading modules on a host (runtime/host.ts): dependencies, the bound API,
 * and the host undoing every registration on unload.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import { readConfig } from '../../runtime/config/index.js';
import { Runtime } from '../../runtime/runtime.js';
import { FIXTURES } from '../helpers/canto.js';

function runtime(t: Test, extra = ''): Runtime {
  const dir = t.testdir();
  const file = join(dir, 'prosody.cfg.lua');
  writeFileSync(
    file,
    [
      `plugin_paths = { ${JSON.stringify(join(FIXTURES, 'plugins'))} }`,
      'data_path = "data"',
      'modules_enabled = { "registrar" }',
      extra,
      'VirtualHost "example.com"',
      'VirtualHost "other.example"',
      '  modules_disabled = { "hello" }',
    ].join('\n'),
  );
  const rt = new Runtime(readConfig(file), 'server');
  t.teardown(() => rt.shutdown());
  return rt;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

t.test('a module loads its dependencies first and gets their API', async (t) => {
  const rt = runtime(t);
  const host = rt.host('example.com')!;
  await host.load('registrar');
  t.same([...host.loaded.keys()], ['hello', 'registrar']);
  const hello = (await host.load('hello')) as { greet(): string };
  t.equal(hello.greet(), 'hello');
  t.equal(host.loaded.get('registrar')!.api.host, 'example.com');
});

t.test('a dependency in modules_disabled fails the load with a clear error', async (t) => {
  const rt = runtime(t);
  await t.rejects(rt.host('other.example')!.load('registrar'), {
    code: 'ERR_MODULE_LOAD',
    message: /Failed to load module 'registrar' on other\.example: Dependency 'hello' is disabled on other\.example/,
  });
  t.equal(rt.host('other.example')!.loaded.size, 0, 'nothing half-loaded stays behind');
});

t.test('unload removes hooks, items and timers the module registered', async (t) => {
  const rt = runtime(t);
  const host = rt.host('example.com')!;
  const api = (await host.load('registrar')) as { ticks(): number };
  const ping = () => {
    const data = { calls: [] as string[] };
    host.events.fire('ping', data);
    return data.calls;
  };
  t.same(ping(), ['registrar']);
  t.same(host.loaded.get('hello')!.api.getItems('greeting'), [{ text: 'hello from registrar' }]);
  await sleep(100);
  t.ok(api.ticks() > 0, 'the timer fired');

  await host.unload('registrar');
  t.same(ping(), [], 'the hook is gone');
  t.same(host.loaded.get('hello')!.api.getItems('greeting'), [], 'the item is gone');
  const ticks = api.ticks();
  await sleep(100);
  t.equal(api.ticks(), ticks, 'the timer stopped');
});

t.test('shared tables survive a reload; options resolve host, then global', async (t) => {
  const rt = runtime(t, 'hello_greeting = "global hi"');
  const host = rt.host('example.com')!;
  await host.load('registrar');
  await host.unload('registrar');
  await host.load('registrar');
  t.same(rt.shared('/*/registrar/seen'), { loads: 2 });
  t.equal(host.loaded.get('hello')!.api.options.hello_greeting, 'global hi');
  t.equal(host.loaded.get('hello')!.api.getOption('data_path'), 'data');
});

t.test('an unknown host has no Host object', async (t) => {
  t.equal(runtime(t).host('nowhere.example'), undefined);
});
