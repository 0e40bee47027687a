/**
 * The host's own metrics that are not measured where they happen: storage commits, fed by
 * runtime/storage/commit-stats.ts, and the process's CPU time and memory, read whenever the
 * metrics are (the HTTP server measures its requests itself).
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

let measuringProcess = false;

/**
 * `process_cpu_seconds` (a counter: user and system CPU time since the process started) and
 * `process_resident_memory_bytes` (a gauge), as prosody-modules' mod_measure_process names
 * them and mod_http_admin_api's /server/metrics reads them. Idempotent.
 */
export function measureProcess(): void {
  if (measuringProcess) return;
  measuringProcess = true;
  const cpu = metrics.measure('counter', 'process_cpu', { unit: 'seconds', description: 'CPU time used by Canto, user and system' });
  const rss = metrics.measure('gauge', 'process_resident_memory', { unit: 'bytes', description: 'Resident memory size in bytes' });
  let counted = 0;
  const collect = () => {
    const used = process.cpuUsage();
    const total = (used.user + used.system) / 1e6;
    cpu.add(total - counted);
    counted = total;
    rss.set(process.memoryUsage.rss());
  };
  collect(); // the series' _created is now: the counter's epoch is the server's start
  metrics.onCollect(collect);
}
