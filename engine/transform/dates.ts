/** Unix seconds → calendar strings in a timezone, through Intl (no date library). */
import { LedgersyncError } from '../errors.js';

const dateFormatters = new Map<string, Intl.DateTimeFormat>();

function formatterFor(timezone: string): Intl.DateTimeFormat {
  let f = dateFormatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-CA', { timeZone: timezone, year: 'numeric', month: '2-digit', day: '2-digit' });
    dateFormatters.set(timezone, f);
  }
  return f;
}

/** 0001-01-01T00:00:00Z and 10000-01-01T00:00:00Z in unix seconds: a date outside has no `YYYY-MM-DD`. */
const FIRST_SECOND = -62_135_596_800;
const END_SECOND = 253_402_300_800;
const inCalendar = (seconds: number) => seconds >= FIRST_SECOND && seconds < END_SECOND;

function toSeconds(value: unknown, helper: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new LedgersyncError('invalid_timestamp', 'record', `${helper}() expects unix seconds, received ${JSON.stringify(value)}`);
  }
  if (!inCalendar(n)) throw outOfCalendar(helper, value, n, 'UTC');
  return n;
}

/**
 * A timestamp past the years 1–9999 (in `timezone`): written as text it would be an extended year
 * ("+055840-11") or fail in the Date; most often it is in milliseconds or microseconds.
 */
function outOfCalendar(helper: string, value: unknown, seconds: number, timezone: string): LedgersyncError {
  // Only a value past the UTC range can be a larger unit: one inside it is past only the zone's edge.
  const pastUtc = !inCalendar(seconds);
  const unit = !pastUtc ? undefined : inCalendar(seconds / 1000) ? 'milliseconds' : inCalendar(seconds / 1_000_000) ? 'microseconds' : undefined;
  const divisor = unit === 'milliseconds' ? '1000' : '1000000';
  const fix = unit
    ? `${unit}? divide by ${divisor} in the mapping, e.g. ${helper}(created_at / ${divisor})`
    : pastUtc
      ? 'pass unix seconds (seconds since 1970-01-01T00:00:00Z)'
      : `the instant falls outside the years 1–9999 in ${timezone}: correct the source value or leave it out of the mapping`;
  return new LedgersyncError(
    'invalid_timestamp',
    'record',
    `${helper}() expects unix seconds between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z${timezone === 'UTC' ? '' : ` (as dated in ${timezone})`}, received ${JSON.stringify(value)}`,
    { fix, details: { helper, value: JSON.stringify(value), timezone } },
  );
}

const QUARTER_HOUR = 900;
const offsetCache = new Map<string, number>();

/**
 * The zone's UTC offset in seconds at `seconds`. Offsets only change on quarter-hour boundaries,
 * so one Intl call serves every instant of a quarter hour (Intl is slow on per-record paths).
 */
export function zoneOffsetSeconds(seconds: number, timezone: string): number {
  const bucket = Math.floor(seconds / QUARTER_HOUR);
  const key = `${timezone}|${bucket}`;
  let offset = offsetCache.get(key);
  if (offset === undefined) {
    const at = bucket * QUARTER_HOUR;
    const parts = formatterWithTime(timezone).formatToParts(new Date(at * 1000));
    const get = (type: string) => Number(parts.find((p) => p.type === type)?.value ?? 0);
    const year = parts.find((p) => p.type === 'era')?.value === 'BC' ? 1 - get('year') : get('year');
    const local = utcSeconds(year, get('month'), get('day'), get('hour') % 24, get('minute'), get('second'));
    offset = local - at;
    if (offsetCache.size > 100_000) offsetCache.clear();
    offsetCache.set(key, offset);
  }
  return offset;
}

/** Date.UTC reads years 0–99 as 1900–1999; setUTCFullYear takes the year as given. */
export function utcSeconds(year: number, month: number, day: number, hour: number, minute: number, second: number): number {
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, 0);
  return date.getTime() / 1000;
}

const DAY = 86_400;

/** Days since 1970-01-01 of a calendar date (`month` 1–12). */
export function dayNumber(year: number, month: number, day: number): number {
  return Math.floor(utcSeconds(year, month, day, 0, 0, 0) / DAY);
}

/** The civil date of an instant in `timezone`, as days since 1970-01-01. */
export function localDay(unixSeconds: number, timezone: string): number {
  const offset = timezone === 'UTC' ? 0 : zoneOffsetSeconds(unixSeconds, timezone);
  return Math.floor((unixSeconds + offset) / DAY);
}

/**
 * The first second whose civil date in `timezone` is `day` (days since 1970-01-01) or later. A
 * binary search rather than "midnight minus the offset": some zones skip midnight on the day their
 * clocks move (America/Santiago's 2025-09-07 starts at 01:00 -03), and there the offset after the
 * jump puts midnight at 23:00 on the day before.
 */
export function firstSecondOfDay(day: number, timezone: string): number {
  let low = day * DAY - 15 * 3600;
  let high = day * DAY + 15 * 3600;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (localDay(mid, timezone) >= day) high = mid;
    else low = mid + 1;
  }
  return low;
}

const timeFormatters = new Map<string, Intl.DateTimeFormat>();
function formatterWithTime(timezone: string): Intl.DateTimeFormat {
  let f = timeFormatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
      // The era tells 1 BC (year 0 of the proleptic calendar) from AD 1: both are "1" without it.
      era: 'short',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    timeFormatters.set(timezone, f);
  }
  return f;
}

/** Unix seconds → `YYYY-MM-DD` as the calendar reads in `timezone`. */
export function isoDate(unixSeconds: unknown, timezone: string): string {
  const seconds = toSeconds(unixSeconds, '$date');
  const local = timezone === 'UTC' ? seconds : seconds + zoneOffsetSeconds(seconds, timezone);
  if (!inCalendar(local)) throw outOfCalendar('$date', unixSeconds, seconds, timezone);
  return utcCalendarDate(local);
}

const MS_PER_DAY = 86_400_000;
/** 0001-01-01 and 9999-12-31 in days since 1970: outside, toISOString's extended years apply. */
const FIRST_DAY = -719_162;
const LAST_DAY = 2_932_896;
const pad2 = (n: number) => (n < 10 ? '0' : '') + n;

/**
 * `new Date(seconds * 1000).toISOString().slice(0, 10)` without the Date: `$date` runs several
 * times per record, and toISOString was a quarter of a compiled mapping's time. Days to civil
 * date by Howard Hinnant's algorithm; a test compares it with toISOString.
 */
export function utcCalendarDate(seconds: number): string {
  const days = Math.floor(Math.trunc(seconds * 1000) / MS_PER_DAY);
  if (!(days >= FIRST_DAY && days <= LAST_DAY)) return new Date(seconds * 1000).toISOString().slice(0, 10);
  // Records of a run fall on a few hundred days: each day's text is worked out once.
  let text = calendarDays.get(days);
  if (text === undefined) {
    text = civilDate(days);
    if (calendarDays.size >= CALENDAR_DAYS_KEPT) calendarDays.clear();
    calendarDays.set(days, text);
  }
  return text;
}

const calendarDays = new Map<number, string>();
const CALENDAR_DAYS_KEPT = 8192;

function civilDate(days: number): string {
  const z = days + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0);
  return String(year).padStart(4, '0') + '-' + pad2(month) + '-' + pad2(day);
}

/** The slow, obviously right version, for tests of the fast one. */
export function isoDateByIntl(unixSeconds: number, timezone: string): string {
  const parts = formatterFor(timezone).formatToParts(new Date(unixSeconds * 1000));
  const get = (type: string) => parts.find((p) => p.type === type)?.value ?? '';
  return `${get('year')}-${get('month')}-${get('day')}`;
}

/** Unix seconds → ISO 8601 instant in UTC (`2026-10-01T12:00:00Z`). */
export function isoDateTime(unixSeconds: unknown): string {
  const seconds = toSeconds(unixSeconds, '$datetime');
  return new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

export function isValidTimezone(timezone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return true;
  } catch {
    return false;
  }
}
