/**
 * The runtime's clock, in whole Unix seconds. `CANTO_NOW=<unix seconds>` in the environment
 * shifts it so that "now" is that moment when the process starts (time then runs on); tests
 * use it to make the Prosody fixtures' invites valid or expired. Operators never set it.
 */
const shiftMs = (() => {
  const fixed = process.env.CANTO_NOW;
  if (!fixed || !/^\d+$/.test(fixed)) return 0;
  return Number(fixed) * 1000 - Date.now();
})();

/** Milliseconds since the epoch, shifted. */
export function nowMs(): number {
  return Date.now() + shiftMs;
}

/** Whole Unix seconds, shifted (Prosody's `os.time()`). */
export function now(): number {
  return Math.floor(nowMs() / 1000);
}
