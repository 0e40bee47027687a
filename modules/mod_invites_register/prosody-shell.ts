/**
 * A client for the running Prosody's admin socket (mod_admin_socket + mod_admin_shell, what
 * `prosodyctl shell` talks to): one `<repl-input>` line of Lua in Prosody's global environment,
 * and its `<repl-result>`. Through it, changes to rosters go through Prosody's own rostermanager,
 * which keeps online users' rosters in memory and would overwrite a file changed behind its back.
 */
import { connect } from 'node:net';

const OPEN = "<?xml version='1.0'?><stream:stream xmlns:stream='http://etherx.jabber.org/streams' xml:lang='en' xmlns='xmpp:prosody.im/admin' id=''>";

const escapeXml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const unescapeXml = (s: string) =>
  s.replace(/&(lt|gt|quot|apos|amp|#\d+|#x[0-9a-f]+);/gi, (_, e: string) =>
    e === 'lt' ? '<' : e === 'gt' ? '>' : e === 'quot' ? '"' : e === 'apos' ? "'" : e === 'amp' ? '&' : String.fromCodePoint(e[1] === 'x' ? parseInt(e.slice(2), 16) : parseInt(e.slice(1), 10)),
  );

/** A Lua string literal for any text (bytes outside printable ASCII as `\ddd`). */
export function luaString(s: string): string {
  let out = '"';
  for (const b of Buffer.from(s, 'utf8')) out += b >= 0x20 && b < 0x7f && b !== 0x22 && b !== 0x5c ? String.fromCharCode(b) : `\\${b.toString().padStart(3, '0')}`;
  return out + '"';
}

export interface ShellResult {
  ok: boolean;
  text: string;
}

/** Run one line; rejects when the socket cannot be reached (Prosody not running, or no admin socket). */
export function runShellLine(socketPath: string, line: string, timeoutMs = 10_000): Promise<ShellResult> {
  return new Promise((resolve, reject) => {
    const socket = connect(socketPath);
    let data = '';
    const timer = setTimeout(() => socket.destroy(new Error('no answer from the Prosody admin socket')), timeoutMs);
    socket.setEncoding('utf8');
    socket.on('connect', () => socket.write(`${OPEN}<repl-input>${escapeXml(line)}</repl-input>`));
    socket.on('data', (chunk: string) => {
      data += chunk;
      const m = /<repl-result(?:\s+type=['"](\w+)['"])?\s*(?:\/>|>([\s\S]*?)<\/repl-result>)/.exec(data);
      if (!m) return;
      clearTimeout(timer);
      socket.end('</stream:stream>');
      resolve({ ok: m[1] !== 'error', text: unescapeXml(m[2] ?? '') });
    });
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on('close', () => {
      clearTimeout(timer);
      reject(new Error('the Prosody admin socket closed without an answer'));
    });
  });
}

/**
 * mod_invites_register's `subscribe_both` plus its roster push, run inside Prosody: each of the
 * two users is subscribed to the other.
 */
export function subscribeBothLine(host: string, inviter: string, contact: string): string {
  return (
    '>local rm = require "core.rostermanager"; ' +
    'local function sub(h, user, contact) local uj, cj = user .. "@" .. h, contact .. "@" .. h; ' +
    'rm.set_contact_pending_out(user, h, cj); rm.set_contact_pending_in(contact, h, uj); ' +
    'rm.subscribed(contact, h, uj); rm.process_inbound_subscription_approval(user, h, cj); end; ' +
    `local h, a, b = ${luaString(host)}, ${luaString(inviter)}, ${luaString(contact)}; ` +
    'sub(h, a, b); sub(h, b, a); rm.roster_push(a, h, b .. "@" .. h); return "subscribed"'
  );
}
