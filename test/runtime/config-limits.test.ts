// The config reader's limits (issue 13, point 10): the main file and its Includes together may
// be at most 1 MiB, and syntax nests at most 200 levels, as Lua's parser allows.
import t from 'tap';
import { join } from 'node:path';
import { readConfig } from '../../runtime/config/index.js';
import { isCantoError } from '../../runtime/errors.js';

function failure(dir: string): { code: string; message: string; at: string } {
  try {
    readConfig(join(dir, 'prosody.cfg.lua'), { env: {} });
  } catch (err) {
    if (!isCantoError(err) || !err.position) throw err;
    const p = err.position;
    return { code: err.code, message: err.message, at: `${p.file.slice(dir.length + 1)}:${p.line}:${p.column}` };
  }
  throw new Error('expected readConfig to fail');
}

// 64 bytes a line.
const lines = (n: number) => `-- ${'x'.repeat(60)}\n`.repeat(n);

t.test('the limit counts the Includes too: the file that passes it is named, at the byte where it does', async (t) => {
  // main: 2 lines of Include (64 bytes each, padded); a.cfg.lua half a MiB; b.cfg.lua passes the rest.
  const include = (name: string) => `Include "${name}"`.padEnd(63, ' ') + '\n';
  const dir = t.testdir({
    'prosody.cfg.lua': include('a.cfg.lua') + include('b.cfg.lua'),
    'a.cfg.lua': lines(8192),
    'b.cfg.lua': lines(8192),
  });
  // 128 + 524,288 bytes before b: b may have 524,160 bytes, 8,190 lines; the next byte is line 8,191, column 1.
  t.same(failure(dir), {
    code: 'ERR_CONFIG_INVALID',
    message: 'the config (with its Includes) is larger than 1 MiB; it reaches the limit here',
    at: 'b.cfg.lua:8191:1',
  });
});

t.test('a config of exactly 1 MiB reads', async (t) => {
  const dir = t.testdir({ 'prosody.cfg.lua': 'x = 1'.padEnd(63, ' ') + '\n' + lines(16_383) });
  t.equal(readConfig(join(dir, 'prosody.cfg.lua'), { env: {} }).sections.get('*')?.options.get('x'), 1);
});

t.test('200 levels of nesting read (about what lua5.4 takes), 201 are refused at the level too many', async (t) => {
  // x = (((...1...))): the statement is level 1, `x =`'s expression 2, each parenthesis one more.
  const ok = t.testdir({ 'prosody.cfg.lua': `x = ${'('.repeat(198)}1${')'.repeat(198)}\n` });
  t.equal(readConfig(join(ok, 'prosody.cfg.lua'), { env: {} }).sections.get('*')?.options.get('x'), 1);
  const deep = t.testdir({ 'prosody.cfg.lua': `x = ${'('.repeat(199)}1${')'.repeat(199)}\n` });
  t.same(failure(deep), { code: 'ERR_CONFIG_PARSE', message: "too deeply nested: more than 200 levels near '1'", at: 'prosody.cfg.lua:1:204' });
});

t.test('a function nesting blocks too deeply is refused too, not a stack overflow', async (t) => {
  const dir = t.testdir({ 'prosody.cfg.lua': `${'do '.repeat(300)}${'end '.repeat(300)}\n` });
  t.match(failure(dir), { code: 'ERR_CONFIG_PARSE', message: /^too deeply nested: more than 200 levels near 'do'$/ });
});
