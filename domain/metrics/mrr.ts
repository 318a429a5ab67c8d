/**
 * MRR month by month and its movements, classified per customer against the previous month end:
 * - new: MRR now, none at the previous month end nor at any earlier one;
 * - reactivation: MRR now, none at the previous month end, some at an earlier one;
 * - expansion / contraction: MRR at both month ends, more / less now (exchange rates alone count);
 * - churn: MRR at the previous month end, none now.
 * Each month's MRR is rounded once to the reporting currency's minor unit; the movements are rounded
 * so that they sum exactly to the change of the rounded MRR (largest remainders), keeping their signs.
 */
import { currencyExponent } from '../money/money.js';
import { LedgersyncError } from '../../engine/errors.js';
import { monthKey } from './months.js';
import { compare, floor, ratio, RatioSum, roundToMinor, sign, subtract, ZERO, type Ratio } from './ratio.js';
import type { Series } from './series.js';

export const MOVEMENTS = ['new', 'expansion', 'contraction', 'churn', 'reactivation'] as const;
export type Movement = (typeof MOVEMENTS)[number];

export interface MrrMonth {
  month: string;
  /** Minor units of the reporting currency. */
  mrr: bigint;
  /** Customers with MRR at the month end. */
  customers: number;
  movements: Record<Movement, bigint>;
  /** Customers per movement. */
  movers: Record<Movement, number>;
  /** Temporary discounts in force at the month end (not taken off MRR). */
  temporaryDiscounts: bigint;
  /** MRR and customers at the previous month end. */
  previousMrr: bigint;
  previousCustomers: number;
}

export interface MrrReport {
  currency: string;
  /** Minor-unit digits of the currency. */
  exponent: number;
  months: MrrMonth[];
}

/**
 * Rounds exact amounts (minor units) to integers summing to `target`: floors, then one unit each to
 * the largest remainders, earliest first on a tie. `target` is within one unit of the exact sum, so
 * only amounts with a remainder gain a unit, and a negative amount never turns positive.
 */
export function roundToTarget(amounts: readonly Ratio[], target: bigint): bigint[] {
  const floors = amounts.map(floor);
  let left = target - floors.reduce((a, b) => a + b, 0n);
  const remainders = amounts.map((amount, i) => subtract(amount, ratio(floors[i] as bigint)));
  const order = remainders.map((_, i) => i).sort((a, b) => compare(remainders[b] as Ratio, remainders[a] as Ratio) || a - b);
  if (left < 0n || left > BigInt(remainders.filter((r) => sign(r) > 0).length)) {
    throw new LedgersyncError('rounding_invariant', 'system', `movements cannot be rounded to a change of ${target} minor units`, {
      details: { left: String(left) },
    });
  }
  for (const i of order) {
    if (left === 0n) break;
    floors[i] = (floors[i] as bigint) + 1n;
    left -= 1n;
  }
  return floors;
}

const scale = (amount: Ratio, exponent: number): Ratio => ({ n: amount.n * 10n ** BigInt(exponent), d: amount.d });

export function mrrReport(series: Series): MrrReport {
  const exponent = currencyExponent(series.currency);
  const months = series.to - series.convertedFrom + 1;
  const totals = Array.from({ length: months }, () => new RatioSum());
  const counts: number[] = new Array(months).fill(0);
  const exact = Array.from({ length: months }, () => MOVEMENTS.map(() => new RatioSum()));
  const movers: number[][] = Array.from({ length: months }, () => MOVEMENTS.map(() => 0));

  for (const customer of series.customers) {
    for (let k = 0; k < months; k++) {
      const now = customer.mrr[k];
      if (now !== undefined) {
        totals[k]?.add(now);
        counts[k] = (counts[k] as number) + 1;
      }
      if (k === 0) continue;
      const before = customer.mrr[k - 1];
      let movement: number;
      let amount: Ratio;
      if (now !== undefined && before === undefined) {
        const month = series.convertedFrom + k;
        const earlier = customer.firstMonth !== undefined && customer.firstMonth < month - 1;
        movement = MOVEMENTS.indexOf(earlier ? 'reactivation' : 'new');
        amount = now;
      } else if (now === undefined && before !== undefined) {
        movement = MOVEMENTS.indexOf('churn');
        amount = subtract(ZERO, before);
      } else if (now !== undefined && before !== undefined) {
        // Most customers keep the very same value object from month to month: no arithmetic then.
        if (now === before) continue;
        const direction = compare(now, before);
        if (direction === 0) continue;
        amount = subtract(now, before);
        movement = MOVEMENTS.indexOf(direction > 0 ? 'expansion' : 'contraction');
      } else {
        continue;
      }
      exact[k]?.[movement]?.add(amount);
      (movers[k] as number[])[movement] = ((movers[k] as number[])[movement] as number) + 1;
    }
  }

  const rounded = totals.map((total) => roundToMinor(total.total(), exponent));
  const result: MrrMonth[] = [];
  for (let k = 1; k < months; k++) {
    const change = (rounded[k] as bigint) - (rounded[k - 1] as bigint);
    const movementMinor = roundToTarget(
      (exact[k] as RatioSum[]).map((amount) => scale(amount.total(), exponent)),
      change,
    );
    result.push({
      month: monthKey(series.convertedFrom + k),
      mrr: rounded[k] as bigint,
      customers: counts[k] as number,
      movements: Object.fromEntries(MOVEMENTS.map((m, i) => [m, movementMinor[i] as bigint])) as Record<Movement, bigint>,
      movers: Object.fromEntries(MOVEMENTS.map((m, i) => [m, (movers[k] as number[])[i] as number])) as Record<Movement, number>,
      temporaryDiscounts: roundToMinor(series.temporaryDiscounts[k] as Ratio, exponent),
      previousMrr: rounded[k - 1] as bigint,
      previousCustomers: counts[k - 1] as number,
    });
  }
  return { currency: series.currency, exponent, months: result };
}
