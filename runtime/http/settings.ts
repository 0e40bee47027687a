/**
 * The HTTP server's settings from the global config, with Prosody's defaults
 * (core/portmanager.lua for ports and interfaces, mod_http for the rest).
 */
import { CantoError } from '../errors.js';
import type { Logger } from '../log.js';
import { resolveTls, type TlsConfig } from './certificates.js';
import { optionInterfaces, optionList, optionNumber, optionPorts } from './option-values.js';
import { TrustedProxies } from './proxy.js';

export interface HttpSettings {
  /** Default [5280]; 0 = the OS picks. */
  httpPorts: number[];
  /** Default ['127.0.0.1', '::1']: loopback only, as Prosody (the http service is private). */
  httpInterfaces: string[];
  /** Default [5281]. */
  httpsPorts: number[];
  /** Default ['*', '::']: all interfaces. */
  httpsInterfaces: string[];
  /** http_default_host: answers requests whose Host no app is mounted for. */
  defaultHost?: string;
  /** http_max_content_size, default 10 MiB. */
  maxContentSize: number;
  /** http_max_connections: connections at once over all listeners, default 1000. */
  maxConnections: number;
  /** http_max_connections_per_ip: connections at once from one address (trusted proxies exempt), default 50. */
  maxConnectionsPerIp: number;
  /** http_keepalive_timeout: seconds an idle kept-alive connection stays open, default 20. */
  keepaliveTimeout: number;
  /** http_header_timeout: seconds a client has to send a whole request head, default 10. */
  headerTimeout: number;
  /** Default ['127.0.0.1', '::1'], CIDR allowed. */
  trustedProxies: string[];
  /** null = no https listeners. */
  tls: TlsConfig | null;
}

export const DEFAULT_MAX_CONTENT_SIZE = 10 * 1024 * 1024;

// COMPAT: Prosody 0.12 closes any silent connection after net.server's read_timeout (840 s) and
// has no separate keep-alive or header timeout; an idle keep-alive connection here costs a
// descriptor that a new client may need, so both are short (the header one as nginx's
// client_header_timeout order of magnitude, the idle one as Prosody's 20 s connect_timeout).
export const DEFAULT_MAX_CONNECTIONS = 1000;
export const DEFAULT_MAX_CONNECTIONS_PER_IP = 50;
export const DEFAULT_KEEPALIVE_TIMEOUT_S = 20;
export const DEFAULT_HEADER_TIMEOUT_S = 10;

/** A whole number of at least `min`. */
function positive(name: string, value: unknown, fallback: number, min = 1): number {
  const n = optionNumber(name, value, fallback);
  if (n < min || !Number.isInteger(n)) throw new CantoError('ERR_OPTION_INVALID', [name, `must be a whole number of at least ${min}`], { option: name });
  return n;
}

export async function httpSettingsFromOptions(
  option: (name: string) => unknown,
  ctx: { configDir: string; dataPath: string; hosts: string[]; log: Logger; writeCertificates?: boolean },
): Promise<HttpSettings> {
  const list = (name: string) => optionList(name, option(name));
  const httpsPorts = optionPorts('https_ports', option('https_ports'), [5281]);
  const trustedProxies = list('trusted_proxies') ?? ['127.0.0.1', '::1'];
  new TrustedProxies(trustedProxies); // a bad entry fails at start, not at the first request
  const maxContentSize = optionNumber('http_max_content_size', option('http_max_content_size'), DEFAULT_MAX_CONTENT_SIZE);
  const defaultHost = option('http_default_host');
  return {
    httpPorts: optionPorts('http_ports', option('http_ports'), [5280]),
    httpInterfaces: optionInterfaces('http_interfaces', option('http_interfaces')) ?? optionInterfaces('local_interfaces', option('local_interfaces')) ?? ['127.0.0.1', '::1'],
    httpsPorts,
    httpsInterfaces: optionInterfaces('https_interfaces', option('https_interfaces')) ?? optionInterfaces('interfaces', option('interfaces')) ?? ['*', '::'],
    ...(typeof defaultHost === 'string' && defaultHost !== '' ? { defaultHost: defaultHost.toLowerCase() } : {}),
    maxContentSize,
    maxConnections: positive('http_max_connections', option('http_max_connections'), DEFAULT_MAX_CONNECTIONS),
    maxConnectionsPerIp: positive('http_max_connections_per_ip', option('http_max_connections_per_ip'), DEFAULT_MAX_CONNECTIONS_PER_IP),
    keepaliveTimeout: positive('http_keepalive_timeout', option('http_keepalive_timeout'), DEFAULT_KEEPALIVE_TIMEOUT_S),
    headerTimeout: positive('http_header_timeout', option('http_header_timeout'), DEFAULT_HEADER_TIMEOUT_S),
    trustedProxies,
    tls: httpsPorts.length === 0 ? null : resolveTls(option, ctx, httpsPorts),
  };
}
