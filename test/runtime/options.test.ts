import t from 'tap';
import { coerceOptions, toArrayOption, toBooleanOption, toNumberOption, validateOptions } from '../../runtime/options.js';

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

t.test('validateOptions reports a period in Prosody 13\'s words, with its position', async (t) => {
  const schema = { properties: { ttl: { type: 'number', period: true, exclusiveMinimum: 0 } } };
  const pos = { file: 'x.cfg.lua', line: 2, column: 1 };
  const cases: [unknown, string][] = [
    ['1m', "option 'ttl' is set to ambiguous period '1m' - use full syntax e.g. '1 months' or '1 minutes'"],
    ['1d 12h', 'option \'ttl\' not understood, expecting a period (e.g. "2 days")'],
    ['never', 'option \'ttl\' cannot be "never" (or negative) here, expecting a period (e.g. "2 days")'],
    [true, 'option \'ttl\' expects a number or a period description string (e.g. "3 hours"), not boolean'],
  ];
  for (const [value, message] of cases) {
    const { problems } = await validateOptions(schema, () => value, () => pos);
    t.same(problems, [{ option: 'ttl', detail: message.replace("option 'ttl' ", ''), message, position: pos }], String(value));
  }
  t.same((await validateOptions(schema, () => '30 days', () => pos)).options, { ttl: 2678400 - 86400 });
  t.same((await validateOptions(schema, () => 0, () => pos)).problems.map((p) => p.message), ["option 'ttl' must be > 0"]);
});
