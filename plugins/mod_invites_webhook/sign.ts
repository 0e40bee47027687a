/**
 * The signature receivers check: `X-Canto-Signature: sha256=<hex>` of HMAC-SHA256 over
 * `<X-Canto-Timestamp>.<body>`. The timestamp is signed with the body, so an old request replayed
 * later fails a receiver's freshness check (five minutes is usual), and changing it breaks the MAC.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signature(secret: string, timestamp: number, body: string): string {
  return 'sha256=' + createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

/**
 * What a receiver does: true when `header` is the signature of this body and timestamp, and the
 * timestamp is within `toleranceSeconds` of `now`. Constant-time.
 */
export function verifySignature(secret: string, header: string | undefined, timestamp: string | undefined, body: string, now: number, toleranceSeconds = 300): boolean {
  if (!header || !timestamp || !/^\d+$/.test(timestamp)) return false;
  if (Math.abs(now - Number(timestamp)) > toleranceSeconds) return false;
  const expected = Buffer.from(signature(secret, Number(timestamp), body));
  const given = Buffer.from(header);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
