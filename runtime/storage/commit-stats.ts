/**
 * Counters of the storage drivers' group commits, for `/metrics` and the bench: how many
 * commits, how many changes they carried (batch size) and how long they took, from the start of
 * a commit to its callers being answered. Counted per driver (each logs its own line when it
 * closes) and reported to observers as one stream.
 */
export interface CommitStats {
  commits: number;
  changes: number;
  totalMs: number;
  maxBatch: number;
}

export type CommitDriver = 'internal' | 'sql';

const stats: Record<CommitDriver, CommitStats> = {
  internal: { commits: 0, changes: 0, totalMs: 0, maxBatch: 0 },
  sql: { commits: 0, changes: 0, totalMs: 0, maxBatch: 0 },
};
const observers = new Set<(batch: number, ms: number) => void>();

export function recordCommit(driver: CommitDriver, batch: number, ms: number): void {
  const s = stats[driver];
  s.commits++;
  s.changes += batch;
  s.totalMs += ms;
  if (batch > s.maxBatch) s.maxBatch = batch;
  for (const fn of observers) fn(batch, ms);
}

/** A copy of one driver's counters since the process started. */
export function commitStats(driver: CommitDriver): CommitStats {
  return { ...stats[driver] };
}

/** Be told of every commit (a metrics registry's histogram); returns the function that stops it. */
export function onCommit(fn: (batch: number, ms: number) => void): () => void {
  observers.add(fn);
  return () => observers.delete(fn);
}

/** The line a driver logs when it closes: how many commits, and how full they were. */
export function commitSummary(driver: CommitDriver): string | undefined {
  const { commits, changes, totalMs, maxBatch } = stats[driver];
  if (commits === 0) return undefined;
  return `${commits} commits of ${changes} changes: batches of ${(changes / commits).toFixed(1)} on average (at most ${maxBatch}), ${(totalMs / commits).toFixed(1)} ms each`;
}
