import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { entryText, fileText, formatNumber, parseData, parseFields, parseList, quoteString, serialize } from '../../../runtime/storage/lua-data.js';
import type { StoreTable } from '../../../runtime/storage/types.js';

const fixtureDir = fileURLToPath(new URL('../../fixtures/prosody-0.12.3/internal/example%252ecom/', import.meta.url));
const fixture = (name: string) => readFileSync(fixtureDir + name, 'utf8');

/** The invite records of invite_token.dat, as Prosody 0.12.3 wrote them. */
export const FIXTURE_INVITES: StoreTable = {
  'GPFTXTTPf-dJri1bvRH6LaGl': {
    allow_registration: true,
    additional_data: { allow_reset: 'alice' },
    created_at: 1795348416,
    jid: 'alice@example.com',
    expires: 1795434816,
    uri: 'xmpp:alice@example.com?register;preauth=GPFTXTTPf-dJri1bvRH6LaGl',
    type: 'register',
    token: 'GPFTXTTPf-dJri1bvRH6LaGl',
  },
  '8asXxjF3jpD7Uezf90KM56f2': {
    created_at: 1795348419,
    uri: 'xmpp:bob@example.com?register;preauth=8asXxjF3jpD7Uezf90KM56f2',
    token: '8asXxjF3jpD7Uezf90KM56f2',
    allow_registration: true,
    landing_page: 'https://example.com/invites_page?8asXxjF3jpD7Uezf90KM56f2',
    jid: 'bob@example.com',
    expires: 1795953219,
    type: 'register',
  },
  'pEwipQvv-eBQ-HXgywhqPmI4': {
    allow_registration: true,
    landing_page: 'https://example.com/invites_page?pEwipQvv-eBQ-HXgywhqPmI4',
    created_at: 1795348419,
    jid: 'alice@example.com',
    uri: 'xmpp:alice@example.com?roster;preauth=pEwipQvv-eBQ-HXgywhqPmI4;ibr=y',
    expires: 1795953219,
    type: 'roster',
    token: 'pEwipQvv-eBQ-HXgywhqPmI4',
  },
  jCQROWE46hmwMQXzg82unSbs: {
    allow_registration: true,
    uri: 'xmpp:example.com?register;preauth=jCQROWE46hmwMQXzg82unSbs',
    created_at: 1795348416,
    jid: 'example.com',
    expires: 1795953216,
    additional_data: { groups: {} },
    type: 'register',
    token: 'jCQROWE46hmwMQXzg82unSbs',
  },
  gggqf_dCiUua0NrlMxVt76Oz: {
    created_at: 1795348419,
    uri: 'xmpp:example.com?register;preauth=gggqf_dCiUua0NrlMxVt76Oz',
    token: 'gggqf_dCiUua0NrlMxVt76Oz',
    allow_registration: true,
    landing_page: 'https://example.com/invites_page?gggqf_dCiUua0NrlMxVt76Oz',
    jid: 'example.com',
    additional_data: { source: 'api/token/32Cmdy9Xpv_d' },
    type: 'register',
    expires: 1795953219,
  },
  'ek8Yjiy24n5v2d_L_-DGefID': {
    allow_registration: true,
    additional_data: { groups: ['friends'] },
    created_at: 1795348416,
    jid: 'example.com',
    expires: 1795953216,
    uri: 'xmpp:example.com?register;preauth=ek8Yjiy24n5v2d_L_-DGefID',
    type: 'register',
    token: 'ek8Yjiy24n5v2d_L_-DGefID',
  },
};

export const FIXTURE_API_KEYS: StoreTable = {
  pDHbpWD1jDUP: {
    id: 'pDHbpWD1jDUP',
    token: 'DBDK4l3HZzOJYn2LKFE2069j3TWa0dIeJiKX',
    created_at: 1795348416,
    allowed_methods: { GET: true, POST: true },
  },
  '32Cmdy9Xpv_d': {
    id: '32Cmdy9Xpv_d',
    token: 'p2ak7pmJn3XnreELSmyQeEo4ulhgKyITksVn',
    created_at: 1795348416,
    allowed_methods: { GET: true, POST: true },
    name: 'My test key',
  },
};

/** Lines of a file, sorted: Prosody's key order is random per process, the lines are not. */
const sortedLines = (s: string) => s.split('\n').sort();

t.test('reading the files Prosody 0.12.3 wrote', async (t) => {
  t.test('invite_api_keys.dat gives both API keys', async (t) => {
    t.strictSame(parseData(fixture('invite_api_keys.dat'), 'invite_api_keys.dat'), FIXTURE_API_KEYS);
  });
  t.test('invite_token.dat gives every invite, with {} for no groups and a list for one', async (t) => {
    t.strictSame(parseData(fixture('invite_token.dat'), 'invite_token.dat'), FIXTURE_INVITES);
  });
  t.test("invite_token/alice.dat gives alice's contact invite and its expiry", async (t) => {
    t.strictSame(parseData(fixture('invite_token/alice.dat'), 'alice.dat'), { 'pEwipQvv-eBQ-HXgywhqPmI4': 1795953219 });
  });
  t.test("accounts/alice.dat gives alice's SCRAM credentials", async (t) => {
    t.strictSame(parseData(fixture('accounts/alice.dat'), 'alice.dat'), {
      iteration_count: 10000,
      server_key: '3f417b6c61cd53d10c4b2304da844661dd35f96e',
      salt: '77733fd7-8ca4-420b-816e-fde13655e46b',
      stored_key: '6174c00cd95ed1691245d8399fae4a06f94452e9',
    });
  });
});

t.test('writing as Prosody writes', async (t) => {
  t.test('every fixture file is reproduced line for line from its parsed value', async (t) => {
    for (const name of ['invite_api_keys.dat', 'invite_token.dat', 'invite_token/alice.dat', 'accounts/alice.dat']) {
      const text = fixture(name);
      const ours = 'return ' + serialize(parseData(text, name)) + ';\n';
      t.strictSame(sortedLines(ours), sortedLines(text), name);
      t.strictSame(parseData(ours, name), parseData(text, name), `${name} round trips`);
    }
  });

  t.test('a table is tab-indented with bracketed keys, ; after each item and {} when empty', async (t) => {
    t.equal(serialize({}), '{}');
    t.equal(serialize([]), '{}');
    t.equal(serialize({ a: 1 }), '{\n\t["a"] = 1;\n}');
    t.equal(serialize({ a: { b: [1, 'x', false], c: {} } }), '{\n\t["a"] = {\n\t\t["b"] = {\n\t\t\t1;\n\t\t\t"x";\n\t\t\tfalse;\n\t\t};\n\t\t["c"] = {};\n\t};\n}');
  });

  t.test('the file text of pre-serialized entries equals serializing the whole table', async (t) => {
    const table = { b: { x: 'y' }, a: 2 };
    t.equal(fileText(Object.entries(table).map(([k, v]) => entryText(k, v))), 'return ' + serialize(table) + ';\n');
    t.equal(fileText([]), 'return {};\n');
  });

  t.test('numbers are %d for integers, %.18g for floats, (1/0) (-1/0) (0/0) for the rest', async (t) => {
    // Expected texts are what lua5.4 with Prosody's util.serialization prints.
    t.equal(formatNumber(42), '42');
    t.equal(formatNumber(-7), '-7');
    t.equal(formatNumber(0), '0');
    t.equal(formatNumber(0.1), '0.100000000000000006');
    t.equal(formatNumber(1.5), '1.5');
    t.equal(formatNumber(123456789.123), '123456789.122999996');
    t.equal(formatNumber(1e-7), '9.99999999999999955e-08');
    t.equal(formatNumber(1e20), '1e+20');
    t.equal(formatNumber(2 ** 60), '1152921504606846976');
    t.equal(formatNumber(Infinity), '(1/0)');
    t.equal(formatNumber(-Infinity), '(-1/0)');
    t.equal(formatNumber(NaN), '(0/0)');
  });

  t.test('strings use named escapes and \\ddd for control and non-ASCII bytes of the UTF-8', async (t) => {
    t.equal(quoteString('plain text'), '"plain text"');
    t.equal(quoteString('café'), '"caf\\195\\169"');
    t.equal(quoteString('"q" \'x\' \\'), '"\\"q\\" \\\'x\\\' \\\\"');
    t.equal(quoteString('\x07\b\f\n\r\t\v'), '"\\a\\b\\f\\n\\r\\t\\v"');
    t.equal(quoteString('\0\x01\x1f\x7f'), '"\\000\\001\\031\\127"');
    t.equal(quoteString('😀'), '"\\240\\159\\152\\128"');
  });

  t.test('values Lua cannot hold are refused with ERR_STORAGE_VALUE', async (t) => {
    const bad: unknown[] = [null, undefined, () => 1, Symbol('x'), 1n, new Date(), new Map(), [1, null]];
    for (const v of bad) {
      t.throws(() => serialize(v as never), { code: 'ERR_STORAGE_VALUE' }, String(v));
    }
    const cycle: StoreTable = {};
    cycle.self = cycle;
    t.throws(() => serialize(cycle), { code: 'ERR_STORAGE_VALUE' });
  });

  t.test('null and undefined properties are left out, as nil is in Lua', async (t) => {
    t.equal(serialize({ a: 1, b: undefined, c: null } as never), '{\n\t["a"] = 1;\n}');
  });
});

t.test('round trips', async (t) => {
  t.test('strings of every byte value and of any Unicode come back equal', async (t) => {
    let all = '';
    for (let i = 0; i < 256; i++) all += String.fromCharCode(i);
    const values = [all, 'café ünïcødé', '日本語', '😀 emoji', "mixed 'single' \"double\" \\back", ''];
    for (const v of values) t.equal((parseData('return ' + serialize({ v }) + ';', 'x') as StoreTable).v, v);
  });

  t.test('numbers come back exactly, floats included', async (t) => {
    const nums = [0, 1, -1, 2 ** 53 - 1, -(2 ** 53), 0.1, -0.5, 1 / 3, Math.PI, 1e-300, 1.7976931348623157e308, 5e-324, 1e21, Infinity, -Infinity];
    for (const n of nums) t.equal((parseData('return ' + serialize([n]) + ';', 'x') as number[])[0], n, String(n));
    t.ok(Number.isNaN((parseData('return ' + serialize([NaN]) + ';', 'x') as number[])[0]));
  });

  t.test('nested tables and sequences keep their shape', async (t) => {
    const v = { list: ['a', 'b', { c: [true, false] }], map: { 'key with spaces': { '1': 'string key one' } }, empty: {} };
    t.strictSame(parseData('return ' + serialize(v) + ';\n', 'x'), v);
  });
});

t.test('reading general Lua table literals', async (t) => {
  const p = (s: string) => parseData(s, 'test.dat');

  t.test('both quote styles, long strings and every escape', async (t) => {
    t.strictSame(p(`return { 'single', "double", [[long
text]], [==[with ]] inside]==] };`), ['single', 'double', 'long\ntext', 'with ]] inside']);
    t.equal(p(String.raw`return "\x41\65\u{48}\u{1F600}\z
         end";`), 'AAH😀end');
    t.equal(p('return "caf\\195\\169 a\\\nb";'), 'café a\nb');
    t.equal(p('return "\\a\\b\\f\\n\\r\\t\\v\\\\\\"\\\'";'), '\x07\b\f\n\r\t\v\\"\'');
    t.equal(p('return "raw ünïcødé and \\240\\159\\152\\128";'), 'raw ünïcødé and 😀');
  });

  t.test('comments, [1]= keys, bare name keys, , or ; separators and a trailing separator', async (t) => {
    t.strictSame(p(`-- a comment
      return { --[[ block
      comment ]] name = "x", ["quoted key"] = 1; [1] = "one", [2] = "two", nested = { a = 1, }, };`), {
      name: 'x', 'quoted key': 1, '1': 'one', '2': 'two', nested: { a: 1 },
    });
    t.strictSame(p('return { [1] = "a", [2] = "b" }'), ['a', 'b']);
    t.strictSame(p('return { "a", [3] = "c" }'), { '1': 'a', '3': 'c' });
  });

  t.test('negative, hex, exponent and (1/0) numbers', async (t) => {
    t.strictSame(p('return { -5, 0x1F, 0XaB, 1e3, .5, 3., -2.5e-2, 0x1p4, (1/0), (-1/0), -(1/0), 0x.8 }'),
      [-5, 31, 171, 1000, 0.5, 3, -0.025, 16, Infinity, -Infinity, -Infinity, 0.5]);
    t.ok(Number.isNaN(p('return (0/0);')));
  });

  t.test('nil removes a key, true/false and keywords as values', async (t) => {
    t.strictSame(p('return { a = 1, b = nil, c = true, d = false, ["a"] = 2 }'), { a: 2, c: true, d: false });
  });

  t.test('a __proto__ key is plain data, not a prototype', async (t) => {
    const v = p('return { ["__proto__"] = { polluted = true } }') as StoreTable;
    t.equal(Object.getPrototypeOf(v), Object.prototype);
    t.strictSame(Object.keys(v), ['__proto__']);
    t.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  t.test('syntax errors are ERR_STORAGE_PARSE naming the file and line', async (t) => {
    const cases: Array<[string, number]> = [
      ['return {\n\t["a"] = 1;\n\t["b"] = ;\n}', 3],
      ['return {\n["a"] = "unfinished\n}', 2],
      ['{ a = 1 }', 1],
      ['return { a = 1 } extra', 1],
      ['return {\n\n a = 1', 3],
      ['return { a = foo }', 1],
      ['return "\\q"', 1],
      ['', 1],
      ['return nil;', 1],
    ];
    for (const [text, line] of cases) {
      t.throws(() => p(text), { code: 'ERR_STORAGE_PARSE', message: `Error reading storage test.dat: line ${line}:` }, JSON.stringify(text));
    }
  });
});

t.test('parseFields keeps each entry of a Prosody file verbatim, so unchanged entries are not re-serialized', async (t) => {
  const text = fixture('invite_token.dat');
  const fields = parseFields(text, 'invite_token.dat');
  t.equal(fields.length, 6);
  t.equal(fileText(fields.map((f) => f.text!)), text);
  for (const f of fields) t.equal(f.text, entryText(f.key, f.value), f.key);
  t.throws(() => parseFields('return "not a table";', 'x.dat'), { code: 'ERR_STORAGE_PARSE' });
});

t.test('parseList reads the item(...) calls of a list file, in order', async (t) => {
  const list = (s: string) => parseList(Buffer.from(s, 'latin1'), 'x.list');
  t.same(list(''), []);
  t.same(list('item({\n\t"a\\195\\169";\n\t["name"] = "nick";\n});\nitem{ key = "b" }\n-- a comment\nitem(1)'), [{ '1': 'aé', name: 'nick' }, { key: 'b' }, 1]);
  for (const bad of ['item(', 'item({}', 'return {}', 'item(nil)', 'items({})', 'item({}) x']) t.throws(() => list(bad), { code: 'ERR_STORAGE_PARSE' }, bad);
});
