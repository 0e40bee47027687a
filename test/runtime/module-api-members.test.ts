/**
 * The module API members that follow Prosody's core/moduleapi.lua (runtime/module-context.ts,
 * runtime/host.ts, runtime/cron.ts): hook's unhook function, soft depends, onReady, the status,
 * hourly/daily/weekly jobs on the test clock, and items that carry their source.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import t, { type Test } from 'tap';
import { readConfig } from '../../runtime/config/index.js';
import type { Host } from '../../runtime/host.js';
import { Runtime } from '../../runtime/runtime.js';
import { TestClock } from '../../runtime/testing/clock.js';
import { startHost } from '../../runtime/testing/index.js';

const START = 1_800_000_000; // 08:00 UTC, on the hour

interface Setup {
  plugins?: Record<string, string>;
  extra?: string;
  processType?: 'server' | 'ctl';
  dir?: string;
  clock?: TestClock;
}

/** A runtime with TestClock on a folder holding these plugins (`mod_<name>/index.js` sources). */
function runtime(t: Test, setup: Setup): { rt: Runtime; host: Host; clock: TestClock; dir: string } {
  const dir = setup.dir ?? t.testdir();
  for (const [name, code] of Object.entries(setup.plugins ?? {})) {
    const file = join(dir, 'plugins', `mod_${name}`, 'index.js');
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, code);
  }
  writeFileSync(join(dir, 'prosody.cfg.lua'), ['plugin_paths = { "plugins" }', 'data_path = "data"', setup.extra ?? '', 'VirtualHost "example.com"'].join('\n'));
  const clock = setup.clock ?? new TestClock(START);
  const rt = new Runtime(readConfig(join(dir, 'prosody.cfg.lua')), setup.processType ?? 'server', clock);
  t.teardown(() => rt.shutdown());
  return { rt, host: rt.host('example.com')!, clock, dir };
}

t.test('hook returns the function that removes the handler', async (t) => {
  const { host } = runtime(t, {
    plugins: {
      pinger: `export default { load(module) {
        const seen = [];
        const unhook = module.hook('ping', (data) => { seen.push(data); });
        return { seen, unhook };
      } };`,
    },
  });
  const api = (await host.load('pinger')) as { seen: unknown[]; unhook: () => void };
  host.events.fire('ping', 1);
  api.unhook();
  host.events.fire('ping', 2);
  api.unhook(); // twice is harmless
  t.same(api.seen, [1]);
  await host.unload('pinger');
});

t.test('soft depends gives undefined for a missing or disabled module, the API otherwise', async (t) => {
  const { host } = runtime(t, {
    extra: 'modules_disabled = { "off" }',
    plugins: {
      off: `export default { load() { return 'off'; } };`,
      base: `export default { load() { return 'base api'; } };`,
      soft: `export default { async load(module) {
        return {
          missing: await module.depends('nowhere', { optional: true }),
          disabled: await module.depends('off', { optional: true }),
          present: await module.depends('base', { optional: true }),
        };
      } };`,
      hard: `export default { async load(module) { await module.depends('nowhere'); } };`,
    },
  });
  t.same(await host.load('soft'), { missing: undefined, disabled: undefined, present: 'base api' });
  await t.rejects(host.load('hard'), { code: 'ERR_MODULE_LOAD', message: /Failed to load module 'hard' on example\.com: .*nowhere/ });
});

const readyPlugin = (name: string) => `export default { load(module) {
  const calls = [];
  module.onReady(() => { calls.push({ loaded: [...globalThis.loadedOrder ?? []], items: module.getItems('widget').length }); });
  globalThis.loadedOrder = [...(globalThis.loadedOrder ?? []), '${name}'];
  module.provides('widget', { from: '${name}' });
  return { calls };
} };`;

t.test('onReady runs once the server has started, then at once after a late load', async (t) => {
  const { host } = runtime(t, { plugins: { early: readyPlugin('early'), second: readyPlugin('second'), late: readyPlugin('late') } });
  const early = (await host.load('early')) as { calls: unknown[] };
  const second = (await host.load('second')) as { calls: unknown[] };
  t.same(early.calls, [], 'not before the server has started');
  await host.ready();
  t.same(early.calls, [{ loaded: ['early', 'second'], items: 2 }], 'it sees every module loaded');
  t.same(second.calls.length, 1);
  await host.ready();
  t.equal(early.calls.length, 1, 'only once');
  const late = (await host.load('late')) as { calls: unknown[] };
  t.same(late.calls, [{ loaded: ['early', 'second', 'late'], items: 3 }], 'a module loaded later runs it after its load');
  delete (globalThis as { loadedOrder?: unknown }).loadedOrder;
});

t.test('onReady never runs under ctl', async (t) => {
  const { host } = runtime(t, { processType: 'ctl', plugins: { early: readyPlugin('early') } });
  const api = (await host.load('early')) as { calls: unknown[] };
  await host.ready();
  t.same(api.calls, []);
  delete (globalThis as { loadedOrder?: unknown }).loadedOrder;
});

t.test("setStatus follows Prosody's rules and the host shows each module's status", async (t) => {
  const { host, clock } = runtime(t, {
    plugins: {
      quiet: `export default { load() {} };`,
      warned: `export default { load(module) { module.setStatus('warn', 'No landing page'); return module; } };`,
      broken: `export default { load() { throw new Error('no config'); } };`,
    },
  });
  const updates: unknown[] = [];
  host.events.on('module-status/updated', (e) => void updates.push(e));
  await host.load('quiet');
  const warned = (await host.load('warned')) as { setStatus(type: string, message: string, override?: boolean): void; logStatus(level: string, message: string, ...args: unknown[]): void };
  await t.rejects(host.load('broken'));
  t.same(Object.fromEntries(host.statuses()), {
    quiet: { type: 'core', message: 'Loaded', time: START },
    warned: { type: 'warn', message: 'No landing page', time: START },
    broken: { type: 'error', message: 'Failed to load: no config', time: START },
  }, "core 'Loaded' (override false) does not hide a warning set during load");
  t.same(updates, [{ name: 'quiet' }, { name: 'warned' }], 'module-status/updated names the module');
  await clock.advance(10);
  warned.setStatus('error', 'Disk full');
  warned.setStatus('info', 'All good');
  t.same(host.statuses().get('warned'), { type: 'error', message: 'Disk full', time: START + 10 }, 'an error stays until another error');
  warned.setStatus('info', 'All good', true);
  t.same(host.statuses().get('warned'), { type: 'info', message: 'All good', time: START + 10 }, 'unless overridden');
  warned.setStatus('bogus', 'What');
  t.same(host.statuses().get('warned')?.type, 'info', 'an unknown type counts as info');
  warned.logStatus('warn', 'Slow disk: %d ms', 250);
  t.same(host.statuses().get('warned')?.message, 'Slow disk: 250 ms');
});

const jobsPlugin = `export default { load(module) {
  const runs = { hourly: [], daily: [], weekly: [], failing: 0 };
  module.hourly('Count hours', (now) => { runs.hourly.push(now); });
  module.daily('Count days', async (now) => { await new Promise((r) => setImmediate(r)); runs.daily.push(now); });
  module.weekly('Count weeks', (now) => { runs.weekly.push(now); });
  module.hourly('Always fails', () => { runs.failing++; throw new Error('nope'); });
  return runs;
} };`;

interface Runs {
  hourly: number[];
  daily: number[];
  weekly: number[];
  failing: number;
}

t.test('hourly, daily and weekly jobs run on the clock, at the top of each period', async (t) => {
  const { host, clock, dir } = runtime(t, { plugins: { jobs: jobsPlugin } });
  const runs = (await host.load('jobs')) as Runs;
  await clock.advance(3599);
  t.same(runs.hourly, [], 'not before the next hour');
  await clock.advance(1);
  t.same(runs.hourly, [START + 3600]);
  await clock.advance(86400);
  t.equal(runs.hourly.length, 25);
  t.equal(runs.failing, 25, 'a failing job is logged and tried again next period, not in a loop');
  t.same(runs.daily, [START - (START % 86400) + 86400], 'the daily job at midnight UTC');
  t.same(runs.weekly, []);
  const cron = readFileSync(join(dir, 'data', 'example%2ecom', 'cron.dat'), 'utf8');
  t.match(cron, `["jobs/count_hours"] = ${START + 90000};`, "the last runs are in Prosody's cron store");
  t.match(cron, `["jobs/count_days"] = ${START - (START % 86400) + 86400};`);
});

t.test('a restart keeps the period: a job does not run early or twice', async (t) => {
  const first = runtime(t, { plugins: { jobs: jobsPlugin } });
  await first.host.load('jobs');
  await first.clock.advance(3600);
  await first.rt.shutdown();
  const clock = new TestClock(START + 3600 + 1800);
  const again = runtime(t, { dir: first.dir, clock });
  const runs = (await again.host.load('jobs')) as Runs;
  await clock.advance(1799);
  t.same(runs.hourly, [], 'half an hour after the last run it is not due');
  await clock.advance(1);
  t.same(runs.hourly, [START + 7200]);
});

t.test('periodic jobs never run under ctl, and stop when the module unloads', async (t) => {
  const ctl = runtime(t, { processType: 'ctl', plugins: { jobs: jobsPlugin } });
  const runs = (await ctl.host.load('jobs')) as Runs;
  await ctl.clock.advance(7 * 86400);
  t.same(runs, { hourly: [], daily: [], weekly: [], failing: 0 });
  t.equal(ctl.clock.pending, 0);
  t.notOk(existsSync(join(ctl.dir, 'data', 'example%2ecom', 'cron.dat')));

  const server = runtime(t, { plugins: { jobs: jobsPlugin } });
  const serverRuns = (await server.host.load('jobs')) as Runs;
  await server.host.unload('jobs');
  await server.clock.advance(86400);
  t.same(serverRuns.hourly, []);
  t.equal(server.clock.pending, 0);
});

t.test('item-added and item-removed carry the item and its source, as in Prosody', async (t) => {
  const { host } = runtime(t, {
    plugins: {
      watcher: `export default { load(module) {
        const events = [];
        module.handleItems('widget', (e) => events.push(['added', e.source, e.item]), (e) => events.push(['removed', e.source, e.item]));
        return events;
      } };`,
      maker: `export default { load(module) { module.provides('widget', { colour: 'blue' }); } };`,
      early: `export default { load(module) { module.provides('widget', { colour: 'red' }); } };`,
    },
  });
  await host.load('early');
  const events = (await host.load('watcher')) as unknown[];
  const seen: unknown[] = [];
  host.events.on('item-added/widget', (e) => void seen.push(e));
  await host.load('maker');
  await host.unload('maker');
  const early = { name: 'early', host: 'example.com' };
  const maker = { name: 'maker', host: 'example.com' };
  t.same(events, [
    ['added', early, { colour: 'red' }],
    ['added', maker, { colour: 'blue' }],
    ['removed', maker, { colour: 'blue' }],
  ]);
  t.same(seen, [{ source: maker, item: { colour: 'blue' } }]);
});

t.test("mod_invites purges expired invites with its hourly job", async (t) => {
  const host = await startHost(t, { now: START, config: 'modules_enabled = { "invites" }\nVirtualHost "example.com"\n' });
  const made = await host.ctl('mod_invites', 'generate', 'example.com', '--expires-after', '60');
  t.equal(made.code, 0);
  const store = join(host.dir, 'data', 'example%2ecom', 'invite_token.dat');
  t.ok(existsSync(store));
  await host.clock.advance(3599);
  t.ok(existsSync(store), 'kept until the job runs');
  await host.clock.advance(1);
  t.notOk(existsSync(store), 'the expired invite is gone (an empty store is no file)');
  t.match(readFileSync(join(host.dir, 'data', 'example%2ecom', 'cron.dat'), 'utf8'), `["invites/purge_expired_invites"] = ${START + 3600};`);
});
