/**
 * When the next group commit should start. The callers a commit just answered are usually
 * clients that send their next request at once. Starting the next commit with only the changes
 * that queued up during the last one would leave those callers to the commit after, and the
 * clients would split into two halves that take turns for good (batches of half the clients).
 * So a commit that follows another waits until the changes queued when the last one was answered
 * are joined by as many as it answered, or a share of the last commit's time has passed. A change
 * after a quiet spell commits at once.
 *
 * Waiting pays only while a commit takes longer than its callers take to come back. When it is
 * the other way round (a fast database, many clients, a busy main thread), two batches that take
 * turns overlap one's commit with the work on the other's requests, and full batches would run
 * the two one after the other. With `adapt`, a wait that runs out (the callers took longer than
 * the commit) stops the waiting: commits then take what is queued at once, and every
 * PROBE_EVERY-th commit waits again to see whether that still holds.
 */
export class CommitGather {
  readonly #share: number;
  readonly #maxMs: number;
  readonly #adapt: boolean;
  /** Whether commits stopped waiting (see `adapt`), and how many went since the last that waited. */
  #overlap = false;
  #sinceProbe = 0;
  /** Set while a commit waits: wakes it once `count` changes are queued. */
  #waiting: { count: number; wake: () => void } | null = null;
  /** How many changes the next commit expects: those queued meanwhile plus the callers just answered. */
  #expected = 0;
  #lastMs = 0;
  #lastSettled = 0;

  /** `share` of the last commit's time is the longest wait, and never more than `maxMs`. */
  constructor(share: number, maxMs: number, options: { adapt?: boolean } = {}) {
    this.#share = share;
    this.#maxMs = maxMs;
    this.#adapt = options.adapt ?? false;
  }

  /** Whether commits currently start without waiting for the last one's callers (`adapt`). */
  get overlapping(): boolean {
    return this.#overlap;
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
    if (this.#overlap && ++this.#sinceProbe < PROBE_EVERY) return;
    this.#sinceProbe = 0;
    const left = this.#lastSettled + Math.min(this.#lastMs * this.#share, this.#maxMs) - performance.now();
    if (queued() >= this.#expected) {
      this.#overlap = false; // the callers were back before the commit needed them
      return;
    }
    if (left <= 0) return; // after a quiet spell: nothing learnt
    const joined = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), left);
      this.#waiting = {
        count: this.#expected,
        wake: () => {
          clearTimeout(timer);
          resolve(true);
        },
      };
    });
    this.#waiting = null;
    if (this.#adapt) this.#overlap = !joined;
  }

  /** A commit of `batch` changes that started at `started` has answered its callers; `queued` wait now. */
  settled(started: number, batch: number, queued: number): number {
    this.#lastSettled = performance.now();
    this.#lastMs = this.#lastSettled - started;
    this.#expected = queued + batch;
    return this.#lastMs;
  }
}

/** With `adapt`, how often a commit waits again once commits stopped waiting. */
export const PROBE_EVERY = 32;
