/**
 * The host's event bus (runtime/events.ts): priority order for sync and async handlers,
 * Promises refused by the synchronous fire, async handlers refused on the host's sync events,
 * and errors logged without stopping the other handlers.
 */
import t from 'tap';
import { EventBus } from '../../runtime/events.js';
import type { Level, Logger } from '../../runtime/log.js';

function capture(tag: string): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = (level: Level, message: string, ...args: unknown[]) => {
    let i = 0;
    lines.push(`${tag} ${level} ${message.replace(/%[sd]/g, () => String(args[i++]))}`);
  };
  return {
    tag,
    lines,
    log,
    debug: (m, ...a) => log('debug', m, ...a),
    info: (m, ...a) => log('info', m, ...a),
    warn: (m, ...a) => log('warn', m, ...a),
    error: (m, ...a) => log('error', m, ...a),
  };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

t.test('fireAsync awaits each handler in priority order; the first result stops the event', async (t) => {
  const bus = new EventBus(capture('host'));
  const order: string[] = [];
  bus.on('e', async () => {
    await tick();
    order.push('high, async');
  }, 10);
  bus.on('e', () => {
    order.push('middle, sync');
  }, 5);
  bus.on('e', async () => {
    await tick();
    order.push('low, async, answers');
    return 'answer';
  }, 1);
  bus.on('e', () => {
    order.push('lowest, never runs');
  }, 0);
  t.equal(await bus.fireAsync('e', {}), 'answer');
  t.same(order, ['high, async', 'middle, sync', 'low, async, answers']);
  t.equal(await bus.fireAsync('nobody-listens', {}), undefined);
});

t.test('fire does not count a Promise as handled: it logs it once and goes on', async (t) => {
  const log = capture('example.com:mod_a');
  const bus = new EventBus(capture('host'));
  const seen: string[] = [];
  bus.on('e', async () => {
    seen.push('async');
    throw new Error('late failure');
  }, 10, log);
  bus.on('e', () => {
    seen.push('sync');
    return 'sync result';
  }, 0);
  t.equal(bus.fire('e', {}), 'sync result');
  t.equal(bus.fire('e', {}), 'sync result');
  await tick();
  t.same(seen, ['async', 'sync', 'async', 'sync']);
  t.same(log.lines, [
    "example.com:mod_a error A handler for event 'e' returned a Promise; it is not waited for (fire the event with fireEventAsync)",
    "example.com:mod_a error Error in a handler for event 'e': late failure",
    "example.com:mod_a error Error in a handler for event 'e': late failure",
  ]);
});

t.test('an async handler is refused when hooked on an event the host fires synchronously', async (t) => {
  const bus = new EventBus(capture('host'));
  t.throws(() => bus.on('item-added/http-provider', async () => {}), {
    code: 'ERR_EVENT_ASYNC_HANDLER',
    message: "Event 'item-added/http-provider' is fired synchronously by the host, so an async handler could not be waited for; hook a synchronous one",
  });
  t.doesNotThrow(() => bus.on('item-added/http-provider', () => {}), 'a sync handler is fine');
});

t.test('a handler that throws is logged with its module and host and the event; the others run', async (t) => {
  const host = capture('example.com');
  const mod = capture('example.com:mod_b');
  const bus = new EventBus(host);
  const seen: string[] = [];
  bus.on('e', () => {
    throw new Error('boom');
  }, 2, mod);
  bus.on('e', async () => {
    throw new Error('async boom');
  }, 1);
  bus.on('e', () => {
    seen.push('last');
  });
  t.equal(bus.fire('e', {}), undefined);
  t.equal(await bus.fireAsync('e', {}), undefined);
  t.same(seen, ['last', 'last']);
  t.same(mod.lines, ["example.com:mod_b error Error in a handler for event 'e': boom", "example.com:mod_b error Error in a handler for event 'e': boom"]);
  t.same(host.lines, [
    "example.com error A handler for event 'e' returned a Promise; it is not waited for (fire the event with fireEventAsync)",
    "example.com error Error in a handler for event 'e': async boom",
    "example.com error Error in a handler for event 'e': async boom",
  ]);
});
