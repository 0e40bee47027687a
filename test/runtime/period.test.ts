/**
 * Periods as Prosody 13 reads them: the expectations of Prosody's own spec/util_human_io_spec.lua
 * (parse_duration), get_option_period's "never" and negative numbers, and what Canto refuses
 * where Prosody would silently read something else.
 */
import t from 'tap';
import { parsePeriod, readPeriod } from '../../runtime/period.js';

t.test('Prosody 13 durations read as Prosody reads them', async (t) => {
  const cases: [string, number][] = [
    ['1s', 1], ['1min', 60], ['1 min', 60], ['1 minute', 60], ['2min', 120], ['2h', 7200], ['2 hours', 7200],
    ['1d', 86400], ['1w', 604800], ['1week', 604800], ['3 weeks', 1814400], ['1month', 2678400],
    ['1 month', 2678400], ['365 days', 31536000], ['1 year', 31556952],
    ['1 week', 604800], ['30 days', 2592000], ['12 hours', 43200], ['1 Day', 86400], ['5 secs', 5], ['2 hrs', 7200],
  ];
  for (const [text, seconds] of cases) t.equal(parsePeriod(text), seconds, text);
});

t.test('numbers are seconds, and "never", false and negative numbers are forever', async (t) => {
  t.equal(parsePeriod(604800), 604800);
  t.equal(parsePeriod(0.5), 0.5);
  t.equal(parsePeriod('3600'), 3600);
  t.equal(parsePeriod(' 1 '), 1);
  t.equal(parsePeriod('never'), Infinity);
  t.equal(parsePeriod(false), Infinity);
  t.equal(parsePeriod(-5), Infinity);
});

t.test('an ambiguous abbreviation is an error naming both readings', async (t) => {
  for (const [text, n] of [['1m', '1'], ['30m', '30'], ['2mo', '2'], ['1mi', '1']] as const) {
    t.same(readPeriod(text), { problem: `is set to ambiguous period '${text}' - use full syntax e.g. '${n} months' or '${n} minutes'` }, text);
  }
});

t.test('what Prosody reads as something else, or not at all, is not understood', async (t) => {
  const problem = { problem: 'not understood, expecting a period (e.g. "2 days")' };
  for (const text of ['two weeks', '1d 12h', '1.5 hours', '-5', '5 days ago', '1 fortnight', '1 dogs', '', 'week', '1e3', 'Infinity']) {
    t.same(readPeriod(text), problem, JSON.stringify(text));
  }
  t.same(readPeriod({ a: 1 }), { problem: 'expects a number or a period description string (e.g. "3 hours"), not table' });
  t.same(readPeriod(NaN), { problem: 'expects a number or a period description string (e.g. "3 hours"), not NaN' });
  t.equal(parsePeriod('1m'), undefined);
});
