/**
 * The client's address and scheme behind reverse proxies (mod_http's get_forwarded_connection_info):
 * X-Forwarded-For and X-Forwarded-Proto count only when the peer is in `trusted_proxies`.
 */
import { BlockList, isIP } from 'node:net';
import { CantoError } from '../errors.js';

/** How many addresses an AddressList remembers its answer for. */
const KNOWN_MAX = 4096;

/** A set of addresses and CIDR ranges (Prosody's util.ip match), as an option gives them. */
export class AddressList {
  readonly #list = new BlockList();
  /** Answers already worked out: a client sends many requests from one address. */
  readonly #known = new Map<string, boolean>();

  /** Addresses or CIDR ranges (`10.0.0.0/8`, `fd00::/8`); a bad entry is an error naming `option`. */
  constructor(entries: readonly string[], option = 'trusted_proxies') {
    for (const entry of entries) {
      const [addr = '', bits] = entry.trim().split('/');
      const family = isIP(addr);
      const prefix = bits === undefined ? (family === 6 ? 128 : 32) : Number(bits);
      if (family === 0 || !Number.isInteger(prefix) || prefix < 0 || prefix > (family === 6 ? 128 : 32)) {
        throw new CantoError('ERR_OPTION_INVALID', [option, `has '${entry}', which is not an address or CIDR range`], { option });
      }
      this.#list.addSubnet(addr, prefix, family === 6 ? 'ipv6' : 'ipv4');
    }
  }

  has(address: string): boolean {
    let found = this.#known.get(address);
    if (found === undefined) {
      const family = isIP(address);
      found = family !== 0 && this.#list.check(address, family === 6 ? 'ipv6' : 'ipv4');
      if (this.#known.size >= KNOWN_MAX) this.#known.clear(); // bounded, whatever the addresses
      this.#known.set(address, found);
    }
    return found;
  }
}

/** `trusted_proxies`: whose X-Forwarded-* headers are believed. */
export class TrustedProxies extends AddressList {}

/** `::ffff:1.2.3.4` (a v4 client on a dual-stack socket) as plain `1.2.3.4`. */
export function plainAddress(address: string | undefined): string {
  if (!address) return '';
  const m = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  return m ? m[1]! : address;
}

/**
 * From a trusted peer: the last X-Forwarded-For entry that is not itself a trusted proxy, and
 * `secure` if X-Forwarded-Proto says https. From any other peer the headers are ignored.
 */
export function forwardedInfo(
  proxies: TrustedProxies,
  peer: string,
  tls: boolean,
  forwardedFor: string | string[] | undefined,
  forwardedProto: string | string[] | undefined,
): { ip: string; secure: boolean } {
  if (!proxies.has(peer)) return { ip: peer, secure: tls };
  let ip = peer;
  const chain = [forwardedFor].flat().join(',').split(',').map((s) => plainAddress(s.trim()));
  for (const hop of chain) {
    // COMPAT: Prosody takes any token here; we take only real addresses.
    if (isIP(hop) !== 0 && !proxies.has(hop)) ip = hop;
  }
  const proto = [forwardedProto].flat().join(',').split(',')[0]?.trim().toLowerCase();
  return { ip, secure: tls || proto === 'https' };
}
