/**
 * The HTTP server's settings from the global config, with Prosody's defaults
 * (core/portmanager.lua for ports and interfaces, mod_http for the rest).
 */
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
  /** Default ['127.0.0.1', '::1'], CIDR allowed. */
  trustedProxies: string[];
  /** null = no https listeners. */
  tls: TlsConfig | null;
}

export const DEFAULT_MAX_CONTENT_SIZE = 10 * 1024 * 1024;

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
    trustedProxies,
    tls: httpsPorts.length === 0 ? null : resolveTls(option, ctx, httpsPorts),
  };
}
