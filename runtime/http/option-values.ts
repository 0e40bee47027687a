/**
 * Reading the raw HTTP options (JS forms of Lua values) strictly: the same conversions as every
 * module option (runtime/options.ts, Prosody's get_option_*), but a value that cannot be read
 * stops the server with an error naming the option, since a listener cannot start on a guess.
 */
import { isIP } from 'node:net';
import { CantoError } from '../errors.js';
import { toArrayOption, toBooleanOption, toNumberOption } from '../options.js';

export { isTable } from '../options.js';

const invalid = (name: string, detail: string) => new CantoError('ERR_OPTION_INVALID', [name, detail], { option: name });

/** A list option as strings; `undefined` when unset. */
export function optionList(name: string, value: unknown): string[] | undefined {
  if (Array.isArray(value) && value.some((v) => typeof v === 'object' && v !== null)) throw invalid(name, 'must be a list of strings');
  return toArrayOption(value);
}

/** A number option; numeric strings accepted. */
export function optionNumber(name: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const n = toNumberOption(value);
  if (n === undefined || !Number.isFinite(n)) throw invalid(name, 'must be a number');
  return n;
}

/** A boolean option: true/"true"/1 and false/"false"/0, as Prosody. */
export function optionBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  const b = toBooleanOption(value);
  if (b === undefined) throw invalid(name, 'must be true or false');
  return b;
}

/** A list of TCP ports (0 = the OS picks). */
export function optionPorts(name: string, value: unknown, fallback: number[]): number[] {
  const list = optionList(name, value);
  if (list === undefined) return fallback;
  return list.map((item) => {
    const port = Number(item);
    if (!Number.isInteger(port) || port < 0 || port > 65535 || item.trim() === '') throw invalid(name, `has '${item}', which is not a port number`);
    return port;
  });
}

const HOST_NAME = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/i;

/** A list of interfaces: `*` (all IPv4), `::` (all IPv6), IP addresses or names such as `localhost`, as Prosody's portmanager binds them. */
export function optionInterfaces(name: string, value: unknown): string[] | undefined {
  const list = optionList(name, value);
  for (const item of list ?? []) {
    const iface = item.trim();
    if (iface !== '*' && iface !== '::' && isIP(iface) === 0 && !HOST_NAME.test(iface)) throw invalid(name, `has '${item}', which is not an IP address, '*' or '::'`);
  }
  return list;
}
