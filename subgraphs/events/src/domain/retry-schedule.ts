/**
 * When to retry a failed postback delivery. A schedule lists, per attempt, the delay in seconds after the previous
 * one (the first entry is the delay before attempt 1, normally 0), so its length is the total number of attempts.
 * The default spreads 8 attempts over about 27 hours: quick retries for blips, then hours apart so that a receiver
 * that is down for a deploy or an outage overnight still gets the event.
 */

/** Immediately, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. */
export const DEFAULT_RETRY_SCHEDULE_SECONDS = [0, 5, 300, 1800, 7200, 18000, 36000, 36000];

export const MAX_SCHEDULE_ENTRIES = 20;
/**
 * One week per entry. Longer is almost certainly milliseconds typed as seconds, and it keeps every delay far below
 * setTimeout's 2^31-1 ms (~24.8 days) limit, beyond which Node fires the timer immediately instead.
 */
export const MAX_SCHEDULE_ENTRY_SECONDS = 7 * 24 * 3600;
/** A receiver's Retry-After is honoured up to a day, so a misconfigured receiver cannot park deliveries for months. */
export const RETRY_AFTER_CAP_MS = 24 * 3600 * 1000;
/** ±10 %: spreads the retries of many deliveries that failed together (receiver outage) instead of a thundering herd. */
const JITTER = 0.1;

/**
 * POSTBACK_RETRY_SCHEDULE: comma-separated non-negative integer seconds, 1-20 entries, spaces around entries
 * allowed. Unset or blank means the default. Throws with a message naming the offending entry, so a bad deployment
 * fails at startup rather than on the first failed delivery.
 */
export function parseRetrySchedule(text: string | undefined): number[] {
  if (text === undefined || text.trim() === '') return [...DEFAULT_RETRY_SCHEDULE_SECONDS];
  const entries = text.split(',').map((e) => e.trim());
  if (entries.length > MAX_SCHEDULE_ENTRIES)
    throw new Error(`POSTBACK_RETRY_SCHEDULE has ${entries.length} entries; at most ${MAX_SCHEDULE_ENTRIES} are allowed`);
  return entries.map((entry, i) => {
    const where = `POSTBACK_RETRY_SCHEDULE entry ${i + 1} (${JSON.stringify(entry)})`;
    if (!/^\d+$/.test(entry)) throw new Error(`${where} is not a non-negative whole number of seconds`);
    const seconds = Number(entry);
    if (seconds > MAX_SCHEDULE_ENTRY_SECONDS)
      throw new Error(`${where} exceeds the maximum of ${MAX_SCHEDULE_ENTRY_SECONDS} seconds (7 days)`);
    return seconds;
  });
}

/**
 * The delay in ms before the next attempt after attempt `attemptJustFailed` (1-based) failed, or null when that was
 * the last one. The scheduled delay gets ±10 % jitter; a Retry-After from the receiver (429/503) raises it to at
 * least what the receiver asked for, but never lowers it: retrying sooner than planned just because a receiver says
 * "1 second" would defeat the backoff.
 */
export function nextAttemptDelayMs(
  schedule: number[],
  attemptJustFailed: number,
  retryAfterHeader: string | null,
  random: () => number = Math.random,
  now = new Date(),
): number | null {
  if (!Number.isInteger(attemptJustFailed) || attemptJustFailed < 1)
    throw new RangeError(`attemptJustFailed is 1-based, got ${attemptJustFailed}`);
  if (attemptJustFailed >= schedule.length) return null;
  const baseMs = schedule[attemptJustFailed] * 1000;
  const jittered = Math.max(0, Math.round(baseMs * (1 + (random() * 2 - 1) * JITTER)));
  const retryAfter = parseRetryAfter(retryAfterHeader, now);
  return retryAfter === null ? jittered : Math.max(jittered, retryAfter);
}

const DAY3 = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'];
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const MON = MONTHS.join('|');
// The three HTTP-date forms RFC 9110 §5.6.7 obliges recipients to accept. Matched exactly rather than with
// Date.parse, which reads almost anything ("1", "soon 5") as some date.
const IMF_FIXDATE = new RegExp(`^(?:${DAY3.join('|')}), (\\d{2}) (${MON}) (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`, 'i');
const RFC850_DATE = new RegExp(
  `^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday), (\\d{2})-(${MON})-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`,
  'i',
);
const ASCTIME_DATE = new RegExp(`^(?:${DAY3.join('|')}) (${MON}) ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})$`, 'i');

/** Epoch ms of an HTTP-date, or null. Rejects impossible dates (31 Feb) instead of letting Date roll them over. */
function parseHttpDate(value: string, now: Date): number | null {
  let day: number, month: string, year: number, h: number, m: number, s: number;
  let match: RegExpExecArray | null;
  if ((match = IMF_FIXDATE.exec(value))) {
    [day, month, year, h, m, s] = [+match[1], match[2], +match[3], +match[4], +match[5], +match[6]];
  } else if ((match = RFC850_DATE.exec(value))) {
    [day, month, h, m, s] = [+match[1], match[2], +match[4], +match[5], +match[6]];
    // Two-digit year: RFC 9110 says a year more than 50 years ahead means the previous century.
    const nowYear = now.getUTCFullYear();
    year = Math.floor(nowYear / 100) * 100 + Number(match[3]);
    if (year > nowYear + 50) year -= 100;
  } else if ((match = ASCTIME_DATE.exec(value))) {
    [month, day, h, m, s, year] = [match[1], +match[2].trim(), +match[3], +match[4], +match[5], +match[6]];
  } else {
    return null;
  }
  const monthIndex = MONTHS.indexOf(month.toLowerCase());
  const ms = Date.UTC(year, monthIndex, day, h, m, s);
  const d = new Date(ms);
  const exact =
    d.getUTCFullYear() === year &&
    d.getUTCMonth() === monthIndex &&
    d.getUTCDate() === day &&
    d.getUTCHours() === h &&
    d.getUTCMinutes() === m &&
    d.getUTCSeconds() === s;
  return exact ? ms : null;
}

/**
 * A Retry-After header as a delay in ms from `now`: delay-seconds ("120") or an HTTP-date; a date in the past is 0.
 * Capped at 24 h. Null when absent or unparseable (negative and fractional seconds included: RFC 9110 allows only
 * digits), so garbage from a receiver is ignored rather than trusted.
 */
export function parseRetryAfter(value: string | null, now: Date): number | null {
  if (value === null) return null;
  const v = value.trim();
  if (v === '') return null;
  let ms: number | null;
  if (/^\d+$/.test(v)) ms = Number(v) * 1000;
  else {
    const at = parseHttpDate(v, now);
    ms = at === null ? null : Math.max(0, at - now.getTime());
  }
  return ms === null ? null : Math.min(ms, RETRY_AFTER_CAP_MS);
}
