/**
 * Throttles clients that keep failing to authenticate: after `maxFailures` failures within
 * `windowSeconds` of the first, the client waits out the rest of the window. In memory, with
 * a bounded number of tracked clients.
 *
 * Attempts are counted before they are evaluated (`attempt`), so a client that sends many at
 * once (pipelined, or on many connections) has at most the budget checked, not all of them.
 * When the table is full the least recently seen clients that are not throttled go first;
 * a throttled client is forgotten only when every tracked client is throttled, so flooding
 * the table from other addresses does not set an attacker free.
 */
interface Entry {
  since: number;
  /** Failures in the window. */
  count: number;
  /** Attempts counted by `attempt` whose outcome is not known yet. */
  pending: number;
}

export class FailureThrottle {
  /** Clients below the limit, least recently seen first. */
  readonly #open = new Map<string, Entry>();
  /** Clients at the limit, least recently seen first. */
  readonly #throttled = new Map<string, Entry>();
  /** Attempts waiting for a client's attempts in flight to be decided (see `admit`). */
  readonly #waiting = new Map<string, (() => void)[]>();

  constructor(
    public maxFailures: number,
    public windowSeconds: number,
    readonly maxClients = 10_000,
  ) {}

  /**
   * The throttle kept in `state` (a module's `module.shared(...)` object), made on first use
   * and given the current limits: so a reload, which loads the module afresh, neither forgets
   * who is throttled nor keeps limits the new config changed.
   */
  static kept(state: { throttle?: FailureThrottle }, maxFailures: number, windowSeconds: number): FailureThrottle {
    const throttle = (state.throttle ??= new FailureThrottle(maxFailures, windowSeconds));
    throttle.maxFailures = maxFailures;
    throttle.windowSeconds = windowSeconds;
    return throttle;
  }

  /** Seconds the client must still wait; 0 when it may try. Counts nothing. */
  retryAfter(client: string, now: number): number {
    const key = clientKey(client);
    const entry = this.#current(key, now);
    if (!entry || entry.count + entry.pending < this.maxFailures) return 0;
    return Math.max(1, Math.ceil(entry.since + this.windowSeconds - now));
  }

  /**
   * Before checking a client's credentials: seconds it must wait (then check nothing), or 0,
   * and the attempt now counts against its budget until `pass` or `fail` says how it went.
   * @example const wait = throttle.attempt(request.ip, now); if (wait > 0) return 429;
   */
  attempt(client: string, now: number): number {
    const wait = this.retryAfter(client, now);
    if (wait > 0) return wait;
    const key = clientKey(client);
    const entry = this.#current(key, now) ?? { since: now, count: 0, pending: 0 };
    entry.pending++;
    this.#store(key, entry);
    return 0;
  }

  /**
   * `attempt`, except that when the budget is used up only by attempts still in flight, this
   * waits until one of them is decided and looks again, instead of refusing: a client sending
   * many good requests at once is not throttled, and one sending many bad ones still has at
   * most the budget checked (the rest wait, then find the budget spent).
   * @example const wait = await throttle.admit(request.ip, () => module.time());
   */
  async admit(client: string, now: () => number): Promise<number> {
    const key = clientKey(client);
    for (;;) {
      const entry = this.#current(key, now());
      if (!entry || entry.count >= this.maxFailures || entry.count + entry.pending < this.maxFailures) return this.attempt(client, now());
      const queue = this.#waiting.get(key) ?? [];
      this.#waiting.set(key, queue);
      await new Promise<void>((resolve) => queue.push(resolve));
    }
  }

  /** Attempts waiting on `key` look again: one in flight was decided. */
  #wake(key: string): void {
    const queue = this.#waiting.get(key);
    if (!queue) return;
    this.#waiting.delete(key);
    for (const resolve of queue) resolve();
  }

  /**
   * `fn` as one counted attempt (`admit` first): when the client must wait, `fn` does not run
   * and the seconds to wait come back; else `fn` runs with a `fail()` to call on failure, and
   * an attempt it did not fail (returned, or threw) passes.
   * @example const r = await throttle.guard(request.ip, () => module.time(), async (fail) => (ok ? 200 : (fail(), 400)));
   */
  async guard<T>(client: string, now: () => number, fn: (fail: () => void) => Promise<T>): Promise<{ wait: number } | { result: T }> {
    const wait = await this.admit(client, now);
    if (wait > 0) return { wait };
    let failed = false;
    try {
      return {
        result: await fn(() => {
          if (failed) return;
          failed = true;
          this.fail(client, now());
        }),
      };
    } finally {
      if (!failed) this.pass(client);
    }
  }

  /** The attempt counted by `attempt` succeeded: it no longer counts. */
  pass(client: string): void {
    const key = clientKey(client);
    const entry = this.#open.get(key) ?? this.#throttled.get(key);
    if (entry && entry.pending > 0) entry.pending--;
    this.#wake(key);
  }

  /** A failure (of an attempt counted by `attempt`, or of one that was not). */
  fail(client: string, now: number): void {
    const key = clientKey(client);
    const entry = this.#current(key, now) ?? { since: now, count: 0, pending: 0 };
    if (entry.pending > 0) entry.pending--;
    entry.count++;
    this.#store(key, entry);
    this.#wake(key);
  }

  get size(): number {
    return this.#open.size + this.#throttled.size;
  }

  /** The client's entry if its window is still open; an expired one is dropped (pending attempts carry over). */
  #current(key: string, now: number): Entry | undefined {
    const entry = this.#open.get(key) ?? this.#throttled.get(key);
    if (!entry || now < entry.since + this.windowSeconds) return entry;
    if (entry.pending > 0) {
      entry.since = now;
      entry.count = 0;
      return entry;
    }
    this.#open.delete(key);
    this.#throttled.delete(key);
    return undefined;
  }

  /** (Re-)inserts as the most recently seen, in the map its count belongs to, then trims the table. */
  #store(key: string, entry: Entry): void {
    this.#open.delete(key);
    this.#throttled.delete(key);
    (entry.count >= this.maxFailures ? this.#throttled : this.#open).set(key, entry);
    while (this.size > this.maxClients) {
      // The entry just stored is not evicted from its own insert while older ones exist.
      const from = this.#open.size > (this.#open.has(key) ? 1 : 0) ? this.#open : this.#throttled;
      const oldest = from.keys().next().value as string;
      from.delete(oldest);
    }
  }
}

/**
 * IPv4 addresses count one by one; IPv6 ones by their /64, which one client usually holds whole.
 */
export function clientKey(address: string): string {
  const ip = address.toLowerCase();
  if (!ip.includes(':') || ip.startsWith('::ffff:')) return ip.replace(/^::ffff:/, '');
  const [head = '', tail = ''] = ip.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = ip.includes('::') ? [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right] : left;
  return groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '')).join(':') + '::/64';
}
