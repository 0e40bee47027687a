/**
 * Numeric for loops run as in Lua 5.4 (checked against the installed lua5.4), and a config
 * that does not finish stops with its position instead of hanging start-up and ctl check.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import t from 'tap';
import { readConfig } from '../../runtime/config/index.js';
import { isCantoError } from '../../runtime/errors.js';
import { runCtl } from '../helpers/canto.js';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));
const lua = spawnSync('lua5.4', ['-v']).status === 0;

/** What the config's print() calls wrote to stderr. */
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

t.test('numeric for loops print what lua5.4 prints', { skip: lua ? false : 'lua5.4 is not installed (apt-get install lua5.4)' }, async (t) => {
  const file = fixtures + 'lua-for.lua';
  const expected = spawnSync('lua5.4', [file], { encoding: 'latin1' });
  t.equal(expected.status, 0, expected.stderr);
  t.equal(printed(file), expected.stdout);
});

t.test('a loop to math.maxinteger ends', async (t) => {
  const dir = t.testdir({ 'prosody.cfg.lua': 'n = 0\nfor i = math.maxinteger - 2, math.maxinteger do n = n + 1 end\n' });
  t.ok(readConfig(dir + '/prosody.cfg.lua', { env: {} }).sections.get('*')!.options.get('n'));
});

const endless = (source: string, budget: number) => {
  const dir = t.testdir({ 'prosody.cfg.lua': source });
  try {
    readConfig(dir + '/prosody.cfg.lua', { env: {}, stepBudget: budget });
  } catch (err) {
    if (isCantoError(err, 'ERR_CONFIG_RUNTIME')) return err.describe().slice(dir.length + 1);
    throw err;
  }
  return 'finished';
};

t.test('a config that does not finish stops at the statement it was running', async (t) => {
  const message = 'did not finish: still running after 1000 steps (an endless loop?)';
  t.equal(endless('a = 1\nwhile true do end\n', 1000), `prosody.cfg.lua:2:1: ${message}`);
  t.equal(endless('repeat\n  local x = 1\nuntil false\n', 1000), `prosody.cfg.lua:2:3: ${message}`);
  t.equal(endless('for i = 1, math.huge do end\n', 1000), `prosody.cfg.lua:1:1: ${message}`);
  t.equal(endless('local function f() return f() end\nfor _ in f do end\n', 1000), 'prosody.cfg.lua:1:27: stack overflow', 'recursion is still a stack overflow');
  t.equal(endless('ok = pcall(function ()\n  while true do end\nend)\n', 1000), `prosody.cfg.lua:2:3: ${message}`, 'pcall cannot catch it');
  t.equal(endless('for i = 1, 100 do x = i end\n', 1000), 'finished', 'a loop within the budget finishes');
});

t.test('ctl check reports an endless config at its line and exits 1', async (t) => {
  const dir = t.testdir({ 'prosody.cfg.lua': 'data_path = "data"\nwhile true do end\n' });
  const r = await runCtl(dir, ['check']);
  t.equal(r.code, 1);
  t.equal(r.stderr, `Error: ${dir}/prosody.cfg.lua:2:1: did not finish: still running after 5000000 steps (an endless loop?)\n`);
  t.equal(r.stdout, '');
});
