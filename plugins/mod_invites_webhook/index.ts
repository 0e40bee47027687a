/**
 * mod_invites_webhook: POSTs signed JSON to the operator's URLs when an invite is created,
 * used, revoked or expires, and when an account is registered. Every event is first written
 * to a durable outbox, then sent to each receiver in order, retried with backoff until it
 * answers 2xx: an event survives a restart or a receiver that is down for an hour, and each
 * receiver gets it once.
 */
import { defineModule, randomId } from 'canto/module-api';
import { Outbox } from './outbox.js';
import { post } from './post.js';
import { signature } from './sign.js';
import { WEBHOOK_EVENTS, type Delivery, type WebhookApi, type WebhookBody, type WebhookEvent, type WebhookOptions } from './types.js';

export type { Delivery, WebhookApi, WebhookBody, WebhookEvent, WebhookOptions } from './types.js';
export { verifySignature } from './sign.js';

/** After the other handlers (the landing page adds `landing_page` to a new invite). */
const LATE = -100;

/** Per loaded instance (its module object): wait for the work in progress, and start no more (unload). */
const running = new WeakMap<object, { idle(): Promise<void>; stop(): void }>();

export default defineModule<WebhookApi, WebhookOptions>({
  options: {
    type: 'object',
    properties: {
      invites_webhook_urls: { type: 'array', items: { type: 'string', pattern: '^https?://' }, default: [] },
      invites_webhook_secret: { type: 'string', default: '' },
      invites_webhook_events: { type: 'array', items: { type: 'string', enum: [...WEBHOOK_EVENTS] }, default: [...WEBHOOK_EVENTS] },
      invites_webhook_timeout: { type: 'number', period: true, exclusiveMinimum: 0, default: 10 },
      invites_webhook_retry_for: { type: 'number', period: true, exclusiveMinimum: 0, default: 3 * 86400 },
    },
  },

  load(module) {
    const { invites_webhook_urls: urls, invites_webhook_secret: secret, invites_webhook_timeout: timeout, invites_webhook_retry_for: retryFor } = module.options;
    const outbox = new Outbox(module.openStore('invites_webhook_outbox', 'map'));
    const writes = new Set<Promise<void>>();
    let round: Promise<void> | undefined;
    let again = false;
    let stopped = false;

    if (urls.length && !secret) throw new Error('invites_webhook_secret is required when invites_webhook_urls is set');
    if (!urls.length) module.log('warn', 'invites_webhook_urls is empty: no events will be sent');

    /** One delivery attempt; returns the record's next state, or undefined when it is done. */
    const attempt = async (key: string, d: Delivery): Promise<Delivery | undefined> => {
      const timestamp = module.time();
      const headers = {
        'Content-Type': 'application/json',
        'User-Agent': 'Canto mod_invites_webhook',
        'X-Canto-Event': d.event,
        'X-Canto-Event-Id': key.slice(0, key.indexOf('.')),
        'X-Canto-Timestamp': String(timestamp),
        'X-Canto-Signature': signature(secret, timestamp, d.body),
      };
      let problem: string;
      try {
        const status = await post(d.url, headers, d.body, timeout);
        if (status >= 200 && status < 300) {
          await outbox.delivered(key);
          return undefined;
        }
        problem = `status ${status}`;
      } catch (err) {
        problem = (err as Error).message;
      }
      const now = module.time();
      if (now - d.created_at >= retryFor) {
        module.log('error', 'Dropping %s event for %s after %d attempts: %s', d.event, new URL(d.url).host, d.attempts + 1, problem);
        await outbox.drop(key);
        return undefined;
      }
      const next = await outbox.failed(key, d, now);
      module.log('warn', 'Could not deliver %s event to %s (%s); retry %d in %d s', d.event, new URL(d.url).host, problem, next.attempts, next.next_at - now);
      return next;
    };

    /** Sends what is due, oldest first per receiver; a receiver that fails keeps its later events back, to keep their order. */
    const deliverDue = async (): Promise<void> => {
      await Promise.all(writes);
      const byUrl = new Map<string, [string, Delivery][]>();
      for (const entry of await outbox.all()) byUrl.set(entry[1].url, [...(byUrl.get(entry[1].url) ?? []), entry]);
      await Promise.all(
        [...byUrl.values()].map(async (queue) => {
          for (const [key] of queue) {
            const claimed = await outbox.claim(key, module.time(), timeout);
            if (!claimed) return; // not due, or another process has it: later ones wait too
            if (await attempt(key, claimed)) return;
          }
        }),
      );
    };

    /** The next moment something is due, in seconds from now (none: undefined). */
    const nextDue = async (): Promise<number | undefined> => {
      const entries = await outbox.all();
      if (!entries.length) return undefined;
      const now = module.time();
      return Math.max(1, Math.min(...entries.map(([, d]) => Math.max(d.next_at, d.lease_until) - now)));
    };

    // One timer, moved to whenever the next retry is due.
    const timer = module.addTimer(86400, () => kick());

    /** Runs a delivery round now (or right after the running one). */
    const kick = (): Promise<void> => {
      if (stopped) return Promise.resolve();
      if (round) {
        again = true;
        return round;
      }
      round = (async () => {
        do {
          again = false;
          try {
            await deliverDue();
          } catch (err) {
            module.log('error', 'Webhook delivery round failed: %s', (err as Error).message);
          }
        } while (again && !stopped);
        if (stopped) return;
        const next = await nextDue().catch(() => 60);
        timer.reschedule(next ?? 86400);
      })().finally(() => {
        round = undefined;
      });
      return round;
    };

    const enqueue = (event: WebhookEvent, data: unknown) => {
      if (!urls.length) return;
      const id = randomId(12);
      const body: WebhookBody = { id, event, host: module.host, time: module.time(), data };
      const write = outbox.add(id, event, JSON.stringify(body), urls, module.time()).then(
        () => {
          if (module.processType === 'server') void kick();
        },
        (err: Error) => module.log('error', 'Could not queue %s event: %s', event, err.message),
      );
      writes.add(write);
      void write.then(() => writes.delete(write));
    };

    for (const event of module.options.invites_webhook_events as WebhookEvent[]) {
      // Not async, returns nothing: a handler's return value would stop the event.
      module.hook(event, (data) => {
        enqueue(event, JSON.parse(JSON.stringify(data ?? null)) as unknown);
      }, LATE);
    }

    // What a previous run left in the outbox goes out now.
    if (module.processType === 'server' && urls.length) void kick();

    const idle = async () => {
      await Promise.all(writes);
      while (round) await round;
    };
    running.set(module, {
      idle,
      stop: () => {
        stopped = true;
      },
    });
    return {
      idle,
      async pending() {
        return (await outbox.all()).map(([, d]) => d);
      },
    };
  },

  commands: {
    pending: {
      description: 'List the deliveries waiting in the outbox, oldest first',
      async run({ api, out }) {
        const pending = await api.pending();
        if (pending.length) out('EVENT\tRECEIVER\tATTEMPTS\tNEXT ATTEMPT');
        // The receiver's host only: a URL may carry a credential in its path or query.
        for (const d of pending) out(`${d.event}\t${new URL(d.url).host}\t${d.attempts}\t${new Date(d.next_at * 1000).toISOString()}`);
        out(`${pending.length} pending ${pending.length === 1 ? 'delivery' : 'deliveries'}`);
      },
    },
  },

  async unload(module) {
    // The hooks and timer are gone; what is queued or being sent is finished before storage closes.
    const state = running.get(module);
    running.delete(module);
    state?.stop();
    await state?.idle();
  },
});
