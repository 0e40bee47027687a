// The Lua interpreter behind readConfig agrees with Lua 5.4 itself: numbers, strings and
// patterns, string.format, tables, closures, metatables and error messages.
import t from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { readConfig } from '../../runtime/config/index.js';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));

/** Run a config file and return the bytes its print() calls wrote to stderr (as latin1). */
function printed(file: string): string {
  const out: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: Buffer) => out.push(Buffer.from(chunk).toString('latin1')) > 0) as typeof process.stderr.write;
  try {
    readConfig(file, { env: {} });
  } finally {
    process.stderr.write = write;
  }
  return out.join('');
}

t.test('every case prints what lua5.4 printed', async (t) => {
  const expected = readFileSync(fixtures + 'lua-cases.expected.txt', 'latin1').split('\n');
  const actual = printed(fixtures + 'lua-cases.lua').split('\n');
  t.equal(actual.length, expected.length, 'as many lines');
  expected.forEach((line, i) => t.equal(actual[i], line, `line ${i + 1}`));
});

t.test('a config cannot reach files, processes or modules through Lua', async (t) => {
  const dir = t.testdir({
    'prosody.cfg.lua': 'a = { io == nil, require == nil, dofile == nil, load == nil, os.execute == nil, os.remove == nil, debug == nil }\n',
  });
  const config = readConfig(dir + '/prosody.cfg.lua', { env: {} });
  t.same(config.sections.get('*')!.options.get('a'), [true, true, true, true, true, true, true]);
});
