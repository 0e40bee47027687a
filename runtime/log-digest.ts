/**
 * Log lines for events that an attacker can repeat at will (failed authentication, refused
 * connections): the first event of a key (an address, a kind) in a window is logged, the rest
 * of that window are counted and logged as one line with the count when the window ends. The
 * lines are written from a timer, never on the request's path, and their number per window is
 * bounded by `maxKeys` + 1 however many events and addresses there are.
 */

export interface LogDigestOptions {
  /** Seconds a window lasts. */
  windowSeconds: number;
  /** Keys tracked at once; events of further keys are summed up in one line. Default 1000. */
  maxKeys?: number;
}

interface Entry {
  /** Events since the last line about this key. */
  count: number;
  /** The line of the latest event, for the summary. */
  last: string;
}

export class LogDigest {
  readonly #write: (line: string) => void;
  readonly #windowMs: number;
  readonly #maxKeys: number;
  readonly #entries = new Map<string, Entry>();
  /** Events of keys beyond maxKeys in this window, and how many such keys were seen. */
  #overflow = { count: 0, keys: new Set<string>() };
  #pending: string[] = [];
  #immediate: NodeJS.Immediate | undefined;
  #timer: NodeJS.Timeout | undefined;

  /**
   * `write` gets each finished line (the caller's logger at its level).
   * @example const digest = new LogDigest((line) => module.log('warn', '%s', line), { windowSeconds: 60 });
   */
  constructor(write: (line: string) => void, options: LogDigestOptions) {
    this.#write = write;
    this.#windowMs = Math.max(1, options.windowSeconds) * 1000;
    this.#maxKeys = options.maxKeys ?? 1000;
  }

  /**
   * One event: `line` says what happened (`Refused invite request from 192.0.2.7: wrong secret`).
   * @example digest.note(request.ip, `Refused invite request from ${request.ip}: ${why}`);
   */
  note(key: string, line: string): void {
    const entry = this.#entries.get(key);
    if (entry) {
      entry.count++;
      entry.last = line;
      return;
    }
    if (this.#entries.size >= this.#maxKeys) {
      this.#overflow.count++;
      if (this.#overflow.keys.size <= this.#maxKeys) this.#overflow.keys.add(key);
      this.#arm();
      return;
    }
    // The first event of a key in this window is told at once (but not from the caller's stack).
    this.#entries.set(key, { count: 0, last: line });
    this.#queue(line);
    this.#arm();
  }

  /** Writes what is counted now (at unload or stop), as the end of a window does. */
  flush(): void {
    this.#tick(true);
  }

  /** Tracked keys (for tests and metrics). */
  get size(): number {
    return this.#entries.size;
  }

  #queue(line: string): void {
    this.#pending.push(line);
    this.#immediate ??= setImmediate(() => {
      this.#immediate = undefined;
      this.#drain();
    }).unref();
  }

  #drain(): void {
    const lines = this.#pending;
    this.#pending = [];
    for (const line of lines) this.#write(line);
  }

  #arm(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => this.#tick(false), this.#windowMs).unref();
  }

  #tick(final: boolean): void {
    const seconds = this.#windowMs / 1000;
    for (const [key, entry] of this.#entries) {
      if (entry.count === 0) {
        // Quiet for a whole window: the next event is news again.
        this.#entries.delete(key);
        continue;
      }
      this.#pending.push(`${entry.last} (${entry.count} more like it in the last ${seconds} s)`);
      entry.count = 0;
      if (final) this.#entries.delete(key);
    }
    if (this.#overflow.count > 0) {
      const keys = this.#overflow.keys.size > this.#maxKeys ? `more than ${this.#maxKeys}` : String(this.#overflow.keys.size);
      this.#pending.push(`${this.#overflow.count} more events from ${keys} other sources in the last ${seconds} s (not logged one by one)`);
      this.#overflow = { count: 0, keys: new Set() };
    }
    if (this.#immediate) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
    }
    this.#drain();
    if ((final || this.#entries.size === 0) && this.#timer) {
      clearInterval(this.#timer);
      this.#timer = undefined;
    }
  }
}
