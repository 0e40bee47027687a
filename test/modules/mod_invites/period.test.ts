import t from 'tap';
import { parsePeriod } from '../../../modules/mod_invites/period.js';

t.test('whole seconds are taken as they are', async (t) => {
  t.equal(parsePeriod('3600'), 3600);
  t.equal(parsePeriod(' 1 '), 1);
});

t.test('a number with a unit is converted to seconds', async (t) => {
  t.equal(parsePeriod('1 week'), 604800);
  t.equal(parsePeriod('2d'), 172800);
  t.equal(parsePeriod('12h'), 43200);
  t.equal(parsePeriod('30m'), 1800);
  t.equal(parsePeriod('30 Minutes'), 1800);
  t.equal(parsePeriod('1.5 hours'), 5400);
  t.equal(parsePeriod('1 year'), 31536000);
});

t.test('anything else is not a period', async (t) => {
  for (const text of ['', 'week', '0', '-5', '1 fortnight', '10 s s', '1e3', 'Infinity']) {
    t.equal(parsePeriod(text), undefined, JSON.stringify(text));
  }
});

t.test('mod_invites_api parses periods by the same rules', async (t) => {
  const api = await import('../../../modules/mod_invites_api/period.js');
  for (const text of ['3600', '1 week', '2d', '12h', '30m', 'nonsense', '0']) t.equal(api.parsePeriod(text), parsePeriod(text), text);
});
