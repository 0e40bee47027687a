/**
 * The web-registration round trip with the real Prosody 0.12 on the same storage (files, SQLite
 * or PostgreSQL), shared by test/e2e/register-prosody*.test.ts: Prosody authenticates the
 * account Canto registered (SASL PLAIN over c2s on a free port), refuses a wrong password, and
 * after a reset invite accepts only the new one; then a contact invite that the running Prosody
 * made is used on the web form while the inviter is online, and the inviter gets the roster push
 * and both rosters say `both`, as Prosody's mod_invites_register makes them.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Test } from 'tap';
import { runShellLine } from '../../modules/mod_invites_register/prosody-shell.js';
import { runCtl, startCanto } from './canto.js';
import { c2sConfig, freePort, rosterItem, startProsody, XmppClient } from './prosody.js';
import { generateInvite, submitForm } from './register.js';

/** `storage` holds the config lines of both sides' storage (none for Prosody's files). */
export async function registrationRoundTrip(t: Test, dir: string, storage: string[]): Promise<void> {
  const c2s = await freePort();
  // A unix socket path has at most 107 bytes; the test folder's path is longer.
  const sockDir = mkdtempSync(join(tmpdir(), 'canto-'));
  t.teardown(() => rmSync(sockDir, { recursive: true, force: true }));
  const sock = join(sockDir, 'prosody.sock');
  const shared = [
    `data_path = ${JSON.stringify(join(dir, 'data'))}`,
    `admin_socket = ${JSON.stringify(sock)}`,
    `pidfile = ${JSON.stringify(join(dir, 'prosody.pid'))}`,
    // The real Prosody below runs as root (run_as_root); Canto shares its data as the same
    // user, or files Prosody makes on login (its roster folder) would be root's and Canto's not.
    'run_as_root = true',
    ...storage,
  ];
  const prosodyConfig = c2sConfig(shared, c2s, ['saslauth', 'roster', 'admin_socket', 'admin_shell', 'invites']);
  const cantoConfig = [
    ...shared,
    'http_ports = { 0 }',
    'https_ports = { }',
    'http_default_host = "example.com"',
    'modules_enabled = { "invites", "invites_page", "register_apps", "invites_register_web" }',
    'VirtualHost "example.com"',
    '',
  ].join('\n');
  // Canto first: on SQL it makes Prosody's tables.
  const server = await startCanto(t, { config: cantoConfig, dir, files: { 'prosody-real.cfg.lua': prosodyConfig, 'certs/.keep': '' } });
  await startProsody(t, join(dir, 'prosody-real.cfg.lua'), dir);
  const sasl = async (user: string, password: string) => {
    const r = await XmppClient.login(c2s, 'example.com', user, password);
    return r === 'failure' ? 'failure' : 'success';
  };

  const made = await submitForm(server, await generateInvite(dir, 'example.com'), { user: 'Newcomer', password: 'first-password' });
  t.equal(made.status, 200, 'registered on the web');
  t.equal(await sasl('newcomer', 'first-password'), 'success', 'Prosody accepts the password chosen on the web');
  t.equal(await sasl('newcomer', 'wrong-password'), 'failure', 'and refuses a wrong one');

  const reset = await submitForm(server, await generateInvite(dir, 'example.com', '--reset', 'newcomer'), { user: 'newcomer', password: 'second-password' });
  t.equal(reset.status, 200, 'password reset on the web');
  t.equal(await sasl('newcomer', 'second-password'), 'success', 'Prosody accepts the new password');
  t.equal(await sasl('newcomer', 'first-password'), 'failure', 'and no longer the old one');

  // The contact invite: the inviter is online with the roster loaded, the case where a roster
  // written behind Prosody's back would be lost.
  t.equal((await runCtl(dir, ['adduser', 'inviter@example.com'], { input: 'inviter-pass\ninviter-pass\n' })).code, 0);
  const inviter = await XmppClient.login(c2s, 'example.com', 'inviter', 'inviter-pass', { bind: true });
  if (inviter === 'failure') throw new Error('the inviter could not log in');
  t.teardown(() => inviter.close());
  await inviter.iq("<iq type='get' id='roster1'><query xmlns='jabber:iq:roster'/></iq>", 'roster1');
  const minted = await runShellLine(sock, '>return require "core.modulemanager".get_module("example.com", "invites").create_contact("inviter", true).token');
  const token = /^Result: ([A-Za-z0-9_-]{24})$/.exec(minted.text)?.[1];
  t.ok(token, `Prosody made a contact invite: ${minted.text}`);

  const joined = await submitForm(server, token!, { user: 'friend', password: 'secret-of-mine' });
  t.equal(joined.status, 200, 'registered with the contact invite on the web');
  t.match(joined.body, '<strong>inviter@example.com</strong> is in your contacts already.');
  await inviter.waitFor(rosterItem('friend@example.com', 'both'));
  t.pass('the online inviter got the roster push: friend@example.com, subscription both');

  const friend = await XmppClient.login(c2s, 'example.com', 'friend', 'secret-of-mine', { bind: true });
  if (friend === 'failure') throw new Error('the new account could not log in');
  t.teardown(() => friend.close());
  const roster = await friend.iq("<iq type='get' id='roster2'><query xmlns='jabber:iq:roster'/></iq>", 'roster2');
  t.match(roster, rosterItem('inviter@example.com', 'both'), "the new user's roster has the inviter, subscription both");
  const inviterRoster = await inviter.iq("<iq type='get' id='roster3'><query xmlns='jabber:iq:roster'/></iq>", 'roster3');
  t.match(inviterRoster, rosterItem('friend@example.com', 'both'), "and the inviter's has the new user");
}
