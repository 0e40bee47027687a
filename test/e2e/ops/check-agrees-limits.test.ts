/**
 * Limits on what a config may be (issue 13, point 10): its size, how deeply it nests, and a
 * URL option that would break every reply. ctl check and server start refuse each alike, at
 * the file, line and column of the problem (test/helpers/check-agreement.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t from 'tap';
import { request, runCtl, startCanto, writeFiles } from '../../helpers/canto.js';
import { BASE, checkAgreement, checkErrors, HOST, serverErrors, type BrokenConfig } from '../../helpers/check-agreement.js';

// 16,384 lines of 64 bytes are exactly 1 MiB: the next byte is line 16,385, column 1.
const MIB_OF_COMMENTS = `-- ${'x'.repeat(60)}\n`.repeat(16_384);

const cases: BrokenConfig[] = [
  {
    name: 'a config larger than 1 MiB is refused where it passes the limit, unread beyond',
    file: `${MIB_OF_COMMENTS}http_ports = { 0 }\nVirtualHost "example.com"\n`,
    error: /^\S*prosody\.cfg\.lua:16385:1: the config \(with its Includes\) is larger than 1 MiB; it reaches the limit here$/,
  },
  {
    name: 'tables nested deeper than Lua allows are refused at the first level too many',
    file: `x = ${'{'.repeat(300)}${'}'.repeat(300)}\nVirtualHost "example.com"\n`,
    error: /^\S*prosody\.cfg\.lua:1:204: too deeply nested: more than 200 levels near '\{'$/,
  },
  {
    name: 'an expression nested too deeply is refused at its position',
    file: `http_ports = { 0 }\nx = ${'('.repeat(250)}1${')'.repeat(250)}\n`,
    error: /^\S*prosody\.cfg\.lua:2:204: too deeply nested: more than 200 levels near '\('$/,
  },
  {
    name: 'a table built deeper than 100 levels in a loop is refused at its option',
    file: 'local t = {}\nfor i = 1, 1000 do t = { t } end\nx = t\nVirtualHost "example.com"\n',
    error: /^\S*prosody\.cfg\.lua:3:1: Option 'x' nests tables more than 100 deep$/,
  },
];

t.test(`${cases.length} configs past a limit: ctl check and server start agree`, (t) => checkAgreement(t, cases));

t.test('CR/LF in invites_page: both refuse the option at its position; the API still answers 201, no 500', async (t) => {
  const dir = t.testdir();
  const lines = [...BASE, HOST, 'invites_page = "https://example.com/join?{invite.token}\\r\\nSet-Cookie: a=b"', ''];
  writeFiles(dir, { 'prosody.cfg.lua': lines.join('\n') });
  const check = await runCtl(dir, ['check']);
  t.equal(check.code, 1, check.stdout + check.stderr);
  const expected = `${join(dir, 'prosody.cfg.lua')}:6:1: example.com: mod_invites_page: option 'invites_page' must match pattern "^[^\\x00-\\x1f\\x7f]+$"`;
  t.equal(checkErrors(check.stdout, check.stderr)[0], expected);

  const server = await startCanto(t, { config: readFileSync(join(dir, 'prosody.cfg.lua'), 'utf8'), dir });
  t.ok(serverErrors(server.stderr()).includes(expected), server.stderr());
  t.match(await server.logged(/\terror\tFailed to load module 'invites_page' on example\.com: /), /\terror\tFailed to load module 'invites_page' on example\.com: /);
  const created = await runCtl(dir, ['mod_invites_api', 'create', 'example.com']);
  t.equal(created.code, 0, created.stderr);
  const reply = await request(server.url(`/invites_api?key=${created.stdout.trim()}`), { headers: { Host: 'example.com' } });
  t.equal(reply.status, 201);
  // Without the page module, the invite's address is its xmpp: URI.
  t.match(reply.headers.location, /^xmpp:example\.com\?register;preauth=[A-Za-z0-9_-]{24}$/);
});
