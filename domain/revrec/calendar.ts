/**
 * Accounting periods in the pipeline's timezone. A day is a civil date counted as days since
 * 1970-01-01, so period arithmetic is integer arithmetic and never depends on the host's timezone.
 */
import { zoneOffsetSeconds } from '../../engine/transform/dates.js';

export type PeriodKind = 'month' | 'quarter';

/** Days since 1970-01-01 of a civil date (proleptic Gregorian). */
export function civilToDay(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const mp = (month + 9) % 12;
  const doy = Math.floor((153 * mp + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146097 + doe - 719468;
}

/** Civil date of a day number. */
export function dayToCivil(dayNumber: number): { year: number; month: number; day: number } {
  const z = dayNumber + 719468;
  const era = Math.floor(z / 146097);
  const doe = z - era * 146097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const month = mp < 10 ? mp + 3 : mp - 9;
  return { year: yoe + era * 400 + (month <= 2 ? 1 : 0), month, day };
}

export function formatDay(dayNumber: number): string {
  const { year, month, day } = dayToCivil(dayNumber);
  return `${String(year).padStart(4, '0')}-${String(month).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
}

/** Parses `YYYY-MM-DD` into a day number. */
export function parseDay(text: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (!match) throw new RangeError(`expected a date YYYY-MM-DD, received "${text}"`);
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const dayNumber = civilToDay(year, month, day);
  const back = dayToCivil(dayNumber);
  if (back.month !== month || back.day !== day) throw new RangeError(`"${text}" is not a calendar date`);
  return dayNumber;
}

/** One accounting period: its key (`2026-10`, `2026-Q4`), first day and the day after its last. */
export interface Period {
  key: string;
  /** Ordinal of the period (months or quarters since year 0), for ordering and ranges. */
  index: number;
  firstDay: number;
  /** Exclusive end: the first day of the next period. */
  endDay: number;
}

export class PeriodCalendar {
  readonly kind: PeriodKind;
  readonly timezone: string;
  private readonly cache = new Map<number, Period>();

  /**
   * @param kind accounting period length: `month` (default) or `quarter`
   * @param timezone IANA zone the periods and service dates are read in (default `UTC`)
   */
  constructor(kind: PeriodKind = 'month', timezone = 'UTC') {
    if (kind !== 'month' && kind !== 'quarter') throw new RangeError(`expected period "month" or "quarter", received "${String(kind)}"`);
    this.kind = kind;
    this.timezone = timezone;
  }

  /** Civil day (in the calendar's timezone) of a unix timestamp in seconds. */
  dayOf(unixSeconds: number): number {
    if (this.timezone === 'UTC') return Math.floor(unixSeconds / 86_400);
    return Math.floor((unixSeconds + this.offsetAt(unixSeconds)) / 86_400);
  }

  /** UTC offset in seconds at an instant (cached per quarter hour by the shared helper). */
  private offsetAt(unixSeconds: number): number {
    return zoneOffsetSeconds(unixSeconds, this.timezone);
  }

  /** Period index containing a day. */
  indexOfDay(dayNumber: number): number {
    const { year, month } = dayToCivil(dayNumber);
    return this.kind === 'month' ? year * 12 + (month - 1) : year * 4 + Math.floor((month - 1) / 3);
  }

  period(index: number): Period {
    const cached = this.cache.get(index);
    if (cached) return cached;
    const months = this.kind === 'month' ? 1 : 3;
    const firstMonth = index * months;
    const year = Math.floor(firstMonth / 12);
    const month = (firstMonth % 12) + 1;
    const next = firstMonth + months;
    const period: Period = {
      key: this.kind === 'month' ? `${year}-${String(month).padStart(2, '0')}` : `${year}-Q${(month - 1) / 3 + 1}`,
      index,
      firstDay: civilToDay(year, month, 1),
      endDay: civilToDay(Math.floor(next / 12), (next % 12) + 1, 1),
    };
    this.cache.set(index, period);
    return period;
  }

  periodOfDay(dayNumber: number): Period {
    return this.period(this.indexOfDay(dayNumber));
  }

  /** Parses a period key of this calendar's kind: `2026-10` for months, `2026-Q4` for quarters. */
  parseKey(key: string): Period {
    const monthly = /^(\d{4})-(\d{2})$/.exec(key);
    const quarterly = /^(\d{4})-Q([1-4])$/.exec(key);
    if (this.kind === 'month' && monthly && Number(monthly[2]) >= 1 && Number(monthly[2]) <= 12) {
      return this.period(Number(monthly[1]) * 12 + Number(monthly[2]) - 1);
    }
    if (this.kind === 'quarter' && quarterly) return this.period(Number(quarterly[1]) * 4 + Number(quarterly[2]) - 1);
    throw new RangeError(`expected a ${this.kind === 'month' ? 'month like "2026-10"' : 'quarter like "2026-Q4"'}, received "${key}"`);
  }
}
