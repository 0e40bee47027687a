// Real configs read the same as with Prosody 0.12.3's own configmanager: the expected JSON was
// written once by test/fixtures/config/dump-prosody-config.lua (see its header).
import t, { type Test } from 'tap';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hostModules, readConfig, type ParsedConfig } from '../../runtime/config/index.js';

const fixtures = fileURLToPath(new URL('../fixtures/config/', import.meta.url));

function compareWithProsody(t: Test, config: ParsedConfig, expectedFile: string): void {
  const expected = JSON.parse(readFileSync(fixtures + expectedFile, 'utf8')) as Record<string, Record<string, unknown>>;
  t.same([...config.sections.keys()].sort(), Object.keys(expected).sort(), 'the same sections');
  for (const [name, options] of Object.entries(expected)) {
    const section = config.sections.get(name);
    if (!section) continue;
    t.same([...section.options.keys()].sort(), Object.keys(options).sort(), `the same options in ${name}`);
    for (const [key, value] of Object.entries(options)) {
      // JSON round trip: Prosody's dump has no function names.
      const ours: unknown = JSON.parse(JSON.stringify(section.options.get(key) ?? null));
      t.same(ours, value, `${name} ${key}`);
    }
  }
}

t.test("Debian's stock prosody.cfg.lua reads with no error and Prosody's values", async (t) => {
  const config = readConfig(fixtures + 'debian/prosody.cfg.lua', { env: {} });
  compareWithProsody(t, config, 'debian.expected.json');
  t.same(config.diagnostics, [], 'no warnings');
  t.same(config.files, [fixtures + 'debian/prosody.cfg.lua', fixtures + 'debian/conf.d/localhost.cfg.lua'], 'conf.d is included');
  const global = config.sections.get('*')!;
  t.equal(global.options.get('authentication'), 'internal_hashed');
  t.same(global.options.get('log'), {
    1: { levels: ['error'], to: 'syslog' },
    info: '/var/log/prosody/prosody.log',
    error: '/var/log/prosody/prosody.err',
  });
  t.equal(config.sections.get('localhost')?.kind, 'host');
  t.same(global.positions.get('pidfile'), { file: fixtures + 'debian/prosody.cfg.lua', line: 104, column: 1 });
  const mods = hostModules(config, 'localhost');
  t.ok(mods.enabled.includes('invites_register'), 'host modules come from the global list');
  t.notOk(mods.enabled.includes('c2s'), 'no autoload list is added');
});

t.test('a config full of Lua logic gives exactly what Prosody gives', async (t) => {
  const config = readConfig(fixtures + 'logic.cfg.lua', { env: { CANTO_DOMAIN: 'Example.COM', CANTO_PORT: '5281' } });
  compareWithProsody(t, config, 'logic.expected.json');
  t.same(
    config.diagnostics.map((d) => [d.message, d.position?.line]),
    [
      ["Duplicate option 'storage'", 138],
      ["Duplicate option 'removed_later'", 140],
    ],
    'duplicates are warned per file, as Prosody does',
  );
  t.same(
    [...config.sections.keys()],
    ['*', 'example.com', 'included.example', 'one.example', 'two.example', 'conference.example.com', 'ext.example',
      'upload.example.com', 'table.example', 'legacy.example'],
    'global first, then sections in the order they appear (sorted glob includes)',
  );
  const kinds = Object.fromEntries([...config.sections.values()].map((s) => [s.name, [s.kind, s.componentModule]]));
  t.same(kinds['conference.example.com'], ['component', 'muc']);
  t.same(kinds['ext.example'], ['component', 'component']);
  t.same(kinds['legacy.example'], ['component', 'proxy65'], 'component_module set on its own line still counts');
  t.same(kinds['table.example'], ['host', undefined]);
  t.same(config.sections.get('*')!.options.get('handler'), { luaFunction: true }, 'a function option is a marker');
});

t.test('a Snikket-style config reads with its ENV_ lookups and conf.d Include', async (t) => {
  const env = { SNIKKET_DOMAIN: 'chat.example.org', SNIKKET_UPLOAD_STORAGE_GB: '2' };
  const config = readConfig(fixtures + 'snikket/prosody.cfg.lua', { env });
  compareWithProsody(t, config, 'snikket.expected.json');
  const global = config.sections.get('*')!;
  t.equal(global.options.get('invites_page'), 'https://chat.example.org/invite/{invite.token}/');
  t.equal(global.options.get('archive_expires_after'), '7d');
  t.equal(config.sections.get('share.chat.example.org')?.options.get('http_file_share_global_quota'), 2 * 1024 ** 3);
  t.same(hostModules(config, 'groups.chat.example.org').enabled.slice(0, 1), ['muc'], 'the component module loads first');
});

t.test('the Snikket-style config stops with its own message when SNIKKET_DOMAIN is unset', async (t) => {
  t.throws(() => readConfig(fixtures + 'snikket/prosody.cfg.lua', { env: {} }), {
    code: 'ERR_CONFIG_RUNTIME',
    message: 'Please set the SNIKKET_DOMAIN environment variable',
    position: { file: fixtures + 'snikket/prosody.cfg.lua', line: 1, column: 16 },
  });
});
