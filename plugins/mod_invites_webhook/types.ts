/**
 * mod_invites_webhook's options, outbox records and public API.
 */

/** The events it forwards (the names of the host events it hooks). */
export const WEBHOOK_EVENTS = ['invite-created', 'invite-used', 'invite-revoked', 'invite-expired', 'user-registered'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

export interface WebhookOptions {
  /** Where to POST: one URL or a list; every event goes to each of them. */
  invites_webhook_urls: string[];
  /** The HMAC-SHA256 key receivers check `X-Canto-Signature` with. */
  invites_webhook_secret: string;
  /** Which events to send; default all five. */
  invites_webhook_events: string[];
  /** Seconds one POST may take before it counts as failed. */
  invites_webhook_timeout: number;
  /** Seconds a delivery is retried before it is dropped with an error in the log (default 3 days). */
  invites_webhook_retry_for: number;
}

/** One event waiting for one receiver, in the outbox store (`invites_webhook_outbox`, host-level map). */
export interface Delivery {
  [field: string]: string | number;
  url: string;
  event: string;
  /** The JSON body, exactly as it will be signed and sent. */
  body: string;
  /** Queue order: earlier events go first, per receiver. */
  order: number;
  created_at: number;
  attempts: number;
  /** Unix seconds of the next attempt. */
  next_at: number;
  /** While a process is sending it: until when the others leave it alone (0 = free). */
  lease_until: number;
}

/** The JSON body a receiver gets. */
export interface WebhookBody {
  /** Unique per event; the same in every retry and for every receiver. */
  id: string;
  event: WebhookEvent;
  host: string;
  /** When the event happened, Unix seconds. */
  time: number;
  data: unknown;
}

export interface WebhookApi {
  /** Resolves once the events fired so far are in the outbox and no delivery round is running. */
  idle(): Promise<void>;
  /** Deliveries waiting in the outbox, oldest first. */
  pending(): Promise<Delivery[]>;
}

declare module 'canto/module-api' {
  interface ModuleApis {
    invites_webhook: WebhookApi;
  }
}
