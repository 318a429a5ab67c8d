/**
 * A price for `period` × `period_unit` → its value for one month, exactly:
 * day × 365/12, week × 52/12, month ÷ period, year ÷ (12 × period) (day and week also ÷ period).
 */
import { LedgersyncError } from '../../engine/errors.js';
import { multiply, ratio, type Ratio } from './ratio.js';

export const PERIOD_UNITS = ['day', 'week', 'month', 'year'] as const;
export type PeriodUnit = (typeof PERIOD_UNITS)[number];

/** Where a period came from, for the error a person reads. */
export interface PeriodContext {
  /** e.g. `item price starter-USD-monthly` */
  subject: string;
  details?: Record<string, unknown>;
}

/** Months per billing period as a factor: the monthly value of a price is price × factor. */
export function monthlyFactor(period: unknown, unit: unknown, context: PeriodContext): Ratio {
  const length = period === undefined || period === null ? 1 : Number(period);
  if (!Number.isSafeInteger(length) || length < 1) {
    throw new LedgersyncError(
      'invalid_billing_period',
      'record',
      `${context.subject} has billing period ${JSON.stringify(period)}, not a positive whole number`,
      {
        fix: 'check the price in Chargebee: period must be 1 or more',
        details: { period, period_unit: unit, ...context.details },
      },
    );
  }
  const cached = factors.get(`${length}|${String(unit)}`);
  if (cached) return cached;
  const factor = factorOf(BigInt(length), unit, period, context);
  factors.set(`${length}|${String(unit)}`, factor);
  return factor;
}

const factors = new Map<string, Ratio>();

function factorOf(p: bigint, unit: unknown, period: unknown, context: PeriodContext): Ratio {
  switch (unit) {
    case 'day':
      return ratio(365n, 12n * p);
    case 'week':
      return ratio(52n, 12n * p);
    case 'month':
      return ratio(1n, p);
    case 'year':
      return ratio(1n, 12n * p);
    default:
      throw new LedgersyncError(
        'unknown_period_unit',
        'record',
        `${context.subject} has period unit ${JSON.stringify(unit)}, which MRR cannot normalise to a month (expected ${PERIOD_UNITS.join(', ')})`,
        {
          fix: 'give the price a period unit of day, week, month or year in Chargebee, or filter it out of the pipeline if it is not recurring',
          details: { period, period_unit: unit, ...context.details },
        },
      );
  }
}

export function monthlyValue(amount: Ratio, period: unknown, unit: unknown, context: PeriodContext): Ratio {
  return multiply(amount, monthlyFactor(period, unit, context));
}
