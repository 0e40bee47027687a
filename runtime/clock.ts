/**
 * The runtime's clock: the time modules see (`module.time()`) and the timers they set
 * (`module.addTimer`). The server and ctl use `systemClock`; the test kit (canto/testing) gives a
 * runtime a clock the test moves by hand, so an hourly purge runs when the test says an hour passed.
 *
 * `CANTO_NOW=<unix seconds>` in the environment shifts the system clock so that "now" is that
 * moment when the process starts (time then runs on); end-to-end tests use it to make the
 * Prosody fixtures' invites valid or expired. Operators never set it.
 */
export interface Clock {
  /** Milliseconds since the epoch. */
  nowMs(): number;
  /**
   * Run `fn` once, `delayMs` from now; returns the function that cancels it. `keepAlive: false`
   * lets the process exit while the timer is pending (ctl never waits for a module's timers).
   */
  setTimer(delayMs: number, fn: () => unknown, keepAlive: boolean): () => void;
}

const shiftMs = (() => {
  const fixed = process.env.CANTO_NOW;
  if (!fixed || !/^\d+$/.test(fixed)) return 0;
  return Number(fixed) * 1000 - Date.now();
})();

export const systemClock: Clock = {
  nowMs: () => Date.now() + shiftMs,
  setTimer(delayMs, fn, keepAlive) {
    const timer = setTimeout(fn, Math.max(0, delayMs));
    if (!keepAlive) timer.unref();
    return () => clearTimeout(timer);
  },
};

/** Milliseconds since the epoch on the system clock, shifted. */
export function nowMs(): number {
  return systemClock.nowMs();
}

/** Whole Unix seconds on the system clock, shifted (Prosody's `os.time()`). */
export function now(): number {
  return Math.floor(nowMs() / 1000);
}
