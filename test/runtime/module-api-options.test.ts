/**
 * Option schemas are typed against the module's `Options` (runtime/module-api.ts
 * `OptionsSchema`): each `@ts-expect-error` below is a drift the type check must catch, so
 * `npm run typecheck` fails if the typing loosens. The runtime half: what the typed schemas
 * accept from a Lua config.
 */
import t from 'tap';
import { defineModule, type OptionsSchema } from '../../runtime/module-api.js';
import { validateOptions } from '../../runtime/options.js';

interface Options {
  greeting: string;
  expiry: number;
  site_name?: string;
  tags?: string[];
}

const schema: OptionsSchema<Options> = {
  type: 'object',
  properties: {
    greeting: { type: 'string', default: 'hi', minLength: 1 },
    expiry: { type: 'number', period: true, exclusiveMinimum: 0, default: 604800 },
    site_name: { type: 'string' },
    tags: { type: 'array', items: { type: 'string' } },
  },
};

t.test('a schema that drifts from its Options type does not compile', async (t) => {
  const drifts: OptionsSchema<Options>[] = [
    // @ts-expect-error a member of Options has no schema
    { type: 'object', properties: { greeting: { type: 'string', default: 'hi' }, expiry: { type: 'number', default: 1 }, site_name: { type: 'string' } } },
    {
      type: 'object',
      properties: {
        ...schema.properties,
        // @ts-expect-error an option the type does not have
        extra: { type: 'string' },
      },
    },
    // @ts-expect-error the wrong JSON type for a string option
    { type: 'object', properties: { ...schema.properties, greeting: { type: 'number', default: 1 } } },
    // @ts-expect-error an option that is not optional needs a default
    { type: 'object', properties: { ...schema.properties, expiry: { type: 'number', period: true } } },
    // @ts-expect-error a default of the wrong type
    { type: 'object', properties: { ...schema.properties, greeting: { type: 'string', default: 3 } } },
    // @ts-expect-error `period` is for number options only
    { type: 'object', properties: { ...schema.properties, site_name: { type: 'string', period: true } } },
    // @ts-expect-error `period` is a boolean
    { type: 'object', properties: { ...schema.properties, expiry: { type: 'number', period: 'yes', default: 1 } } },
  ];
  t.equal(drifts.length, 7);
  // defineModule takes no untyped schema either: no `Record<string, unknown>` escape hatch.
  const untyped: Record<string, unknown> = { type: 'object', properties: {} };
  // @ts-expect-error an untyped schema
  defineModule<void, Options>({ options: untyped, load() {} });
});

t.test('the typed schema validates a config: defaults, periods, optional options left out', async (t) => {
  const config: Record<string, unknown> = { expiry: '2 days', tags: 'one' };
  const checked = await validateOptions(schema, (name) => config[name], () => undefined);
  t.same(checked.problems, []);
  t.same(checked.options, { greeting: 'hi', expiry: 172800, tags: ['one'] });
});

t.test("a nested Lua {} (read as an empty list) is the empty object the schema asks for", async (t) => {
  interface AppOptions {
    apps?: { name: string; download?: { text?: string } }[];
  }
  const apps: OptionsSchema<AppOptions> = {
    type: 'object',
    properties: {
      apps: {
        type: 'array',
        items: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string' }, download: { type: 'object', nullable: true, properties: { text: { type: 'string', nullable: true } } } },
        },
      },
    },
  };
  const config: Record<string, unknown> = { apps: [{ name: 'A', download: [] }, { name: 'B' }] };
  const checked = await validateOptions(apps, (name) => config[name], () => undefined);
  t.same(checked.problems, []);
  t.same(checked.options, { apps: [{ name: 'A', download: {} }, { name: 'B' }] });
  const wrong = await validateOptions(apps, () => [{ name: 'A', download: ['x'] }], () => undefined);
  t.same(wrong.problems.map((p) => p.message), ["option 'apps' must be object"]);
});
