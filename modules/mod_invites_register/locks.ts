/**
 * In-process locks by name: registrations on one invite, or for one username, run one at a
 * time, so the second sees what the first did (the account, the consumed invite).
 */
export class NamedLocks {
  readonly #tails = new Map<string, Promise<void>>();

  async run<T>(names: readonly string[], fn: () => Promise<T>): Promise<T> {
    const [first, ...rest] = names;
    if (first === undefined) return fn();
    const previous = this.#tails.get(first) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.#tails.set(first, tail);
    await previous;
    try {
      return await this.run(rest, fn);
    } finally {
      release();
      if (this.#tails.get(first) === tail) this.#tails.delete(first);
    }
  }
}
