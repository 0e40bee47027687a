/**
 * When the next group commit should start. The callers a commit just answered are usually
 * clients that send their next request at once. Starting the next commit with only the changes
 * that queued up during the last one would leave those callers to the commit after, and the
 * clients would split into two halves that take turns for good (batches of half the clients).
 * So a commit that follows another waits until the changes queued when the last one was answered
 * are joined by as many as it answered, or a share of the last commit's time has passed. A change
 * after a quiet spell commits at once.
 */
export class CommitGather {
  readonly #share: number;
  readonly #maxMs: number;
  /** Set while a commit waits: wakes it once `count` changes are queued. */
  #waiting: { count: number; wake: () => void } | null = null;
  /** How many changes the next commit expects: those queued meanwhile plus the callers just answered. */
  #expected = 0;
  #lastMs = 0;
  #lastSettled = 0;

  /** `share` of the last commit's time is the longest wait, and never more than `maxMs`. */
  constructor(share: number, maxMs: number) {
    this.#share = share;
    this.#maxMs = maxMs;
  }

  /** How long the last commit took, from its start to its callers being answered. */
  get lastMs(): number {
    return this.#lastMs;
  }

  /** A change was queued; `queued` changes now wait. */
  queued(queued: number): void {
    if (this.#waiting && queued >= this.#waiting.count) this.#waiting.wake();
  }

  /** Resolves when the next commit should take what is queued (`queued()` tells how many). */
  async ready(queued: () => number): Promise<void> {
    const left = this.#lastSettled + Math.min(this.#lastMs * this.#share, this.#maxMs) - performance.now();
    if (queued() >= this.#expected || left <= 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(wake, left);
      function wake(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#waiting = { count: this.#expected, wake };
    });
    this.#waiting = null;
  }

  /** A commit of `batch` changes that started at `started` has answered its callers; `queued` wait now. */
  settled(started: number, batch: number, queued: number): number {
    this.#lastSettled = performance.now();
    this.#lastMs = this.#lastSettled - started;
    this.#expected = queued + batch;
    return this.#lastMs;
  }
}
