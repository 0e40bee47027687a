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
