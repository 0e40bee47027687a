/**
 * Periods as Prosody 13 reads them (core/moduleapi.lua `get_option_period`, util/human/io.lua
 * `parse_duration`): a number is seconds, a string is one number and a unit ("1 week",
 * "30 days", "12 hours", "2h"), `"never"` (or `false`) is forever. "1m", "1mo" and "1mi" are
 * ambiguous (minute or month?): Prosody logs them as errors, and so do we.
 */

/** Seconds per unit, as Prosody's multipliers: a month is 31 days, a year 365.2425 days. */
const DAY = 86400;
const UNITS: Record<string, number> = {
  s: 1, sec: 1, secs: 1, second: 1, seconds: 1,
  min: 60, mins: 60, minute: 60, minutes: 60,
  h: 3600, hr: 3600, hrs: 3600, hour: 3600, hours: 3600,
  d: DAY, day: DAY, days: DAY,
  w: 7 * DAY, wk: 7 * DAY, wks: 7 * DAY, week: 7 * DAY, weeks: 7 * DAY,
  mon: 31 * DAY, month: 31 * DAY, months: 31 * DAY,
  y: 365.2425 * DAY, yr: 365.2425 * DAY, yrs: 365.2425 * DAY, year: 365.2425 * DAY, years: 365.2425 * DAY,
};

/** Units Prosody's lax parser reads but its strict one refuses: minute or month? */
const AMBIGUOUS = new Set(['m', 'mo', 'mi', 'mth', 'mths']);

export type PeriodResult = { seconds: number } | { problem: string };

/**
 * Read a period. `problem` completes "Config option 'x' ..." in Prosody's wording, e.g.
 * `is set to ambiguous period '1m' - use full syntax e.g. '1 months' or '1 minutes'`.
 */
export function readPeriod(value: unknown): PeriodResult {
  if (value === false) return { seconds: Infinity };
  if (typeof value === 'number') {
    if (Number.isNaN(value)) return { problem: 'expects a number or a period description string (e.g. "3 hours"), not NaN' };
    // Prosody: "Treating negative period as infinity".
    return { seconds: value < 0 ? Infinity : value };
  }
  if (typeof value !== 'string') {
    const type = Array.isArray(value) || (typeof value === 'object' && value !== null) ? 'table' : typeof value;
    return { problem: `expects a number or a period description string (e.g. "3 hours"), not ${type}` };
  }
  const text = value.trim().toLowerCase();
  if (text === 'never') return { seconds: Infinity };
  // COMPAT: Prosody 13 calls a bare "3600" ambiguous and then reads it as seconds; it can mean nothing else.
  if (/^\d+$/.test(text)) return { seconds: Number(text) };
  // COMPAT: Prosody reads the first number and unit and ignores the rest ("1d 12h" is one day,
  // "1.5 hours" one second); refusing keeps Canto and Prosody from reading one config two ways.
  const m = /^(\d+)\s*([a-z]+)$/.exec(text);
  const unit = m ? UNITS[m[2]!] : undefined;
  if (m && unit !== undefined) return { seconds: Number(m[1]) * unit };
  if (m && AMBIGUOUS.has(m[2]!)) {
    return { problem: `is set to ambiguous period '${value}' - use full syntax e.g. '${m[1]} months' or '${m[1]} minutes'` };
  }
  return { problem: 'not understood, expecting a period (e.g. "2 days")' };
}

/**
 * Seconds from a number or a period string, `Infinity` for "never", `undefined` for anything
 * Prosody would log as an error (see `readPeriod` for why).
 */
export function parsePeriod(value: unknown): number | undefined {
  const result = readPeriod(value);
  return 'seconds' in result ? result.seconds : undefined;
}
