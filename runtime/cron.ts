/**
 * Periodic jobs for one host (`module.hourly` / `daily` / `weekly`), as Prosody 0.12's mod_cron:
 * each task's last run is kept in the host's `cron` map store under `<module>/<name>` (the
 * same store and keys as Prosody), so a restart neither repeats a job early nor forgets it.
 * A task never run before counts as run at the start of the current period, as mod_cron does,
 * so an hourly job first runs at the top of the next hour. mod_cron polls hourly and runs what
 * is due (within 0.5% of a period); one timer waiting for the earliest due task does the same
 * without the poll's lag, so a task is due exactly a period after its last start. Only the
 * server runs jobs.
 */
import type { Clock } from './clock.js';
import type { Logger } from './log.js';
import type { MapStore } from './storage/types.js';
import { errorText } from './errors.js';

export type CronPeriod = 'hourly' | 'daily' | 'weekly';

export const PERIOD_SECONDS: Record<CronPeriod, number> = { hourly: 3600, daily: 86400, weekly: 7 * 86400 };

interface Task {
  id: string;
  when: CronPeriod;
  run: (now: number) => void | Promise<void>;
  log: Logger;
  /** Unix seconds of the last start; undefined until read from the store. */
  last?: number;
}

/** mod_cron's task id: `<module>/<name>`, the name lower-cased with non-word characters as `_`. */
export function cronTaskId(moduleName: string, name: string): string {
  return `${moduleName}/${name.replace(/\W/g, '_').toLowerCase()}`;
}

export class Cron {
  readonly #store: () => MapStore;
  readonly #clock: Clock;
  readonly #tasks = new Set<Task>();
  #cancel: (() => void) | undefined;
  #running = false;
  readonly #reading = new Set<Promise<void>>();

  constructor(store: () => MapStore, clock: Clock) {
    this.#store = store;
    this.#clock = clock;
  }

  #now(): number {
    return Math.floor(this.#clock.nowMs() / 1000);
  }

  /** Add a task; returns the function that removes it. */
  add(moduleName: string, name: string, when: CronPeriod, run: Task['run'], log: Logger): () => void {
    const task: Task = { id: cronTaskId(moduleName, name), when, run, log };
    this.#tasks.add(task);
    const read = this.#store()
      .get(null, task.id)
      .then(
        (stored) => {
          const now = this.#now();
          task.last = typeof stored === 'number' ? stored : now - (now % PERIOD_SECONDS[when]);
          log.debug('%s task %s added, last run %s', when, task.id, typeof stored === 'number' ? new Date(stored * 1000).toISOString() : 'never');
          this.#schedule();
        },
        (err: unknown) => log.error('Cannot read the last run of task %s: %s', task.id, errorText(err)),
      )
      .finally(() => this.#reading.delete(read));
    this.#reading.add(read);
    return () => {
      this.#tasks.delete(task);
      this.#schedule();
    };
  }

  #dueAt(task: Task): number {
    return (task.last ?? Infinity) + PERIOD_SECONDS[task.when];
  }

  #schedule(): void {
    this.#cancel?.();
    this.#cancel = undefined;
    if (this.#running) return; // #runDue schedules again when it is done
    let next = Infinity;
    for (const task of this.#tasks) next = Math.min(next, this.#dueAt(task));
    if (next === Infinity) return;
    const delayMs = Math.max(0, next * 1000 - this.#clock.nowMs());
    this.#cancel = this.#clock.setTimer(delayMs, () => this.#runDue(), true);
  }

  async #runDue(): Promise<void> {
    this.#cancel = undefined;
    this.#running = true;
    try {
      for (const task of [...this.#tasks]) {
        if (!this.#tasks.has(task) || this.#dueAt(task) > this.#now()) continue;
        const started = this.#now();
        try {
          await task.run(started);
        } catch (err) {
          task.log.error('Error in %s task %s: %s', task.when, task.id, errorText(err));
        }
        // A failed run also waits a period: a job that keeps failing must not spin.
        task.last = started;
        await this.#store()
          .set(null, task.id, started)
          .catch((err: unknown) => task.log.error('Cannot record the run of task %s: %s', task.id, errorText(err)));
      }
    } finally {
      this.#running = false;
      this.#schedule();
    }
  }

  /** Resolves once every task added so far knows its last run and is scheduled. */
  async settled(): Promise<void> {
    await Promise.all([...this.#reading]);
  }

  /** Stop the timer (the host is going away). */
  stop(): void {
    this.#tasks.clear();
    this.#cancel?.();
    this.#cancel = undefined;
  }
}
