/**
 * The real Prosody 0.12 beside Canto in the tests: started on a config of the test's own, on
 * ports the OS picked, stopped at teardown; and a small XMPP client (c2s, SASL PLAIN, bind) to
 * log in to it and read stanzas.
 */
import { spawn } from 'node:child_process';
import { connect, createServer, type Socket } from 'node:net';

export const PROSODY = '/usr/bin/prosody';

type Test = { teardown(fn: () => unknown): void };

/** A port nobody listens on now (the OS picks it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Start Prosody on `config`; resolves once `ready` shows in its log. Killed at teardown. */
/**
 * The real Prosody's config for a test: the lines it shares with Canto (data_path, storage, ...),
 * console logging, plain c2s on `c2sPort` of loopback (no TLS, PLAIN allowed), no s2s, these
 * modules, one VirtualHost example.com.
 */
export function c2sConfig(shared: readonly string[], c2sPort: number, modules: readonly string[]): string {
  return [
    ...shared,
    'log = { { levels = { min = "info" }, to = "console" } }',
    `c2s_ports = { ${c2sPort} }`,
    'c2s_interfaces = { "127.0.0.1" }',
    's2s_ports = { }',
    'c2s_require_encryption = false',
    'allow_unencrypted_plain_auth = true',
    `modules_enabled = { ${modules.map((m) => JSON.stringify(m)).join(', ')} }`,
    'VirtualHost "example.com"',
    '',
  ].join('\n');
}

export async function startProsody(t: Test, config: string, cwd: string, ready = "Activated service 'c2s'"): Promise<{ log(): string }> {
  const prosody = spawn(PROSODY, ['--config', config], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = new Promise((resolve) => prosody.on('exit', resolve));
  t.teardown(async () => {
    prosody.kill('SIGKILL');
    await exited;
  });
  await new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      log += d.toString();
      if (log.includes(ready)) resolve();
    };
    prosody.stdout.on('data', onData);
    prosody.stderr.on('data', onData);
    prosody.on('exit', (code) => reject(new Error(`prosody exited with ${code}: ${log}`)));
  });
  return { log: () => log };
}

const STREAM = (host: string) => `<?xml version='1.0'?><stream:stream to='${host}' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>`;

/** One c2s connection; `waitFor` reads what the server sent, in order. */
export class XmppClient {
  readonly #socket: Socket;
  #data = '';
  #cursor = 0;
  #wake: (() => void) | undefined;
  #closed: Error | undefined;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.#data += chunk;
      this.#wake?.();
    });
    const close = (err?: Error) => {
      this.#closed = err ?? new Error('the server closed the stream');
      this.#wake?.();
    };
    socket.on('error', close);
    socket.on('close', () => close());
  }

  /**
   * Log in with SASL PLAIN on a plain c2s port; 'failure' when Prosody refuses the password.
   * With `bind`, the stream is restarted and a resource bound, so the session is online.
   */
  static async login(port: number, host: string, user: string, password: string, opts: { bind?: boolean } = {}): Promise<XmppClient | 'failure'> {
    const socket = connect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const client = new XmppClient(socket);
    client.send(STREAM(host));
    await client.waitFor(/<\/stream:features>/);
    client.send(`<auth xmlns='urn:ietf:params:xml:ns:xmpp-sasl' mechanism='PLAIN'>${Buffer.from(`\0${user}\0${password}`).toString('base64')}</auth>`);
    const outcome = await client.waitFor(/<(success|failure)[\s>/]/);
    if (outcome[1] === 'failure' || !opts.bind) {
      client.close();
      return outcome[1] === 'failure' ? 'failure' : client;
    }
    client.send(STREAM(host));
    await client.waitFor(/<\/stream:features>/);
    await client.iq(`<iq type='set' id='bind'><bind xmlns='urn:ietf:params:xml:ns:xmpp-bind'><resource>test</resource></bind></iq>`, 'bind');
    return client;
  }

  send(xml: string): void {
    this.#socket.write(xml);
  }

  /** Send an iq and wait for the answer with the same id. */
  iq(xml: string, id: string): Promise<string> {
    this.send(xml);
    return this.waitFor(new RegExp(`<iq(?=[^>]*\\sid=['"]${id}['"])[^>]*(?:/>|>[\\s\\S]*?</iq>)`)).then((m) => m[0]);
  }

  /** The next match of `pattern` after what earlier calls consumed. */
  async waitFor(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpExecArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const rest = this.#data.slice(this.#cursor);
      const m = pattern.exec(rest);
      if (m) {
        this.#cursor += m.index + m[0].length;
        return m;
      }
      if (this.#closed) throw new Error(`${this.#closed.message} before ${pattern}: ${rest}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${pattern} from the server in ${timeoutMs} ms: ${rest}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  close(): void {
    this.#socket.end('</stream:stream>');
  }
}

/** An `<item>` of a roster result or push, for `jid` with `subscription`. */
export const rosterItem = (jid: string, subscription: string) =>
  new RegExp(`<item(?=[^>]*\\sjid=['"]${jid.replace(/\./g, '\\.')}['"])(?=[^>]*\\ssubscription=['"]${subscription}['"])[^>]*>`);
