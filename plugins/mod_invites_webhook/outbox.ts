/**
 * The durable outbox: one record per (event, receiver) in a host-level map store, written
 * before anything is sent, removed once that receiver answered 2xx. Several processes may share
 * the data folder: a record is leased (atomically, with `update`) before it is sent, so each
 * delivery is made by one of them.
 */
import { createHash } from 'node:crypto';
import { KEEP, type MapStore, type StoreValue } from 'canto/module-api';
import type { Delivery } from './types.js';

/** How long a lease lasts beyond the POST timeout: a process that died mid-send frees it then. */
const LEASE_SLACK = 30;

/** Retry after 10 s, 20 s, 40 s ... at most 15 minutes between attempts. */
export function backoff(attempts: number): number {
  return Math.min(10 * 2 ** Math.max(0, attempts - 1), 900);
}

function asDelivery(value: StoreValue | undefined): Delivery | undefined {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const d = value as Partial<Delivery>;
  return typeof d.url === 'string' && typeof d.body === 'string' && typeof d.next_at === 'number' ? (value as Delivery) : undefined;
}

/** The record's key: the event id and a short hash of the receiver's URL. */
export function deliveryKey(eventId: string, url: string): string {
  return `${eventId}.${createHash('sha256').update(url).digest('base64url').slice(0, 12)}`;
}

export class Outbox {
  readonly #store: MapStore;
  #counter = 0;

  constructor(store: MapStore) {
    this.#store = store;
  }

  /** One record per receiver, in one atomic write. */
  async add(eventId: string, event: string, body: string, urls: readonly string[], now: number): Promise<void> {
    const order = now * 1_000_000 + (this.#counter++ % 1_000_000);
    const records: Record<string, Delivery> = {};
    for (const url of urls) {
      records[deliveryKey(eventId, url)] = { url, event, body, order, created_at: now, attempts: 0, next_at: now, lease_until: 0 };
    }
    await this.#store.setKeys(null, records);
  }

  /** Every record, oldest first. */
  async all(): Promise<[string, Delivery][]> {
    const entries: [string, Delivery][] = [];
    for await (const [key, value] of this.#store.entries(null)) {
      const d = asDelivery(value);
      if (d) entries.push([key, d]);
    }
    return entries.sort((a, b) => a[1].order - b[1].order || (a[0] < b[0] ? -1 : 1));
  }

  /** Takes the record for this process if it is due and nobody holds it; false otherwise. */
  async claim(key: string, now: number, timeoutSeconds: number): Promise<Delivery | undefined> {
    let claimed: Delivery | undefined;
    await this.#store.update(null, key, (value) => {
      const d = asDelivery(value);
      if (!d || d.next_at > now || d.lease_until > now) return KEEP;
      claimed = { ...d, lease_until: now + timeoutSeconds + LEASE_SLACK };
      return claimed;
    });
    return claimed;
  }

  async delivered(key: string): Promise<void> {
    await this.#store.set(null, key, undefined);
  }

  /** Counts the failed attempt and frees the record for its next try. */
  async failed(key: string, delivery: Delivery, now: number): Promise<Delivery> {
    const attempts = delivery.attempts + 1;
    const next = { ...delivery, attempts, next_at: now + backoff(attempts), lease_until: 0 };
    await this.#store.set(null, key, next);
    return next;
  }

  async drop(key: string): Promise<void> {
    await this.#store.set(null, key, undefined);
  }
}
