/**
 * The host's own metrics that are not measured where they happen: storage commits, fed by
 * runtime/storage/commit-stats.ts (the HTTP server measures its requests itself).
 */
import { metrics, SIZE_BUCKETS } from './metrics.js';
import { onCommit } from './storage/commit-stats.js';

let measuring = false;

/** Start recording commit durations and batch sizes; idempotent (the test kit starts hosts often). */
export function measureStorage(): void {
  if (measuring) return;
  measuring = true;
  const duration = metrics.measure('histogram', 'canto_storage_commit_duration', {
    unit: 'seconds',
    description: 'Time from the start of a durable commit to its fsync, per data file commit',
  });
  const batch = metrics.measure('histogram', 'canto_storage_commit_batch_size', {
    description: 'Changes written together in one durable commit',
    buckets: SIZE_BUCKETS,
  });
  onCommit((size, ms) => {
    duration.sample(ms / 1000);
    batch.sample(size);
  });
}
