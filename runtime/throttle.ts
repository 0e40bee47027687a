/**
 * Throttles clients that keep failing to authenticate: after `maxFailures` failures within
 * `windowSeconds` of the first, the client waits out the rest of the window. In memory, with
 * a bounded number of tracked clients (the oldest are forgotten first).
 */
export class FailureThrottle {
  readonly #failures = new Map<string, { since: number; count: number }>();

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

  /** Seconds the client must still wait; 0 when it may try. */
  retryAfter(client: string, now: number): number {
    const entry = this.#failures.get(clientKey(client));
    if (!entry) return 0;
    const left = entry.since + this.windowSeconds - now;
    if (left <= 0) this.#failures.delete(clientKey(client));
    return left > 0 && entry.count >= this.maxFailures ? left : 0;
  }

  fail(client: string, now: number): void {
    const key = clientKey(client);
    const entry = this.#failures.get(key);
    const current = entry && now < entry.since + this.windowSeconds ? entry : { since: now, count: 0 };
    current.count++;
    this.#failures.delete(key); // re-insert: Map order is then least recently failed first
    this.#failures.set(key, current);
    for (const oldest of this.#failures.keys()) {
      if (this.#failures.size <= this.maxClients) break;
      this.#failures.delete(oldest);
    }
  }

  get size(): number {
    return this.#failures.size;
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
