/**
 * Two connected in-memory streams: what one end writes, the other reads. The test kit hands
 * one end to the HTTP server as a connection and the other to node's HTTP client, so an
 * injected request goes through the real parser and responses without a socket.
 */
import { Duplex } from 'node:stream';

export class StreamEnd extends Duplex {
  peer: StreamEnd | undefined;
  /** What `req.socket.remoteAddress` says on the server side. */
  remoteAddress: string | undefined;
  encrypted: boolean | undefined;

  override _read(): void {}

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.peer?.push(chunk);
    callback();
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.peer?.push(null);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    // A closed connection is closed at both ends, as a socket's.
    if (this.peer && !this.peer.destroyed) this.peer.destroy();
    callback(error);
  }

  // The socket methods node's HTTP server and client call; nothing to tune in memory.
  setTimeout(): this {
    return this;
  }
  setNoDelay(): this {
    return this;
  }
  setKeepAlive(): this {
    return this;
  }
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }
}

export function duplexPair(): [StreamEnd, StreamEnd] {
  const a = new StreamEnd();
  const b = new StreamEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}
