/**
 * A host's event bus (Prosody's util.events): handlers run highest priority first, in the
 * order added within a priority; the first result other than `undefined` stops the event.
 */
import type { EventHandler } from './module-api.js';

interface Entry {
  handler: EventHandler<never>;
  priority: number;
  seq: number;
}

export class EventBus {
  #handlers = new Map<string, Entry[]>();
  #seq = 0;

  /** Add a handler; returns the function that removes it. */
  on<T>(event: string, handler: EventHandler<T>, priority = 0): () => void {
    const list = this.#handlers.get(event) ?? [];
    const entry: Entry = { handler: handler as EventHandler<never>, priority, seq: this.#seq++ };
    list.push(entry);
    list.sort((a, b) => b.priority - a.priority || a.seq - b.seq);
    this.#handlers.set(event, list);
    return () => {
      const current = this.#handlers.get(event);
      const i = current?.indexOf(entry) ?? -1;
      if (current && i >= 0) current.splice(i, 1);
    };
  }

  fire<T>(event: string, data: T): unknown {
    const list = this.#handlers.get(event);
    if (!list) return undefined;
    for (const { handler } of [...list]) {
      const result = (handler as EventHandler<T>)(data);
      if (result !== undefined) return result;
    }
    return undefined;
  }
}
