/** Timezone and `start_date` checks, with the date read in the pipeline's own timezone. */
import { dayNumber, firstSecondOfDay, isValidTimezone, utcSeconds, zoneOffsetSeconds } from '../transform/dates.js';

export { isValidTimezone };

const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/;
const localDateTime = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;
const zonedDateTime = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;
const leadingDateTime = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2}))?)?/;

const DAY = 86_400;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const isLeapYear = (year: number) => year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);

/**
 * Whether the date (years 0001–9999) and the time of day (00:00:00–23:59:59) an ISO 8601 text
 * starts with are on the calendar and the clock. Date.parse rolls 2025-02-30 over to 2 March and
 * 24:00 to the next day, so a text is checked here before it is parsed.
 */
export function isCalendarDateTime(text: string): boolean {
  const m = leadingDateTime.exec(text);
  if (!m) return false;
  const field = (group: number) => Number(m[group] ?? 0);
  const [year, month, day, hour, minute, second] = [field(1), field(2), field(3), field(4), field(5), field(6)];
  if (year < 1 || month < 1 || month > 12 || day < 1) return false;
  const days = month === 2 && isLeapYear(year) ? 29 : (DAYS_IN_MONTH[month - 1] ?? 0);
  return day <= days && hour <= 23 && minute <= 59 && second <= 59;
}

/**
 * Unix seconds of a `YYYY-MM-DD` (the first second of that day) or ISO date-time. A date-time
 * without offset is wall-clock time in `timezone`. Undefined when the text is not a real date.
 */
export function startDateSeconds(text: string, timezone: string): number | undefined {
  if (!isCalendarDateTime(text)) return undefined;
  if (zonedDateTime.test(text)) {
    const ms = Date.parse(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
  }
  const m = dateOnly.exec(text) ?? localDateTime.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  // Not midnight minus an offset: a zone that moves its clocks at midnight starts that day at 01:00.
  if (m[4] === undefined) return firstSecondOfDay(dayNumber(y, mo, d), timezone);
  return wallClockSeconds(utcSeconds(y, mo, d, h, mi, s), timezone);
}

/**
 * The instant `timezone`'s clock reads `wall` (a local date-time counted as if it were UTC). A time
 * read twice (clocks going back) is the earlier; a time the clock skips (clocks going forward) is
 * read with the offset before the jump, as RFC 5545 does, so it lands after the jump, on its day.
 */
function wallClockSeconds(wall: number, timezone: string): number {
  // The offsets a day either side: a clock changes at most once in between.
  const withOffsetBefore = wall - zoneOffsetSeconds(wall - DAY, timezone);
  const withOffsetAfter = wall - zoneOffsetSeconds(wall + DAY, timezone);
  const reads = (instant: number) => instant + zoneOffsetSeconds(instant, timezone) === wall;
  const [earlier, later] = withOffsetBefore <= withOffsetAfter ? [withOffsetBefore, withOffsetAfter] : [withOffsetAfter, withOffsetBefore];
  if (reads(earlier)) return earlier;
  if (reads(later)) return later;
  return withOffsetBefore;
}

/**
 * Abbreviations people write for a region's time and the IANA zone they almost always mean. The
 * abbreviations the time-zone database does know (EST, MST, HST: fixed offsets all year; CST, PST,
 * IST, BST: legacy aliases, BST being Dhaka) never follow the region's summer time, or not the
 * region meant, so a date near midnight lands on the wrong day for half the year.
 */
const ABBREVIATIONS: Readonly<Record<string, string>> = {
  EST: 'America/New_York',
  EDT: 'America/New_York',
  EST5EDT: 'America/New_York',
  CST: 'America/Chicago',
  CDT: 'America/Chicago',
  CST6CDT: 'America/Chicago',
  MST: 'America/Denver (or America/Phoenix, which keeps standard time)',
  MDT: 'America/Denver',
  MST7MDT: 'America/Denver',
  PST: 'America/Los_Angeles',
  PDT: 'America/Los_Angeles',
  PST8PDT: 'America/Los_Angeles',
  AKST: 'America/Anchorage',
  HST: 'Pacific/Honolulu',
  BST: 'Europe/London',
  WET: 'Europe/Lisbon',
  CET: 'Europe/Paris (or Europe/Berlin, Europe/Amsterdam…)',
  CEST: 'Europe/Paris',
  MET: 'Europe/Paris',
  EET: 'Europe/Athens (or Europe/Helsinki…)',
  MSK: 'Europe/Moscow',
  IST: 'Asia/Kolkata (or Europe/Dublin, Asia/Jerusalem)',
  JST: 'Asia/Tokyo',
  AEST: 'Australia/Sydney (or Australia/Brisbane, which keeps standard time)',
  AEDT: 'Australia/Sydney',
  NZST: 'Pacific/Auckland',
};

/** A message for a time-zone abbreviation written where an IANA zone belongs, else undefined. */
export function timezoneAbbreviationProblem(zone: string): string | undefined {
  const meant = ABBREVIATIONS[zone.toUpperCase()];
  if (meant === undefined) return undefined;
  return `timezone '${zone}' is an abbreviation, not a region: it follows no summer-time rules of the place meant (or names another place); use the IANA zone, e.g. ${meant}`;
}
