/**
 * A price for `period` × `period_unit` → its value for one month, exactly:
 * day × 365/12, week × 52/12, month ÷ period, year ÷ (12 × period) (day and week also ÷ period).
 */
import { LedgersyncError } from '../../engine/errors.js';
import { formatRatio, multiply, ratio, requireRatio, type Ratio } from './ratio.js';

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

/** Decimals of `$monthly()`'s result when the division does not end sooner: a millionth of a unit. */
export const MONTHLY_DECIMALS = 6;

function scaleOf(amount: unknown): number {
  const text = typeof amount === 'string' ? amount.trim() : typeof amount === 'number' ? String(amount) : '';
  const fraction = /^[+-]?\d*\.(\d+)$/.exec(text)?.[1];
  return Math.min(fraction?.length ?? 0, MONTHLY_DECIMALS);
}

/**
 * `$monthly(amount, period, period_unit)` in a mapping: the price of one billing period (a decimal
 * string such as `$money()` gives) → its value for one month, as a decimal string. Exact when the
 * division ends within six decimals (`"1200.00"` a year → `"100.00"`), else rounded half away from
 * zero to six (`"5.00"` a week → `"21.666667"`); never shorter than the amount's own decimals. The
 * period unit is checked even without an amount, so a price with an unknown unit is dead-lettered
 * (`unknown_period_unit`) rather than written.
 */
export function monthlyAmount(amount: unknown, period: unknown, unit: unknown): string | undefined {
  const factor = monthlyFactor(period, unit, { subject: 'the price' });
  if (amount === undefined || amount === null || amount === '') return undefined;
  const value = multiply(requireRatio(amount, '$monthly() amount'), factor);
  const [whole, fraction = ''] = formatRatio(value, MONTHLY_DECIMALS).split('.');
  const keep = scaleOf(amount);
  let digits = fraction;
  while (digits.length > keep && digits.endsWith('0')) digits = digits.slice(0, -1);
  return digits ? `${whole}.${digits}` : whole;
}
