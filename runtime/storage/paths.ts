/**
 * Where Prosody's internal storage keeps each store (util/datamanager.lua `getpath`), so Canto
 * and a real Prosody read and write the same files.
 */
import { join } from 'node:path';
import type { StoreUser } from './types.js';

const ALNUM = /^[A-Za-z0-9]*$/;
const ALNUM_UNDERSCORE = /^[A-Za-z0-9_]*$/;

function percentEncode(s: string, keep: (byte: number) => boolean): string {
  let out = '';
  for (const b of Buffer.from(s, 'utf8')) {
    out += keep(b) ? String.fromCharCode(b) : '%' + b.toString(16).padStart(2, '0');
  }
  return out;
}

function isAlnum(b: number): boolean {
  return (b >= 48 && b <= 57) || (b >= 65 && b <= 90) || (b >= 97 && b <= 122);
}

/** Host and user names: every byte that is not an ASCII letter or digit becomes lower-case `%xx`. */
export function encode(s: string): string {
  return ALNUM.test(s) ? s : percentEncode(s, isAlnum);
}

/** Store names: like `encode`, but `_` is kept (stores were historically unencoded). */
export function storeEncode(s: string): string {
  return ALNUM_UNDERSCORE.test(s) ? s : percentEncode(s, (b) => b === 95 || isAlnum(b));
}

/** The inverse of both encoders; accepts either hex case, as Prosody does. */
export function decode(s: string): string {
  if (!s.includes('%')) return s;
  const bytes: number[] = [];
  for (let i = 0; i < s.length; i++) {
    const hex = s.slice(i + 1, i + 3);
    if (s[i] === '%' && /^[0-9a-fA-F]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      for (const b of Buffer.from(s[i]!, 'utf8')) bytes.push(b);
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/** `<data_path>/<enc(host)>`; a null host is Prosody's `_global`. */
export function hostDir(dataPath: string, host: string | null): string {
  return join(dataPath, host === null ? '_global' : encode(host));
}

/** The folder of per-user files of one store: `<data_path>/<enc(host)>/<store_enc(store)>`. */
export function storeDir(dataPath: string, host: string | null, store: string): string {
  return join(hostDir(dataPath, host), storeEncode(store));
}

/**
 * The file of one (host, store, user): `<host>/<store>.dat` for host-level data (user null),
 * `<host>/<store>/<user>.dat` for a user.
 */
export function dataFile(dataPath: string, host: string | null, store: string, user: StoreUser, ext = 'dat'): string {
  return user === null
    ? join(hostDir(dataPath, host), `${storeEncode(store)}.${ext}`)
    : join(storeDir(dataPath, host, store), `${encode(user)}.${ext}`);
}
