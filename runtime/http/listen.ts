/**
 * Binding one service (http or https) on every interface × port, as Prosody's portmanager:
 * `*` is all IPv4, `::` all IPv6 (both together: one dual-stack socket); an IPv6 address
 * the machine lacks is skipped quietly. Port 0 lets the OS pick one port, reused on the
 * service's other interfaces so that one number reaches them all.
 */
import type { Server } from 'node:net';
import { isIP } from 'node:net';
import { CantoError } from '../errors.js';
import type { Logger } from '../log.js';

export interface Listener {
  server: Server;
  address: string;
  port: number;
}

interface Bind {
  host: string;
  ipv6Only: boolean;
  /** Where to go when this IPv6 address is unavailable (dual-stack '::' falls back to IPv4). */
  fallback?: Bind;
}

function binds(interfaces: readonly string[]): Bind[] {
  const set = new Set(interfaces.map((i) => i.trim()));
  const out: Bind[] = [];
  const dual = set.has('*') && set.has('::');
  for (const iface of set) {
    const v4 = { host: '0.0.0.0', ipv6Only: false };
    if (iface === '*') out.push(dual ? { host: '::', ipv6Only: false, fallback: v4 } : v4);
    else if (iface === '::') {
      if (!dual) out.push({ host: '::', ipv6Only: true });
    } else out.push({ host: iface, ipv6Only: false });
  }
  return out;
}

const UNAVAILABLE = new Set(['EADDRNOTAVAIL', 'EAFNOSUPPORT', 'EPROTONOSUPPORT']);

function listenOnce(server: Server, bind: Bind, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen({ host: bind.host, port, ipv6Only: bind.ipv6Only, exclusive: true }, () => {
      server.off('error', onError);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

function describe(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'EADDRINUSE') return 'the port is already in use (EADDRINUSE)';
  if (code === 'EACCES') return 'permission denied; ports below 1024 need privileges (EACCES)';
  if (code === 'EADDRNOTAVAIL') return 'no such local address (EADDRNOTAVAIL)';
  return (err as Error).message ?? String(err);
}

/** One bind; null when it is an IPv6 address this machine lacks. */
async function bindOne(service: string, make: () => Server, bind: Bind, port: number, repick: boolean, log: Logger): Promise<Listener | null> {
  try {
    const server = make();
    return { server, address: bind.host, port: await listenOnce(server, bind, port) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? '';
    // A port the OS picked for another interface may be taken on this one: pick again.
    if (code === 'EADDRINUSE' && repick) return bindOne(service, make, bind, 0, false, log);
    if (isIP(bind.host) === 6 && UNAVAILABLE.has(code)) {
      if (bind.fallback) return bindOne(service, make, bind.fallback, port, repick, log);
      log.debug('No IPv6 address %s here; not listening on it', bind.host);
      return null;
    }
    throw new CantoError('ERR_HTTP_LISTEN', [service, bind.host, port, describe(err)], { cause: err });
  }
}

/** Binds every listener or none: on a failure the ones already bound are closed, then it throws ERR_HTTP_LISTEN. */
export async function listenAll(
  service: 'http' | 'https',
  make: () => Server,
  interfaces: readonly string[],
  ports: readonly number[],
  log: Logger,
): Promise<Listener[]> {
  const bound: Listener[] = [];
  try {
    for (const wanted of ports) {
      let port = wanted; // for port 0: the OS's pick once the first interface is bound
      for (const bind of binds(interfaces)) {
        const got = await bindOne(service, make, bind, port, wanted === 0 && port !== 0, log);
        if (!got) continue;
        if (port === 0) port = got.port;
        bound.push(got);
      }
    }
  } catch (err) {
    await Promise.all(bound.map((l) => new Promise((r) => l.server.close(r))));
    throw err;
  }
  return bound;
}
