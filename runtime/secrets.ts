/**
 * Secrets for modules, from sodium-native (Prosody's util.id and util.hashes, made safe):
 * random ids, a digest to store instead of a secret, and a constant-time comparison.
 * sodium-native is loaded on first use, so ctl commands that need no secret do not pay for it.
 */
import { createRequire } from 'node:module';

interface Sodium {
  randombytes_buf(buffer: Buffer): void;
  crypto_generichash(output: Buffer, input: Buffer): void;
  sodium_memcmp(a: Buffer, b: Buffer): boolean;
  crypto_generichash_BYTES: number;
}

let loaded: Sodium | undefined;
// sodium-native ships no type declarations; these are the functions we use.
const sodium = (): Sodium => (loaded ??= createRequire(import.meta.url)('sodium-native') as Sodium);

/**
 * `bytes` random bytes as base64url without padding, as Prosody's util.id: 9 bytes give
 * `id.short()` (12 characters), 18 `id.medium()` (24), 27 `id.long()` (36).
 */
export function randomId(bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  sodium().randombytes_buf(buffer);
  return buffer.toString('base64url');
}

/** BLAKE2b-256 of the text (crypto_generichash), for storing a high-entropy secret instead of itself. */
export function secretDigest(text: string): Buffer {
  const output = Buffer.alloc(sodium().crypto_generichash_BYTES);
  sodium().crypto_generichash(output, Buffer.from(text, 'utf8'));
  return output;
}

/** Constant-time equality of two buffers of the same length; false when the lengths differ. */
export function secretEquals(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && sodium().sodium_memcmp(a, b);
}

/** A random (version 4) UUID, as Prosody's util.uuid.generate: the salt of a SCRAM record. */
export function randomUuid(): string {
  const b = Buffer.alloc(16);
  sodium().randombytes_buf(b);
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
