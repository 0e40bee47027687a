/**
 * A clock the test moves by hand. Time stands still until the test calls `advance` or `set`;
 * timers that fall due then run in order, each to the end (an async timer is awaited), at the
 * moment they were due, so a module's hourly job runs 24 times in `advance(86400)`.
 */
import { AsyncResource } from 'node:async_hooks';
import type { Clock } from '../clock.js';

interface Timer {
  at: number;
  seq: number;
  fn: () => unknown;
}

export class TestClock implements Clock {
  #ms: number;
  #seq = 0;
  #timers: Timer[] = [];

  /** Starts at `start` Unix seconds (default: the real time now, whole seconds). */
  constructor(start = Math.floor(Date.now() / 1000)) {
    this.#ms = start * 1000;
  }

  nowMs(): number {
    return this.#ms;
  }

  /** Whole Unix seconds, as `module.time()` sees them. */
  now(): number {
    return Math.floor(this.#ms / 1000);
  }

  setTimer(delayMs: number, fn: () => unknown): () => void {
    // As a real timer, it runs in the async context it was set in (the host's log sinks).
    const timer: Timer = { at: this.#ms + Math.max(0, delayMs), seq: this.#seq++, fn: AsyncResource.bind(fn) };
    this.#timers.push(timer);
    return () => {
      this.#timers = this.#timers.filter((t) => t !== timer);
    };
  }

  /** How many timers are waiting. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `seconds`, running every timer that falls due on the way. */
  async advance(seconds: number): Promise<void> {
    if (!(seconds >= 0)) throw new RangeError(`advance() needs a number of seconds >= 0, got ${seconds}`);
    const target = this.#ms + seconds * 1000;
    for (;;) {
      const next = this.#next();
      if (!next || next.at > target) break;
      this.#timers = this.#timers.filter((t) => t !== next);
      this.#ms = Math.max(this.#ms, next.at);
      await next.fn();
      await settle();
    }
    this.#ms = target;
  }

  /**
   * Sets the time to `seconds` (Unix). Forward runs the timers due on the way, as `advance`;
   * backward (a clock stepped back) runs none and leaves them due at their original moment.
   */
  async set(seconds: number): Promise<void> {
    if (seconds * 1000 >= this.#ms) return this.advance(seconds - this.#ms / 1000);
    this.#ms = seconds * 1000;
  }

  #next(): Timer | undefined {
    let best: Timer | undefined;
    for (const t of this.#timers) if (!best || t.at < best.at || (t.at === best.at && t.seq < best.seq)) best = t;
    return best;
  }
}

/** Lets the promise jobs and I/O callbacks a timer started finish before the next one runs. */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
