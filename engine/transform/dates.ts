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

function toSeconds(value: unknown, helper: string): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) {
    throw new LedgersyncError('invalid_timestamp', 'record', `${helper}() expects unix seconds, received ${JSON.stringify(value)}`);
  }
  return n;
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
    const local = Date.UTC(get('year'), get('month') - 1, get('day'), get('hour') % 24, get('minute'), get('second')) / 1000;
    offset = local - at;
    if (offsetCache.size > 100_000) offsetCache.clear();
    offsetCache.set(key, offset);
  }
  return offset;
}

const timeFormatters = new Map<string, Intl.DateTimeFormat>();
function formatterWithTime(timezone: string): Intl.DateTimeFormat {
  let f = timeFormatters.get(timezone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: timezone,
      hourCycle: 'h23',
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
  return new Date(local * 1000).toISOString().slice(0, 10);
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
