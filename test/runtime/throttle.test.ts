import t from 'tap';
import { FailureThrottle, clientKey } from '../../runtime/throttle.js';

t.test('a client may fail up to the limit, then waits out the window', async (t) => {
  const throttle = new FailureThrottle(3, 60);
  for (let i = 0; i < 3; i++) {
    t.equal(throttle.retryAfter('192.0.2.1', 1000), 0);
    throttle.fail('192.0.2.1', 1000);
  }
  t.equal(throttle.retryAfter('192.0.2.1', 1000), 60);
  t.equal(throttle.retryAfter('192.0.2.1', 1059), 1);
  t.equal(throttle.retryAfter('192.0.2.1', 1060), 0, 'free again once the window is over');
  throttle.fail('192.0.2.1', 1060);
  t.equal(throttle.retryAfter('192.0.2.1', 1060), 0, 'and the count starts again');
});

t.test('other clients are not affected', async (t) => {
  const throttle = new FailureThrottle(1, 60);
  throttle.fail('192.0.2.1', 1000);
  t.equal(throttle.retryAfter('192.0.2.1', 1000), 60);
  t.equal(throttle.retryAfter('192.0.2.2', 1000), 0);
});

t.test('the number of tracked clients is bounded, oldest forgotten first', async (t) => {
  const throttle = new FailureThrottle(1, 60, 100);
  for (let i = 0; i < 1000; i++) throttle.fail(`10.0.${i >> 8}.${i & 255}`, 1000);
  t.equal(throttle.size, 100);
  t.equal(throttle.retryAfter('10.0.0.0', 1000), 0, 'the first client was forgotten');
  t.equal(throttle.retryAfter('10.0.3.231', 1000), 60, 'the last one is still throttled');
});

t.test('IPv6 clients are counted by their /64', async (t) => {
  t.equal(clientKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  t.equal(clientKey('2001:DB8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  t.equal(clientKey('2001:db8::1'), '2001:db8:0:0::/64');
  t.equal(clientKey('::ffff:192.0.2.1'), '192.0.2.1');
  t.equal(clientKey('192.0.2.1'), '192.0.2.1');
  const throttle = new FailureThrottle(1, 60);
  throttle.fail('2001:db8:1:2::1', 1000);
  t.equal(throttle.retryAfter('2001:db8:1:2::2', 1000), 60);
});

t.test('attempts count before they are checked: a burst has at most the budget checked', async (t) => {
  const throttle = new FailureThrottle(10, 60);
  const allowed = Array.from({ length: 500 }, () => throttle.attempt('192.0.2.9', 1000)).filter((w) => w === 0).length;
  t.equal(allowed, 10, 'ten attempts in flight at once, the rest told to wait');
  t.equal(throttle.attempt('192.0.2.9', 1000), 60);
  for (let i = 0; i < 10; i++) throttle.pass('192.0.2.9');
  t.equal(throttle.attempt('192.0.2.9', 1000), 0, 'attempts that passed no longer count');
  throttle.fail('192.0.2.9', 1000);
  for (let i = 0; i < 9; i++) {
    t.equal(throttle.attempt('192.0.2.9', 1000), 0);
    throttle.fail('192.0.2.9', 1000);
  }
  t.equal(throttle.attempt('192.0.2.9', 1030), 30, 'ten failures: throttled for the rest of the window');
});

t.test('a full table forgets clients that are not throttled first', async (t) => {
  const throttle = new FailureThrottle(3, 60, 100);
  for (let i = 0; i < 3; i++) throttle.fail('198.51.100.1', 1000);
  t.equal(throttle.retryAfter('198.51.100.1', 1000), 60);
  for (let i = 0; i < 10_001; i++) throttle.fail(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, 1001);
  t.equal(throttle.size, 100);
  t.equal(throttle.retryAfter('198.51.100.1', 1001), 59, 'flooding from other addresses did not set the throttled client free');
  t.equal(throttle.retryAfter('10.0.39.16', 1001), 0, 'the newest others are tracked');
  throttle.fail('10.0.39.16', 1001);
  throttle.fail('10.0.39.16', 1001);
  t.equal(throttle.retryAfter('10.0.39.16', 1001), 60, 'and can be throttled in turn');
});

t.test('when every tracked client is throttled the one seen least recently goes', async (t) => {
  const throttle = new FailureThrottle(1, 60, 2);
  throttle.fail('192.0.2.1', 1000);
  throttle.fail('192.0.2.2', 1000);
  throttle.fail('192.0.2.3', 1000);
  t.equal(throttle.size, 2);
  t.same(['192.0.2.1', '192.0.2.2', '192.0.2.3'].map((c) => throttle.retryAfter(c, 1000)), [0, 60, 60]);
});

t.test('attempts in flight make others wait, not fail: good requests at once all pass, bad ones have the budget checked', async (t) => {
  const throttle = new FailureThrottle(10, 60);
  const now = () => 1000;
  const tick = () => new Promise((r) => setImmediate(r));
  const good = await Promise.all(Array.from({ length: 40 }, (_, i) => throttle.guard('192.0.2.1', now, async () => (await tick(), i))));
  t.same(good, Array.from({ length: 40 }, (_, i) => ({ result: i })), 'forty good attempts at once: every one is checked and passes');

  let checked = 0;
  const bad = await Promise.all(Array.from({ length: 40 }, () => throttle.guard('192.0.2.2', now, async (fail) => (checked++, await tick(), fail()))));
  t.equal(checked, 10, 'forty bad attempts at once: ten checked');
  t.equal(bad.filter((r) => 'wait' in r && r.wait === 60).length, 30, 'the thirty that waited find the budget spent');

  const one = new FailureThrottle(1, 60);
  const thrown = await one.guard('192.0.2.3', now, async () => {
    throw new Error('storage down');
  }).catch((err: Error) => err.message);
  t.equal(thrown, 'storage down');
  t.equal(one.attempt('192.0.2.3', 1000), 0, 'an attempt that threw no longer counts against a budget of one');
});
