/**
 * Durations given on the command line (`--expires-after`): whole seconds, or a number with a
 * unit as in Prosody 13's config periods ("1 week", "2d", "12h", "30 minutes").
 */
const UNITS: Record<string, number> = {};
for (const [seconds, names] of [
  [1, ['s', 'sec', 'secs', 'second', 'seconds']],
  [60, ['m', 'min', 'mins', 'minute', 'minutes']],
  [3600, ['h', 'hr', 'hrs', 'hour', 'hours']],
  [86400, ['d', 'day', 'days']],
  [604800, ['w', 'wk', 'wks', 'week', 'weeks']],
  [2592000, ['month', 'months']],
  [31536000, ['y', 'year', 'years']],
] as const) {
  for (const name of names) UNITS[name] = seconds;
}

/** Seconds (a positive integer), or `undefined` when `text` is not a period. */
export function parsePeriod(text: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return undefined;
  const unit = (match[2] ?? '').toLowerCase();
  const factor = unit === '' ? 1 : Object.hasOwn(UNITS, unit) ? UNITS[unit] : undefined;
  if (factor === undefined) return undefined;
  const seconds = Math.round(Number(match[1]) * factor);
  return seconds > 0 && Number.isSafeInteger(seconds) ? seconds : undefined;
}
