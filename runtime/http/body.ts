/**
 * Reading a request body whole before the handler runs, never more than the limit:
 * a declared Content-Length over it is refused before reading, a chunked body is cut off
 * as soon as it passes it.
 */
import type { IncomingMessage } from 'node:http';

export const TOO_LARGE = Symbol('too large');
/** The client went away before its whole body arrived: nothing to answer, and not a server error. */
export const ABORTED = Symbol('aborted');

/** True when Content-Length alone already says the body is over `limit`. */
export function declaredTooLarge(req: IncomingMessage, limit: number): boolean {
  const declared = req.headers['content-length'];
  return declared !== undefined && Number(declared) > limit;
}

/** The body, TOO_LARGE once more than `limit` bytes arrived (the rest is left unread), or ABORTED. */
export function readBody(req: IncomingMessage, limit: number): Promise<Buffer | typeof TOO_LARGE | typeof ABORTED> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = () => {
      req.off('data', onData).off('end', onEnd).off('error', onError).off('aborted', onAborted);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        done();
        req.pause();
        resolve(TOO_LARGE);
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => {
      done();
      resolve(Buffer.concat(chunks, size));
    };
    const onError = (err: Error) => {
      done();
      reject(err);
    };
    const onAborted = () => {
      done();
      resolve(ABORTED);
    };
    req.on('data', onData).on('end', onEnd).on('error', onError).on('aborted', onAborted);
  });
}
