/**
 * Random ids as Prosody's util.id makes them: random bytes, base64url, no padding.
 * 18 bytes give the 24-character invite tokens (`id.medium()`).
 */
import { createRequire } from 'node:module';

interface Sodium {
  randombytes_buf(buffer: Buffer): void;
}

// sodium-native ships no type declarations; this is the one function we use.
const sodium = createRequire(import.meta.url)('sodium-native') as Sodium;

export function randomId(bytes: number): string {
  const buffer = Buffer.alloc(bytes);
  sodium.randombytes_buf(buffer);
  return buffer.toString('base64url');
}
