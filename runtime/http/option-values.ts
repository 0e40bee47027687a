/**
 * Reading raw config values (JS forms of Lua values) the way Prosody's get_option_* helpers
 * do: a list may be an array, a single scalar, or a set-like table `{ x = true }`; numbers may
 * arrive as numeric strings in sloppy configs.
 */
import { CantoError } from '../errors.js';

/** A list option as strings; `undefined` when unset. */
export function optionList(name: string, value: unknown): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (Array.isArray(value)) return value.map((v) => scalar(name, v));
  if (typeof value === 'object') {
    // A Lua set `{ ["x"] = true }`: keys whose value is true-ish.
    return Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== false && v !== 0 && v !== 'false')
      .map(([k]) => k);
  }
  return [scalar(name, value)];
}

function scalar(name: string, value: unknown): string {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new CantoError('ERR_OPTION_INVALID', [name, 'expected a list of strings']);
}

/** A number option; numeric strings accepted. */
export function optionNumber(name: string, value: unknown, fallback: number): number {
  if (value === undefined || value === null) return fallback;
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) throw new CantoError('ERR_OPTION_INVALID', [name, 'expected a number']);
  return n;
}

/** A boolean option: true/"true"/1 and false/"false"/0, as Prosody. */
export function optionBoolean(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (value === true || value === 'true' || value === 1 || value === '1') return true;
  if (value === false || value === 'false' || value === 0 || value === '0') return false;
  throw new CantoError('ERR_OPTION_INVALID', [name, 'expected true or false']);
}

/** A list of TCP ports (0 = the OS picks). */
export function optionPorts(name: string, value: unknown, fallback: number[]): number[] {
  const list = optionList(name, value);
  if (list === undefined) return fallback;
  return list.map((item) => {
    const port = Number(item);
    if (!Number.isInteger(port) || port < 0 || port > 65535 || item.trim() === '') {
      throw new CantoError('ERR_OPTION_INVALID', [name, `'${item}' is not a port number`]);
    }
    return port;
  });
}

export function isTable(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
