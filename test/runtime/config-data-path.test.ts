/**
 * A config without data_path uses the data folder of the operator's installed Prosody
 * (CFG_DATADIR in its `prosody` script), as Prosody's util/startup.lua does; else "data".
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { prosodyDataDir } from '../../runtime/config/index.js';
import { runCtl, writeFiles } from '../helpers/canto.js';

const prosodyScript = (datadir: string) => `#!/usr/bin/env lua5.4\nCFG_SOURCEDIR='/usr/lib/prosody';\nCFG_CONFIGDIR='/etc/prosody';\nCFG_DATADIR='${datadir}';\n`;

t.test('reads CFG_DATADIR from the first prosody on PATH, with ~ as $HOME', async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'a/prosody': prosodyScript('~/prosody-data'), 'b/prosody': prosodyScript('/srv/other') });
  t.equal(prosodyDataDir({ PATH: `${join(dir, 'a')}:${join(dir, 'b')}`, HOME: '/home/op' }), '/home/op/prosody-data');
  t.equal(prosodyDataDir({ PATH: `relative:${join(dir, 'b')}` }), '/srv/other', 'relative PATH entries are skipped');
  t.equal(prosodyDataDir({ PATH: join(dir, 'none') }), undefined, 'no Prosody installed');
  writeFiles(dir, { 'c/prosody': '#!/usr/bin/env lua\n-- a source checkout: no CFG_DATADIR\n', 'c/prosodyctl': prosodyScript('/x') });
  t.equal(prosodyDataDir({ PATH: join(dir, 'c') }), undefined, 'a Prosody without CFG_DATADIR uses "data", as Prosody');
});

t.test("Debian's package says /var/lib/prosody", { skip: existsSync('/usr/bin/prosody') ? false : 'Debian prosody package not installed' }, async (t) => {
  t.equal(prosodyDataDir({ PATH: '/usr/bin' }), '/var/lib/prosody');
});

t.test('ctl writes where the installed Prosody keeps its data, or beside the config without one', async (t) => {
  const dir = t.testdir();
  const datadir = join(dir, 'var', 'lib', 'prosody');
  writeFiles(dir, {
    'bin/prosody': prosodyScript(datadir),
    'prosody.cfg.lua': 'modules_enabled = { "invites", "invites_api" }\nVirtualHost "example.com"\n',
  });
  const withProsody = await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'shared'], { env: { PATH: `${join(dir, 'bin')}:/usr/bin:/bin` } });
  t.equal(withProsody.code, 0, withProsody.stderr);
  t.same(readdirSync(join(datadir, 'example%2ecom')), ['invite_api_keys.dat']);
  t.notOk(existsSync(join(dir, 'data')), 'nothing beside the config');

  const without = await runCtl(dir, ['mod_invites_api', 'create', 'example.com', 'local'], { env: { PATH: join(dir, 'empty') } });
  t.equal(without.code, 0, without.stderr);
  t.same(readdirSync(join(dir, 'data', 'example%2ecom')), ['invite_api_keys.dat']);
});
