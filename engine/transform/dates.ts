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

/** Unix seconds → `YYYY-MM-DD` as the calendar reads in `timezone`. */
export function isoDate(unixSeconds: unknown, timezone: string): string {
  const seconds = toSeconds(unixSeconds, '$date');
  const parts = formatterFor(timezone).formatToParts(new Date(seconds * 1000));
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
