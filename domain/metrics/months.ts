/**
 * Months of a report and the instant each one is measured at: the last second of the month in the
 * pipeline's timezone (Chargebee timestamps are whole seconds, so "at or before the last second" is
 * "before the next month starts").
 */
import { LedgersyncError } from '../../engine/errors.js';
import { zoneOffsetSeconds } from '../../engine/transform/dates.js';

const DAY = 86_400;

/** Month ordinal: year × 12 + (month − 1). */
export type MonthIndex = number;

export function monthKey(index: MonthIndex): string {
  const year = Math.floor(index / 12);
  return `${String(year).padStart(4, '0')}-${String((index % 12) + 1).padStart(2, '0')}`;
}

/** Parses `YYYY-MM`; `what` names the option in the error (`--from`). */
export function parseMonth(text: string, what: string): MonthIndex {
  const match = /^(\d{4})-(\d{2})$/.exec(text);
  const month = match ? Number(match[2]) : 0;
  if (!match || month < 1 || month > 12) {
    throw new LedgersyncError('invalid_month', 'config', `${what} must be a month like 2026-03, received "${text}"`, {
      fix: `write ${what} as YYYY-MM`,
      details: { option: what, value: text },
    });
  }
  return Number(match[1]) * 12 + month - 1;
}

function localDay(unixSeconds: number, timezone: string): number {
  const offset = timezone === 'UTC' ? 0 : zoneOffsetSeconds(unixSeconds, timezone);
  return Math.floor((unixSeconds + offset) / DAY);
}

/**
 * The first second whose civil date in `timezone` is `day` or later. A binary search rather than
 * "midnight minus the offset", because some zones skip midnight on the day their clocks move.
 */
function firstSecondOfDay(day: number, timezone: string): number {
  let low = day * DAY - 15 * 3600;
  let high = day * DAY + 15 * 3600;
  while (low < high) {
    const mid = Math.floor((low + high) / 2);
    if (localDay(mid, timezone) >= day) high = mid;
    else low = mid + 1;
  }
  return low;
}

/** The month containing an instant, in `timezone`. */
export function monthOfInstant(unixSeconds: number, timezone: string): MonthIndex {
  const date = new Date(localDay(unixSeconds, timezone) * DAY * 1000);
  return date.getUTCFullYear() * 12 + date.getUTCMonth();
}

/** Last second of the month in `timezone`, in unix seconds. */
export function monthEndInstant(index: MonthIndex, timezone: string): number {
  const next = index + 1;
  const firstDayOfNext = Date.UTC(Math.floor(next / 12), next % 12, 1) / 1000 / DAY;
  return firstSecondOfDay(firstDayOfNext, timezone) - 1;
}
