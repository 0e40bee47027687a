// Prosody configmanager semantics of readConfig, errors with positions, resolveConfigPath and
// hostModules. Each test writes real files into its own t.testdir().
import t, { type Test } from 'tap';
import { join } from 'node:path';
import { hostModules, optionPosition, readConfig, resolveConfigPath, type ParsedConfig } from '../../runtime/config/index.js';
import { isCantoError } from '../../runtime/errors.js';

type Files = Parameters<Test['testdir']>[0];

/** Write the files, read `prosody.cfg.lua` from them. */
function read(t: Test, files: Files, env: NodeJS.ProcessEnv = {}): { dir: string; config: ParsedConfig } {
  const dir = t.testdir(files);
  return { dir, config: readConfig(join(dir, 'prosody.cfg.lua'), { env }) };
}

function options(config: ParsedConfig, section: string): Record<string, unknown> {
  return Object.fromEntries(config.sections.get(section)?.options ?? []);
}

/** The CantoError readConfig throws, for its code, message and position. */
function failure(t: Test, files: Files, env: NodeJS.ProcessEnv = {}) {
  const dir = t.testdir(files);
  try {
    readConfig(join(dir, 'prosody.cfg.lua'), { env });
  } catch (err) {
    if (!isCantoError(err)) throw err;
    const p = err.position;
    return { code: err.code, message: err.message, at: p ? `${p.file.slice(dir.length + 1)}:${p.line}:${p.column}` : undefined };
  }
  throw new Error('expected readConfig to fail');
}

t.test('global assignments are options of the global section, with their positions', async (t) => {
  const { dir, config } = read(t, { 'prosody.cfg.lua': 'admins = { "a@example.com" }\n  http_ports = { 5280 }\n' });
  t.same(options(config, '*'), { admins: ['a@example.com'], http_ports: [5280] });
  t.same(optionPosition(config, '*', 'http_ports'), { file: join(dir, 'prosody.cfg.lua'), line: 2, column: 3 });
  t.equal(config.file, join(dir, 'prosody.cfg.lua'));
  t.same(config.files, [config.file]);
});

t.test('VirtualHost starts a lower-cased host section until the next VirtualHost or Component', async (t) => {
  const { config } = read(t, {
    'prosody.cfg.lua': 'a = 1\nVirtualHost "Example.COM"\n  b = 2\nHost "two.example"\n  c = 3\nhost "three.example"\n  d = 4\n',
  });
  t.same([...config.sections.keys()], ['*', 'example.com', 'two.example', 'three.example']);
  t.same(options(config, '*'), { a: 1 });
  t.same(options(config, 'example.com'), { b: 2 });
  t.same(options(config, 'three.example'), { d: 4 });
  const host = config.sections.get('example.com')!;
  t.equal(host.kind, 'host');
  t.equal(host.position?.line, 2, 'the section remembers its VirtualHost line');
  t.equal(host.position?.column, 1);
});

t.test('the table form of VirtualHost applies its options and returns to the global section', async (t) => {
  const { config } = read(t, {
    'prosody.cfg.lua': 'VirtualHost "x.example" {\n  enabled = false,\n  admins = { "r@x.example" } }\nafter = true\n',
  });
  t.same(options(config, 'x.example'), { enabled: false, admins: ['r@x.example'] });
  t.same(options(config, '*'), { after: true });
  t.equal(config.sections.get('x.example')!.positions.get('admins')?.line, 3, 'table-form options keep their own line');
});

t.test('Component sections name their module', async (t) => {
  const { config } = read(t, {
    'prosody.cfg.lua': [
      'Component "muc.example" "muc"',
      '  restrict_room_creation = "local"',
      'component "ext.example"',
      '  component_secret = "s"',
      'Component "up.example" "http_file_share" { http_file_share_size_limit = 1024 }',
      'back = "global"',
    ].join('\n'),
  });
  const muc = config.sections.get('muc.example')!;
  t.equal(muc.kind, 'component');
  t.equal(muc.componentModule, 'muc');
  t.same(options(config, 'muc.example'), { component_module: 'muc', load_global_modules: false, restrict_room_creation: 'local' });
  t.equal(config.sections.get('ext.example')!.componentModule, 'component');
  t.same(options(config, 'up.example'), { component_module: 'http_file_share', load_global_modules: false, http_file_share_size_limit: 1024 });
  t.same(options(config, '*'), { back: 'global' });
});

t.test('a host and a component of the same name clash, as in Prosody', async (t) => {
  t.same(failure(t, { 'prosody.cfg.lua': 'Component "a.example" "muc"\nVirtualHost "a.example"\n' }), {
    code: 'ERR_CONFIG_RUNTIME',
    message: 'Host "a.example" clashes with previously defined MUC Component "a.example", for services use a sub-domain like conference.a.example',
    at: 'prosody.cfg.lua:2:1',
  });
  t.match(failure(t, { 'prosody.cfg.lua': 'VirtualHost "a.example"\nComponent "a.example"\n' }).message, /^Component "a.example" clashes/);
});

t.test('ENV_ names read the environment, nil when unset', async (t) => {
  const { config } = read(t, { 'prosody.cfg.lua': 'a = ENV_CANTO_A\nb = ENV_CANTO_B or "dflt"\nc = os.getenv("CANTO_A")\n' }, { CANTO_A: 'é!' });
  t.same(options(config, '*'), { a: 'é!', b: 'dflt', c: 'é!' });
});

t.test('unknown names read Lua standard globals, else nil', async (t) => {
  const { config } = read(t, { 'prosody.cfg.lua': 'a = type(string)\nb = undefined_thing\nc = math.max(1, 5)\nd = Lua.tostring(1)\n' });
  t.same(options(config, '*'), { a: 'table', c: 5, d: '1' });
});

t.test('an option assigned earlier can be read back, host first then global', async (t) => {
  // COMPAT: Prosody 0.12 gives nil here; 13.0 and Canto give the value.
  const { config } = read(t, { 'prosody.cfg.lua': 'base = "/srv"\ndata = base .. "/data"\nVirtualHost "h"\n  x = base .. "!"\n' });
  t.equal(options(config, '*').data, '/srv/data');
  t.equal(options(config, 'h').x, '/srv!');
});

t.test('repeating an option in the same section warns "Duplicate option" and keeps the last value', async (t) => {
  const { dir, config } = read(t, { 'prosody.cfg.lua': 'a = 1\nVirtualHost "h"\na = 2\nVirtualHost "i"\na = 3\n  a = 4\n' });
  t.same(config.diagnostics, [
    { level: 'warning', message: "Duplicate option 'a'", position: { file: join(dir, 'prosody.cfg.lua'), line: 6, column: 3 } },
  ]);
  t.equal(options(config, 'i').a, 4);
});

t.test('assigning nil removes an option', async (t) => {
  const { config } = read(t, { 'prosody.cfg.lua': 'a = 1\nb = 2\na = nil\n' });
  t.same([...config.sections.get('*')!.options.keys()], ['b']);
  t.equal(optionPosition(config, '*', 'a'), undefined);
});

t.test('Include reads a file relative to the including file, in its own global section', async (t) => {
  const { dir, config } = read(t, {
    'prosody.cfg.lua': 'VirtualHost "h"\n  Include "sub/extra.cfg.lua"\n  after = 1\n',
    sub: { 'extra.cfg.lua': 'from_sub = true\ninclude "more.cfg.lua"\n', 'more.cfg.lua': 'VirtualHost "more"\n  m = 1\n' },
  });
  t.same(options(config, '*'), { from_sub: true });
  t.same(options(config, 'h'), { after: 1 }, 'the including file stays in its host section');
  t.same(options(config, 'more'), { m: 1 });
  t.same(config.files, [join(dir, 'prosody.cfg.lua'), join(dir, 'sub/extra.cfg.lua'), join(dir, 'sub/more.cfg.lua')]);
  t.equal(optionPosition(config, 'more', 'm')?.file, join(dir, 'sub/more.cfg.lua'));
});

t.test('an Include glob takes matching files of that folder in alphabetical order, skipping dotfiles', async (t) => {
  const { dir, config } = read(t, {
    'prosody.cfg.lua': 'Include "conf.d/*.cfg.lua"\nInclude "empty.d/*.cfg.lua"\n',
    'conf.d': {
      'b.cfg.lua': 'order = (order or "") .. "b"\n',
      'a.cfg.lua': 'order = (order or "") .. "a"\n',
      '.hidden.cfg.lua': 'error("hidden")\n',
      'c.cfg.lua.disabled': 'error("not matched")\n',
      'sub.cfg.lua': {},
    },
    'empty.d': {},
  });
  t.same(config.files.map((f) => f.slice(dir.length + 1)), ['prosody.cfg.lua', 'conf.d/a.cfg.lua', 'conf.d/b.cfg.lua']);
  t.equal(options(config, '*').order, 'ab');
});

t.test('a missing Include is an error at the Include call, naming the file', async (t) => {
  const f = failure(t, { 'prosody.cfg.lua': 'a = 1\n  Include "nope.cfg.lua"\n' });
  t.equal(f.code, 'ERR_CONFIG_INCLUDE');
  t.equal(f.at, 'prosody.cfg.lua:2:3');
  t.match(f.message, /^Include: Error loading included .*\/nope\.cfg\.lua: No such file or directory$/);
});

t.test('an Include glob in a missing folder is an error', async (t) => {
  const f = failure(t, { 'prosody.cfg.lua': 'Include "missing.d/*.cfg.lua"\n' });
  t.equal(f.code, 'ERR_CONFIG_INCLUDE');
  t.match(f.message, /missing\.d/);
});

t.test('a file that includes itself is stopped with the loop named', async (t) => {
  const f = failure(t, { 'prosody.cfg.lua': 'Include "prosody.cfg.lua"\n' });
  t.equal(f.code, 'ERR_CONFIG_INCLUDE');
  t.match(f.message, /Include loop/);
});

t.test('errors inside an included file name the included file', async (t) => {
  t.same(failure(t, { 'prosody.cfg.lua': 'Include "x.cfg.lua"\n', 'x.cfg.lua': 'a = 1\nb = nope()\n' }), {
    code: 'ERR_CONFIG_RUNTIME',
    message: "attempt to call a nil value (global 'nope')",
    at: 'x.cfg.lua:2:5',
  });
  t.same(failure(t, { 'prosody.cfg.lua': 'Include "x.cfg.lua"\n', 'x.cfg.lua': 'a = { 1\n' }), {
    code: 'ERR_CONFIG_PARSE',
    message: "expected '}' near <eof> (to close '{' at line 1)",
    at: 'x.cfg.lua:2:1',
  });
});

t.test('syntax errors say what was expected, with line and column', async (t) => {
  t.same(failure(t, { 'prosody.cfg.lua': 'a = { 1, 2 x }\n' }), {
    code: 'ERR_CONFIG_PARSE',
    message: "expected '}' near 'x'",
    at: 'prosody.cfg.lua:1:12',
  });
  t.same(failure(t, { 'prosody.cfg.lua': 'a = 1\nb = "abc\n' }), {
    code: 'ERR_CONFIG_PARSE',
    message: 'unfinished string near \'"abc\'',
    at: 'prosody.cfg.lua:2:5',
  });
  t.same(failure(t, { 'prosody.cfg.lua': 'if x then\n  a = 1\n' }).message, "expected 'end' near <eof> (to close 'if' at line 1)");
  t.same(failure(t, { 'prosody.cfg.lua': 'a = = 1\n' }).message, "unexpected symbol near '='");
  t.same(failure(t, { 'prosody.cfg.lua': 'a = 3x\n' }).message, "malformed number near '3x'");
  t.same(failure(t, { 'prosody.cfg.lua': 'a = "\\q"\n' }), {
    code: 'ERR_CONFIG_PARSE',
    message: "invalid escape sequence '\\q'",
    at: 'prosody.cfg.lua:1:6',
  });
  t.same(failure(t, { 'prosody.cfg.lua': 'x = [[never closed\n' }).message, "unfinished long string (starting at line 1) near '<eof>'");
  t.same(failure(t, { 'prosody.cfg.lua': 'a\n' }).message, 'syntax error near <eof>');
  t.same(failure(t, { 'prosody.cfg.lua': '-- é\nlocal é = 1\n' }), {
    code: 'ERR_CONFIG_PARSE',
    message: "unexpected symbol near '<\\195>'",
    at: 'prosody.cfg.lua:2:7',
  });
});

t.test('columns count characters, not bytes, on lines with UTF-8 text', async (t) => {
  t.equal(failure(t, { 'prosody.cfg.lua': 'a = "é" .. nope\n' }).at, 'prosody.cfg.lua:1:12');
});

t.test('runtime errors read like Lua, at the culprit', async (t) => {
  t.same(failure(t, { 'prosody.cfg.lua': 'a = 1\n  foo()\n' }), {
    code: 'ERR_CONFIG_RUNTIME',
    message: "attempt to call a nil value (global 'foo')",
    at: 'prosody.cfg.lua:2:3',
  });
  t.same(failure(t, { 'prosody.cfg.lua': 'local x\nb = 1 + x\n' }), {
    code: 'ERR_CONFIG_RUNTIME',
    message: "attempt to perform arithmetic on a nil value (local 'x')",
    at: 'prosody.cfg.lua:2:9',
  });
  t.equal(failure(t, { 'prosody.cfg.lua': 'b = 2 * {}\n' }).message, 'attempt to perform arithmetic on a table value');
  t.equal(failure(t, { 'prosody.cfg.lua': 'b = "x" .. nothing\n' }).message, "attempt to concatenate a nil value (global 'nothing')");
  t.equal(failure(t, { 'prosody.cfg.lua': 'b = nothing.field\n' }).message, "attempt to index a nil value (global 'nothing')");
  t.equal(failure(t, { 'prosody.cfg.lua': 'local t = {}\nb = t.x.y\n' }).message, "attempt to index a nil value (field 'x')");
  t.equal(failure(t, { 'prosody.cfg.lua': 'b = 1 < "2"\n' }).message, 'attempt to compare number with string');
  t.equal(failure(t, { 'prosody.cfg.lua': 'b = ("x"):nope()\n' }).message, "attempt to call a nil value (method 'nope')");
  t.equal(failure(t, { 'prosody.cfg.lua': 'b = 1 // 0\n' }).message, "attempt to perform 'n//0'");
  t.same(failure(t, { 'prosody.cfg.lua': 'local function f()\n  error("bad value")\nend\nf()\n' }), {
    code: 'ERR_CONFIG_RUNTIME',
    message: 'bad value',
    at: 'prosody.cfg.lua:2:3',
  });
  t.equal(failure(t, { 'prosody.cfg.lua': 'table.insert(nil, 1)\n' }).message, "bad argument #1 to 'insert' (table expected, got nil)");
  t.equal(failure(t, { 'prosody.cfg.lua': 'local function f() return f() + 1 end\nf()\n' }).message, 'stack overflow');
});

t.test('RunScript is refused', async (t) => {
  t.same(failure(t, { 'prosody.cfg.lua': 'RunScript "x.lua"\n' }), {
    code: 'ERR_CONFIG_RUNTIME',
    message: 'RunScript is not supported',
    at: 'prosody.cfg.lua:1:1',
  });
});

t.test('a missing config file is ERR_CONFIG_NOT_FOUND', async (t) => {
  const dir = t.testdir({});
  t.throws(() => readConfig(join(dir, 'none.cfg.lua')), { code: 'ERR_CONFIG_NOT_FOUND', message: `Config file not found: ${join(dir, 'none.cfg.lua')}` });
});

t.test('a table that contains itself is refused at its option', async (t) => {
  const f = failure(t, { 'prosody.cfg.lua': 'local t = {}\nt.self = t\nloopy = t\n' });
  t.equal(f.code, 'ERR_CONFIG_INVALID');
  t.equal(f.at, 'prosody.cfg.lua:3:1');
});

t.test('Lua tables become arrays when they are sequences, else objects', async (t) => {
  const { config } = read(t, { 'prosody.cfg.lua': 'a = {}\nb = { "x", "y" }\nc = { "x", k = 1 }\nd = { [1] = "p", [2] = "q" }\ne = { [2] = "q" }\n' });
  t.same(options(config, '*'), { a: [], b: ['x', 'y'], c: { 1: 'x', k: 1 }, d: ['p', 'q'], e: { 2: 'q' } });
});

t.test('print writes to stderr, not stdout', async (t) => {
  const writes: string[] = [];
  const write = process.stderr.write;
  process.stderr.write = ((chunk: string) => writes.push(String(chunk)) > 0) as typeof process.stderr.write;
  try {
    read(t, { 'prosody.cfg.lua': 'print("hello", 1, nil)\n' });
  } finally {
    process.stderr.write = write;
  }
  t.same(writes, ['hello\t1\tnil\n']);
});

t.test('resolveConfigPath prefers --config, then $PROSODY_CONFIG, then ./prosody.cfg.lua, then the example', async (t) => {
  const root = t.testdir({ full: { 'prosody.cfg.lua': '' }, empty: {} });
  const dir = join(root, 'full');
  const empty = join(root, 'empty');
  t.equal(resolveConfigPath('my.cfg.lua', { PROSODY_CONFIG: '/etc/x.cfg.lua' }, dir), join(dir, 'my.cfg.lua'));
  t.equal(resolveConfigPath(undefined, { PROSODY_CONFIG: '/etc/x.cfg.lua' }, dir), '/etc/x.cfg.lua');
  t.equal(resolveConfigPath(undefined, {}, dir), join(dir, 'prosody.cfg.lua'));
  t.equal(resolveConfigPath(undefined, {}, empty), join(empty, 'prosody.cfg.example'));
  t.equal(resolveConfigPath(undefined, { PROSODY_CONFIG: '' }, empty), join(empty, 'prosody.cfg.example'), 'an empty variable is unset');
});

t.test('hostModules combines global and host lists as Prosody does', async (t) => {
  const { config } = read(t, {
    'prosody.cfg.lua': [
      'modules_enabled = { "a", "b", "tls", "c", "b", "saslauth" }',
      'modules_disabled = { "c" }',
      'VirtualHost "plain"',
      'VirtualHost "extra"',
      '  modules_enabled = { "d", "a" }',
      '  modules_disabled = { "b" }',
      'VirtualHost "same"',
      '  modules_enabled = modules_enabled',
      'VirtualHost "vcards"',
      '  modules_enabled = { "vcard", "vcard_legacy" }',
      'Component "muc.example" "muc"',
      '  modules_enabled = { "muc_mam", "muc" }',
      '  modules_disabled = { "tls" }',
    ].join('\n'),
  });
  t.same(hostModules(config, '*'), { enabled: ['a', 'b', 'tls', 'saslauth'], disabled: new Set(['c']) });
  t.same(hostModules(config, 'plain'), { enabled: ['a', 'b', 'tls', 'saslauth'], disabled: new Set(['c']) });
  t.same(hostModules(config, 'extra'), { enabled: ['a', 'tls', 'saslauth', 'd'], disabled: new Set(['c', 'b']) });
  t.same(hostModules(config, 'same').enabled, ['a', 'b', 'tls', 'saslauth'], 'a host value that is the global table is ignored');
  t.same(hostModules(config, 'vcards').enabled, ['a', 'b', 'tls', 'saslauth', 'vcard_legacy'], 'vcard_legacy replaces vcard');
  t.same(hostModules(config, 'muc.example'), { enabled: ['muc', 'saslauth', 'muc_mam'], disabled: new Set(['c', 'tls']) },
    'a component gets its module first and only the component-inheritable global modules');
  t.same(hostModules(config, 'unknown.example').enabled, ['a', 'b', 'tls', 'saslauth'], 'an unknown host reads the global lists');
});
