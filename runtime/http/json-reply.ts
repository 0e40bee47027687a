/** A JSON response, for handlers: the body serialized, its Content-Type set. */
import type { HttpReply } from './types.js';

/** @example return jsonReply(200, { id: invite.token }); */
export function jsonReply(status: number, value: unknown, headers: Record<string, string> = {}): HttpReply {
  return { status, headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(value) };
}
