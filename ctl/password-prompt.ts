/**
 * Prosody's util.human.io `read_password`: "Enter new password: ", "Retype new password: ",
 * "Passwords did not match, try again? [Y/n]". On a terminal nothing is echoed; otherwise lines
 * are read from stdin, so `printf 'pw\npw\n' | ctl adduser alice@example.com` works. The password
 * never comes from argv.
 */
import type { Readable } from 'node:stream';

/** Where the password comes from: a terminal (raw mode, no echo) or any stream of lines. */
export type PasswordInput = Readable & { isTTY?: boolean; setRawMode?(raw: boolean): unknown };

/** Reads lines from stdin, one at a time; null at end of input. */
class LineReader {
  #buffer = '';
  #ended = false;
  #waiting: (() => void) | null = null;
  readonly #stdin: PasswordInput;

  constructor(stdin: PasswordInput) {
    this.#stdin = stdin;
    stdin.setEncoding('utf8');
    stdin.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#wake();
    });
    stdin.on('end', () => {
      this.#ended = true;
      this.#wake();
    });
    stdin.pause();
  }

  #wake(): void {
    const w = this.#waiting;
    this.#waiting = null;
    w?.();
  }

  /** One line; on a terminal in raw mode, typed characters are collected without echo. */
  async line(): Promise<string | null> {
    const stdin = this.#stdin;
    stdin.resume();
    try {
      for (;;) {
        const raw = stdin.isTTY === true;
        const cut = raw ? this.#buffer.search(/[\r\n\u0003\u0004]/) : this.#buffer.indexOf('\n');
        if (cut >= 0) {
          const ch = this.#buffer[cut];
          const line = this.#buffer.slice(0, cut);
          this.#buffer = this.#buffer.slice(cut + 1);
          if (ch === '\u0003' || (ch === '\u0004' && line === '')) return null;
          return raw ? line.replace(/[^\u0008\u007F]?[\u0008\u007F]/g, '') : line.replace(/\r$/, '');
        }
        if (this.#ended) {
          const rest = this.#buffer;
          this.#buffer = '';
          return rest === '' ? null : rest;
        }
        await new Promise<void>((resolve) => (this.#waiting = resolve));
      }
    } finally {
      stdin.pause();
    }
  }
}

/** The new password, typed twice; null when cancelled (end of input, or no retry). Prompts go to `write`. */
export async function readPassword(stdin: PasswordInput, write: (text: string) => void): Promise<string | null> {
  const reader = new LineReader(stdin);
  const hidden = async (): Promise<string | null> => {
    const tty = stdin.isTTY === true && stdin.setRawMode !== undefined;
    if (tty) stdin.setRawMode!(true);
    try {
      return await reader.line();
    } finally {
      if (tty) stdin.setRawMode!(false);
      write('\n');
    }
  };
  for (;;) {
    write('Enter new password: ');
    const password = await hidden();
    if (password === null) {
      write('No password - cancelled\n');
      return null;
    }
    write('Retype new password: ');
    if ((await hidden()) === password) return password;
    write('Passwords did not match, try again? [Y/n] ');
    const answer = await reader.line();
    write('\n');
    if (answer?.trim().toLowerCase() !== 'y') return null;
  }
}
