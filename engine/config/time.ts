/** Timezone and `start_date` checks, with the date read in the pipeline's own timezone. */
import { isValidTimezone, zoneOffsetSeconds } from '../transform/dates.js';

export { isValidTimezone };

const dateOnly = /^(\d{4})-(\d{2})-(\d{2})$/;
const localDateTime = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?$/;
const zonedDateTime = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})$/;

/**
 * Unix seconds of a `YYYY-MM-DD` (midnight) or ISO date-time. A date-time without offset is
 * wall-clock time in `timezone`. Undefined when the text is not a real date.
 */
export function startDateSeconds(text: string, timezone: string): number | undefined {
  if (zonedDateTime.test(text)) {
    const ms = Date.parse(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
  }
  const m = dateOnly.exec(text) ?? localDateTime.exec(text);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s] = [m[1], m[2], m[3], m[4] ?? '0', m[5] ?? '0', m[6] ?? '0'].map(Number) as [number, number, number, number, number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi, s);
  const check = new Date(wall);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d || h > 23 || mi > 59 || s > 59) return undefined;
  // The offset at the guessed instant, then again at the corrected one, settles DST edges.
  let instant = wall - offsetMs(wall, timezone);
  instant = wall - offsetMs(instant, timezone);
  return Math.floor(instant / 1000);
}

/** How far `timezone`'s wall clock is ahead of UTC at `instant` (milliseconds). */
function offsetMs(instant: number, timezone: string): number {
  return zoneOffsetSeconds(Math.floor(instant / 1000), timezone) * 1000;
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
