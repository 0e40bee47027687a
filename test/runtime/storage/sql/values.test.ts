import t from 'tap';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { decodeJson, encodeJson } from '../../../../runtime/storage/sql/json.js';
import { deserializeValue, serializeValue } from '../../../../runtime/storage/sql/values.js';
import type { Row } from '../../../../runtime/storage/sql/values.js';

const FIXTURE = fileURLToPath(new URL('../../../fixtures/prosody-0.12.3/sqlite/prosody.sqlite', import.meta.url));

interface FixtureRow extends Row {
  host: string;
  user: string;
  store: string;
  key: string;
}

function fixtureRows(): FixtureRow[] {
  const db = new Database(FIXTURE, { readonly: true });
  try {
    return db.prepare<[], FixtureRow>('SELECT "host", "user", "store", "key", "type", "value" FROM "prosody"').all();
  } finally {
    db.close();
  }
}

/** JSON with keys sorted, to compare encodings whose key order Lua does not fix. */
function canonical(text: string): string {
  const sort = (v: unknown): unknown =>
    Array.isArray(v) ? v.map(sort) : typeof v === 'object' && v !== null ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, x]) => [k, sort(x)])) : v;
  return JSON.stringify(sort(JSON.parse(text)));
}

t.test('every row the real Prosody wrote reads back and is written again as Prosody wrote it', async (t) => {
  const rows = fixtureRows();
  t.equal(rows.length, 12);
  for (const row of rows) {
    const value = deserializeValue(row);
    const again = serializeValue(value);
    t.equal(again.type, row.type, `${row.store}/${row.user}/${row.key}: type`);
    if (row.type === 'json') t.equal(canonical(again.value), canonical(row.value), `${row.store}/${row.key}: same JSON`);
    else t.equal(again.value, row.value, `${row.store}/${row.user}/${row.key}: same text`);
  }
  const byKey = new Map(rows.map((r) => [`${r.store}/${r.user}/${r.key}`, r]));
  t.strictSame(deserializeValue(byKey.get('accounts/alice/iteration_count')!), 10000, 'a number row');
  t.strictSame(deserializeValue(byKey.get('invite_token/alice/ewEtS5ERMRA1dcx3-Ll8LcWF')!), 1795953232, "a contact invite under the inviter: its expiry");
  const group = deserializeValue(byKey.get('invite_token//yEtTwf_mVodGozmIJx7JWhzg')!) as { additional_data: unknown };
  t.strictSame(group.additional_data, { groups: ['friends'] }, 'a list');
  const plain = deserializeValue(byKey.get('invite_token//3KmavTPktERFUSnjL78VcuSL')!) as { additional_data: unknown };
  t.strictSame(plain.additional_data, { groups: {} }, 'an empty Lua table is {}');
  t.match(serializeValue({ additional_data: { groups: {} } }).value, '{"additional_data":{"groups":{}}}');
});

t.test("util.json's encoding, as checked against Prosody's own util/json.lua", async (t) => {
  // Each expectation is what lua5.4 with /usr/lib/prosody/util/json.lua printed.
  t.equal(encodeJson({}), '{}');
  t.equal(encodeJson([]), '{}', 'an empty list is an empty table');
  t.equal(encodeJson([1, 2, 'a']), '[1,2,"a"]');
  t.equal(encodeJson({ b: [1], a: {} }), '{"b":[1],"a":{}}');
  t.equal(encodeJson({ __array: 'x' }), '{"__hash":["__array","x"]}', 'special keys go into __hash');
  t.equal(encodeJson(['a\0b\x01"\\\n\x7fé']), '["a\\u0000b\\u0001\\"\\\\\\n\x7fé"]', 'only control characters, quote and backslash are escaped');
  t.equal(encodeJson({ x: 1.5, y: 1795953228 }), '{"x":1.5,"y":1795953228}');
  t.throws(() => encodeJson({ x: Infinity }), /cannot store the number Infinity/);
  t.throws(() => encodeJson([1, null as unknown as number]), /holes/);
});

t.test('decoding folds __array and __hash back as util.json does', async (t) => {
  t.strictSame(decodeJson('{"__array":[1,2]}'), [1, 2], 'a pure sequence');
  t.strictSame(decodeJson('{"__array":[1,2],"__hash":[3,"x",true,"y"],"k":"v"}'), { 1: 1, 2: 2, 3: 'x', true: 'y', k: 'v' }, 'mixed: string keys');
  t.strictSame(decodeJson('{"__hash":["__array","x"]}'), { __array: 'x' }, 'what the encoder moved into __hash comes back');
  t.strictSame(decodeJson('[]'), {});
  t.strictSame(decodeJson('{"a":null,"b":1}'), { b: 1 }, 'json.null reads as nil');
  const proto = decodeJson('{"__proto__":{"x":1}}') as Record<string, unknown>;
  t.strictSame(Object.keys(proto), ['__proto__'], '__proto__ is an ordinary key');
  t.equal(Object.getPrototypeOf(proto), Object.prototype);
});

t.test('values Prosody could not have written are errors, not crashes', async (t) => {
  t.throws(() => deserializeValue({ type: 'json', value: '{"a":' }), { name: 'BadValueError', message: /broken JSON/ });
  t.throws(() => deserializeValue({ type: 'blob', value: 'x' }), { message: 'unknown type "blob"' });
  t.throws(() => deserializeValue({ type: 'number', value: 'twelve' }), { message: 'invalid number "twelve"' });
  t.throws(() => deserializeValue({ type: 'boolean', value: 'yes' }), { message: 'invalid boolean "yes"' });
  t.throws(() => deserializeValue({ type: 'json', value: '[1,null]' }), { message: /null/ });
  t.throws(() => deserializeValue({ type: 'xml', value: '<message/>' }), { message: /XML stanza/ });
  t.equal(deserializeValue({ type: 'number', value: ' 0x1F ' }), 31, "Lua's tonumber reads hex");
  t.equal(deserializeValue({ type: 'number', value: '1e3' }), 1000);
});

t.test('strings with NUL are stored as JSON strings, which Prosody reads back the same', async (t) => {
  t.strictSame(serializeValue('a\0b'), { type: 'json', value: '"a\\u0000b"' });
  t.equal(deserializeValue(serializeValue('a\0b')), 'a\0b');
  t.strictSame(serializeValue('plain é'), { type: 'string', value: 'plain é' });
  t.strictSame(serializeValue(true), { type: 'boolean', value: 'true' });
  t.strictSame(serializeValue(-2.5), { type: 'number', value: '-2.5' });
});
