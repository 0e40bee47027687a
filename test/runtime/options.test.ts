import t from 'tap';
import { coerceOptions, parsePeriod, toArrayOption, toBooleanOption, toNumberOption, validateOptions } from '../../runtime/options.js';

t.test('parsePeriod reads seconds and Prosody-style periods', async (t) => {
  t.equal(parsePeriod(604800), 604800);
  t.equal(parsePeriod('3600'), 3600);
  t.equal(parsePeriod('1 week'), 604800);
  t.equal(parsePeriod('2 weeks'), 1209600);
  t.equal(parsePeriod('12h'), 43200);
  t.equal(parsePeriod('1d 12h'), 129600);
  t.equal(parsePeriod('30 minutes'), 1800);
  t.equal(parsePeriod('1 Day'), 86400);
  t.equal(parsePeriod('soon'), undefined);
  t.equal(parsePeriod('1 fortnight'), undefined);
  t.equal(parsePeriod('-5'), undefined);
  t.equal(parsePeriod(-5), undefined);
  t.equal(parsePeriod('5 days ago'), undefined);
});

t.test('scalar getters convert as Prosody does', async (t) => {
  t.equal(toNumberOption('42'), 42);
  t.equal(toNumberOption(['7']), 7);
  t.equal(toNumberOption('x'), undefined);
  t.equal(toBooleanOption('true'), true);
  t.equal(toBooleanOption(0), false);
  t.equal(toBooleanOption('yes'), undefined);
  t.same(toArrayOption('a'), ['a']);
  t.same(toArrayOption({ a: true, b: false }), ['a']);
  t.same(toArrayOption(undefined), undefined);
});

t.test('coerceOptions brings config values to the schema types', async (t) => {
  const schema = {
    properties: {
      ttl: { type: 'number', period: true },
      n: { type: 'integer' },
      on: { type: 'boolean' },
      list: { type: 'array', items: { type: 'string' } },
      name: { type: 'string' },
    },
  };
  const values: Record<string, unknown> = { ttl: '1 day', n: '3', on: 'true', list: 'one', name: 5 };
  t.same(coerceOptions(schema, (k) => values[k]), { ttl: 86400, n: 3, on: true, list: ['one'], name: '5' });
});

t.test('validateOptions fills defaults, freezes, and names the bad option and its position', async (t) => {
  const schema = { properties: { a: { type: 'number', default: 1 }, b: { type: 'string', minLength: 2 } } };
  const ok = await validateOptions(schema, () => undefined, () => undefined);
  t.same(ok.options, { a: 1 });
  t.ok(Object.isFrozen(ok.options));
  const pos = { file: 'x.cfg.lua', line: 3, column: 1 };
  const bad = await validateOptions(schema, (k) => (k === 'b' ? 'x' : undefined), () => pos);
  t.equal(bad.problems.length, 1);
  t.equal(bad.problems[0]!.option, 'b');
  t.same(bad.problems[0]!.position, pos);
});

t.test('parsePeriod reads command-line periods too (--expires-after)', async (t) => {
  t.equal(parsePeriod(' 1 '), 1);
  t.equal(parsePeriod('30m'), 1800);
  t.equal(parsePeriod('1.5 hours'), 5400);
  t.equal(parsePeriod('1 year'), 31536000);
  for (const text of ['', 'week', '10 s s', '1e3', 'Infinity']) t.equal(parsePeriod(text), undefined, JSON.stringify(text));
});
