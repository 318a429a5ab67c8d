/**
 * Months of a report and the instant each one is measured at: the last second of the month in the
 * pipeline's timezone (Chargebee timestamps are whole seconds, so "at or before the last second" is
 * "before the next month starts").
 */
import { LedgersyncError } from '../../engine/errors.js';
import { firstSecondOfDay, localDay } from '../../engine/transform/dates.js';

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
