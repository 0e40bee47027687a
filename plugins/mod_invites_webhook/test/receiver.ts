/**
 * A webhook receiver for the tests: a real HTTP server on a free loopback port that records
 * what it gets, checks signatures as a receiver should, and can fail (500), go away (nothing
 * listens on its port) and come back on the same port.
 */
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { verifySignature } from '../sign.js';

export interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  /** Signature and timestamp checked against the host's clock. */
  verified: boolean;
}

export class Receiver {
  /** Answer 500 instead of 204. */
  failing = false;
  /** Requests answered 2xx. */
  readonly deliveries: Received[] = [];
  /** Every request that arrived, failed or not. */
  attempts = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #waiting: { count: number; resolve: () => void }[] = [];
  #port = 0;

  private constructor(
    readonly secret: string,
    readonly now: () => number,
  ) {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.attempts++;
        const body = Buffer.concat(chunks).toString('utf8');
        if (this.failing) {
          res.writeHead(500).end();
          return;
        }
        const sig = req.headers['x-canto-signature'];
        const ts = req.headers['x-canto-timestamp'];
        this.deliveries.push({ headers: req.headers, body, verified: verifySignature(this.secret, String(sig), String(ts), body, this.now()) });
        res.writeHead(204).end();
        for (const w of this.#waiting.filter((w) => this.deliveries.length >= w.count)) {
          this.#waiting.splice(this.#waiting.indexOf(w), 1);
          w.resolve();
        }
      });
    });
    this.#server.on('connection', (socket: Socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  static async start(secret: string, now: () => number): Promise<Receiver> {
    const receiver = new Receiver(secret, now);
    await receiver.comeBack();
    return receiver;
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}/hook`;
  }

  /** Resolves once `count` deliveries have arrived in all. */
  delivered(count: number): Promise<void> {
    if (this.deliveries.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiting.push({ count, resolve }));
  }

  /** The events received, in order. */
  get events(): string[] {
    return this.deliveries.map((d) => (JSON.parse(d.body) as { event: string }).event);
  }

  get ids(): string[] {
    return this.deliveries.map((d) => (JSON.parse(d.body) as { id: string }).id);
  }

  /** Stop listening and cut open connections: the port refuses connections. */
  goAway(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    return new Promise((resolve) => this.#server.close(() => resolve()));
  }

  /** Listen again, on the same port once it had one. */
  comeBack(): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(this.#port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }
}
