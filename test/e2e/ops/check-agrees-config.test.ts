/**
 * Config files that cannot be read (syntax, runtime errors, Include, sections); and a wrong module option, which both report while the server runs without that module.
 * ctl check and server start refuse each with the same errors (test/helpers/check-agreement.ts).
 */
import t from 'tap';
import { checkAgreement, type BrokenConfig } from '../../helpers/check-agreement.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { runCtl, startCanto, writeFiles } from '../../helpers/canto.js';
import { BASE, checkErrors, HOST, serverErrors } from '../../helpers/check-agreement.js';

const cases: BrokenConfig[] = [
  { name: 'a syntax error', file: 'http_ports = { 5280\nVirtualHost "x"\n', error: /prosody\.cfg\.lua:2:1: expected '}' near 'VirtualHost'/ },
  { name: 'arithmetic on nil', file: 'local x = nil\nhttp_ports = { x + 1 }\n', error: /prosody\.cfg\.lua:2:\d+: attempt to perform arithmetic on a nil value/ },
  { name: 'an Include that is missing', file: 'Include "missing.cfg.lua"\n', error: /Include: Error loading included .*missing\.cfg\.lua: No such file or directory/ },
  { name: 'a VirtualHost given a module', file: 'VirtualHost "example.com" "muc"\n', error: /VirtualHost entries do not accept a module name/ },
  { name: 'a Component clashing with a VirtualHost', file: 'VirtualHost "example.com"\nComponent "example.com" "muc"\n', error: /Component "example\.com" clashes with previously defined VirtualHost/ },
  { name: 'RunScript', file: 'RunScript "setup.lua"\n', error: /RunScript is not supported/ },
];

t.test(`${cases.length} broken config files: ctl check and server start agree`, (t) => checkAgreement(t, cases));

t.test('a module option that is wrong: both name it at its position; the server runs without that module', async (t) => {
  const dir = t.testdir();
  writeFiles(dir, { 'prosody.cfg.lua': [...BASE, 'invite_expiry = "1 fortnight"', HOST, ''].join('\n') });
  const check = await runCtl(dir, ['check']);
  t.equal(check.code, 1);
  const expected = `${join(dir, 'prosody.cfg.lua')}:5:1: example.com: mod_invites: option 'invite_expiry' not understood, expecting a period (e.g. "2 days")`;
  const errors = checkErrors(check.stdout, check.stderr);
  t.equal(errors[0], expected);
  // Modules that depend on it fail with it, each named with its host.
  t.match(errors.slice(1).join('\n'), /^Failed to load module 'invites_api' on example\.com: Failed to load module 'invites' on example\.com: /m);
  const server = await startCanto(t, { config: readFileSync(join(dir, 'prosody.cfg.lua'), 'utf8'), dir });
  t.ok(serverErrors(server.stderr()).includes(expected), server.stderr());
  t.match(await server.logged(/\terror\tFailed to load module 'invites' on example\.com: /), /\terror\tFailed to load module 'invites' on example\.com: /);
  t.match(await server.logged(/\tCanto ready, hosts: example\.com; \d+ modules? loaded, [1-9]\d* failed\n/), /\tCanto ready, hosts: example\.com; \d+ modules? loaded, [1-9]\d* failed\n/);
});

