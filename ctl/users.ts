/**
 * prosodyctl's account commands: `adduser JID`, `passwd JID`, `deluser JID`, with its messages
 * (/usr/bin/prosodyctl, util/prosodyctl.lua). The password is read from the terminal or stdin.
 */
import { nodeprep } from '../runtime/accounts/stringprep.js';
import type { Accounts } from '../runtime/accounts/accounts.js';
import { errorText, isCantoError } from '../runtime/errors.js';
import type { Runtime } from '../runtime/runtime.js';
import type { CtlIo } from './run.js';
import { readPassword, type PasswordInput } from './password-prompt.js';

export type UserCommand = 'adduser' | 'passwd' | 'deluser';

const SPEC: Record<UserCommand, { description: string; what: string }> = {
  adduser: { description: 'Create the specified user account in Prosody', what: 'you want to create' },
  passwd: { description: 'Set the password for the specified user account in Prosody', what: 'you want to set the password for' },
  deluser: { description: 'Permanently remove the specified user account from Prosody', what: 'to the user account you want to delete' },
};


/** util.jid.prepped_split: `[user, host]`, with a part undefined when missing or invalid. */
function preppedSplit(jid: string): [string | undefined, string | undefined] {
  const m = /^(?:([^@/]+)@)?([^@/]+)(?:\/.*)?$/su.exec(jid);
  if (!m) return [undefined, undefined];
  const host = m[2]!.normalize('NFKC').toLowerCase().replace(/\.$/, '');
  if (!/^[^\s"&'/:<>@]+$/u.test(host)) return [undefined, undefined];
  if (m[1] === undefined) return [undefined, host];
  const user = nodeprep(m[1]);
  return user === undefined ? [undefined, undefined] : [user, host];
}

export interface UserCommandIo extends CtlIo {
  /** Raw stdout (prompts end without a newline). */
  write(text: string): void;
  /** Raw stderr. */
  writeErr(text: string): void;
  /** Where the password is typed or piped. */
  stdin: PasswordInput;
}

export async function userCommand(command: UserCommand, words: string[], loadRuntime: () => Runtime, io: UserCommandIo): Promise<number> {
  const { description, what } = SPEC[command];
  const usage = `Usage: ctl ${command} JID\n ${description}\n`;
  if (words.includes('--help') || words.includes('-h')) {
    io.write(usage);
    return 0;
  }
  // COMPAT: prosodyctl prints usage on stdout and exits 1; misuse is usage on stderr, exit 2 here.
  if (words.length !== 1) io.usage(words.length ? `unexpected argument '${words[1]}'` : 'missing JID', usage);
  const [user, hostName] = preppedSplit(words[0]!);
  if (!user && hostName) {
    io.err(`Failed to understand JID, please supply the JID ${what}`);
    io.writeErr(`Usage: ctl ${command} user@host\n`);
    return 1;
  }
  if (!user || !hostName) {
    io.err('Please specify a JID, including a host. e.g. alice@example.com');
    return 1;
  }
  const runtime = loadRuntime();
  try {
    let host = runtime.host(hostName);
    if (!host) {
      io.err(`The host '${hostName}' is not listed in the configuration file (or is not enabled).`);
      if (command !== 'deluser') io.err('The user will not be able to log in until this is changed.');
      host = runtime.unlistedHost(hostName);
    }
    const accounts: Accounts = host.accounts();
    const exists = await accounts.exists(user);
    if (command === 'adduser' && exists) {
      io.err('That user already exists');
      return 1;
    }
    if (command === 'passwd' && !exists) {
      io.err('That user does not exist, use prosodyctl adduser to create a new user');
      return 1;
    }
    if (command === 'deluser') {
      if (!exists || !(await accounts.delete(user))) {
        io.err('That user does not exist on this server');
        return 1;
      }
      return 0;
    }
    const password = await readPassword(io.stdin, io.write);
    if (password === null) return 1;
    // COMPAT: prosodyctl creates an account with an empty password; that is refused here.
    if (password === '') {
      io.err('No password was supplied');
      return 1;
    }
    const ok = command === 'adduser' ? await accounts.create(user, password) : await accounts.setPassword(user, password);
    if (!ok) {
      io.err(command === 'adduser' ? 'That user already exists' : 'The given user does not exist on the server');
      return 1;
    }
    return 0;
  } catch (e) {
    io.err(isCantoError(e) && e.code !== 'ERR_AUTH_PROVIDER' ? errorText(e) : `Error: ${errorText(e)}`);
    return 1;
  } finally {
    await runtime.shutdown();
  }
}
