/**
 * Counters of the internal driver's group commits, for `/metrics` and the bench: how many
 * commits, how many changes they carried (batch size) and how long they took, from the start of
 * a commit to its callers being answered.
 */
export interface CommitStats {
  commits: number;
  changes: number;
  totalMs: number;
  maxBatch: number;
}

const stats: CommitStats = { commits: 0, changes: 0, totalMs: 0, maxBatch: 0 };
const observers = new Set<(batch: number, ms: number) => void>();

export function recordCommit(batch: number, ms: number): void {
  stats.commits++;
  stats.changes += batch;
  stats.totalMs += ms;
  if (batch > stats.maxBatch) stats.maxBatch = batch;
  for (const fn of observers) fn(batch, ms);
}

/** A copy of the counters since the process started. */
export function commitStats(): CommitStats {
  return { ...stats };
}

/** Be told of every commit (a metrics registry's histogram); returns the function that stops it. */
export function onCommit(fn: (batch: number, ms: number) => void): () => void {
  observers.add(fn);
  return () => observers.delete(fn);
}
