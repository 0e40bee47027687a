/**
 * The control socket: how `ctl status` and `ctl reload` talk to the running server. A Unix
 * socket `canto.sock` in the data folder (Prosody's own admin socket there is `prosody.sock`),
 * so only the data's owner, its group and root can reach it (folder 0750, socket 0660 under
 * the server's umask). One JSON request line, one JSON answer line.
 */
import { chmodSync, closeSync, mkdirSync, openSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { CantoError } from './errors.js';

export const CONTROL_SOCKET = 'canto.sock';

export type ControlRequest = { command: 'status' } | { command: 'reload' };
export type ControlHandler = (request: ControlRequest) => Promise<unknown>;

/**
 * A Unix socket path is limited to 107 bytes; a long data path is reached through an open
 * descriptor of its folder, kept open until `release` (once the socket is bound or connected).
 */
function shortPath(dataPath: string): { path: string; release(): void } {
  const full = join(dataPath, CONTROL_SOCKET);
  if (Buffer.byteLength(full) < 100) return { path: full, release: () => {} };
  const fd = openSync(dataPath, 'r');
  let open = true;
  return {
    path: `/proc/self/fd/${fd}/${CONTROL_SOCKET}`,
    release: () => {
      if (open) closeSync(fd);
      open = false;
    },
  };
}

/** Send one request; `null` when no server listens there. */
export function controlRequest(dataPath: string, request: ControlRequest): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let target: { path: string; release(): void };
    try {
      target = shortPath(dataPath);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return resolve(null);
      return reject(err);
    }
    const socket = connect(target.path, () => target.release());
    socket.once('close', () => target.release());
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => (data += chunk));
    socket.on('end', () => {
      try {
        resolve(JSON.parse(data));
      } catch {
        reject(new Error('the server sent an unreadable answer'));
      }
    });
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') resolve(null);
      else reject(err);
    });
    socket.end(JSON.stringify(request) + '\n');
  });
}

/**
 * Listen on the data folder's control socket. A socket another live server answers on is
 * refused (two servers on one data folder); a stale one, left by a killed server, is replaced.
 */
export async function listenControl(dataPath: string, handler: ControlHandler): Promise<Server> {
  const path = join(dataPath, CONTROL_SOCKET);
  mkdirSync(dataPath, { recursive: true, mode: 0o750 });
  const other = await controlRequest(dataPath, { command: 'status' }).catch(() => null);
  if (other !== null) throw new CantoError('ERR_CONTROL_IN_USE', [path, (other as { pid?: unknown }).pid ?? '?']);
  try {
    unlinkSync(path);
  } catch {
    // No stale socket.
  }
  // Half-open: the client ends its side after the request and still reads the answer.
  const server = createServer({ allowHalfOpen: true }, (socket) => {
    let line = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      line += chunk;
      if (line.length > 4096) socket.destroy();
    });
    socket.on('end', () => {
      let request: ControlRequest;
      try {
        request = JSON.parse(line) as ControlRequest;
      } catch {
        socket.end(JSON.stringify({ error: 'bad request' }) + '\n');
        return;
      }
      handler(request).then(
        (answer) => socket.end(JSON.stringify(answer) + '\n'),
        (err: unknown) => socket.end(JSON.stringify({ error: err instanceof Error ? err.message : String(err) }) + '\n'),
      );
    });
    socket.on('error', () => socket.destroy());
  });
  const target = shortPath(dataPath);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(target.path, () => resolve());
    });
    chmodSync(target.path, 0o660); // the data's group may ask too
  } finally {
    target.release();
  }
  server.unref();
  return server;
}

/** Stop listening and remove the socket. */
export function closeControl(server: Server, dataPath: string): void {
  server.close();
  try {
    unlinkSync(join(dataPath, CONTROL_SOCKET));
  } catch {
    // Already gone.
  }
}
