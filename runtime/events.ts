/**
 * A host's event bus (Prosody's util.events): handlers run highest priority first, in the
 * order added within a priority; the first result other than `undefined` stops the event.
 *
 * `fire` is synchronous, so a handler that returns a Promise cannot take part in it: its
 * result is not known yet. Such a handler is an error there (logged, the event goes on), and
 * `fireAsync` is the way to run async handlers: each is awaited, in priority order. Events the
 * host itself fires synchronously (`item-added/...`, `item-removed/...`) refuse async handlers
 * at hook time. A handler that throws is logged with its module, host and event, and the
 * remaining handlers still run (Prosody's util.events logs and carries on the same way).
 */
import { CantoError } from './errors.js';
import type { Logger } from './log.js';
import type { EventHandler } from './module-api.js';

interface Entry {
  handler: EventHandler<never>;
  priority: number;
  seq: number;
  /** The logger of the module that hooked it (`host:module`), for its errors. */
  log: Logger;
  /** Whether its returning a Promise to `fire` was reported (once is enough). */
  reported?: boolean;
}

/** Events the host fires with `fire`: an async handler there could never be waited for. */
const SYNC_ONLY = /^item-(added|removed)\//;

const AsyncFunction = (async () => {}).constructor;

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  (typeof v === 'object' || typeof v === 'function') && v !== null && typeof (v as { then?: unknown }).then === 'function';

const why = (err: unknown) => (err instanceof Error ? err.message : String(err));

export class EventBus {
  #handlers = new Map<string, Entry[]>();
  #seq = 0;
  readonly #log: Logger;

  /** `log` takes errors of handlers hooked without a logger of their own. */
  constructor(log: Logger) {
    this.#log = log;
  }

  /** Add a handler; returns the function that removes it. */
  on<T>(event: string, handler: EventHandler<T>, priority = 0, log: Logger = this.#log): () => void {
    if (handler instanceof AsyncFunction && SYNC_ONLY.test(event)) {
      throw new CantoError('ERR_EVENT_ASYNC_HANDLER', [event]);
    }
    const list = this.#handlers.get(event) ?? [];
    const entry: Entry = { handler: handler as EventHandler<never>, priority, seq: this.#seq++, log };
    list.push(entry);
    list.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.#handlers.set(event, list);
    return () => {
      const current = this.#handlers.get(event);
      const i = current?.indexOf(entry) ?? -1;
      if (current && i >= 0) current.splice(i, 1);
    };
  }

  /** Run the handlers synchronously; see the file comment for async handlers and errors. */
  fire<T>(event: string, data: T): unknown {
    const list = this.#handlers.get(event);
    if (!list) return undefined;
    for (const entry of [...list]) {
      const { handler, log } = entry;
      let result: unknown;
      try {
        result = (handler as EventHandler<T>)(data);
      } catch (err) {
        log.error("Error in a handler for event '%s': %s", event, why(err));
        continue;
      }
      if (isThenable(result)) {
        if (!entry.reported) log.error("A handler for event '%s' returned a Promise; it is not waited for (fire the event with fireEventAsync)", event);
        entry.reported = true;
        result.then(undefined, (err: unknown) => log.error("Error in a handler for event '%s': %s", event, why(err)));
        continue;
      }
      if (result !== undefined) return result;
    }
    return undefined;
  }

  /** Run the handlers one after the other, awaiting each; the first defined result stops the event. */
  async fireAsync<T>(event: string, data: T): Promise<unknown> {
    const list = this.#handlers.get(event);
    if (!list) return undefined;
    for (const { handler, log } of [...list]) {
      let result: unknown;
      try {
        result = await (handler as EventHandler<T>)(data);
      } catch (err) {
        log.error("Error in a handler for event '%s': %s", event, why(err));
        continue;
      }
      if (result !== undefined) return result;
    }
    return undefined;
  }
}
