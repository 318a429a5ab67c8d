/**
 * Churn rates per month, from the rounded figures of the MRR report (so a reader can check them):
 * - logo churn rate = customers churned in the month ÷ customers with MRR at the previous month end;
 * - gross revenue churn rate = −(churn + contraction) ÷ MRR at the previous month end;
 * - net revenue churn rate = −(churn + contraction + expansion) ÷ MRR at the previous month end
 *   (negative when expansion outgrows losses). New and reactivated customers are in neither: they had
 *   no MRR at the previous month end.
 * Rates are percentages with two decimals, rounded half away from zero; null when the previous month
 * end had no customer (or no MRR).
 */
import type { MrrMonth, MrrReport } from './mrr.js';
import { formatRatio, ratio } from './ratio.js';

export interface ChurnMonth {
  month: string;
  previousCustomers: number;
  churnedCustomers: number;
  logoChurnRate: string | null;
  previousMrr: bigint;
  /** churn + contraction, minor units, ≤ 0. */
  lostMrr: bigint;
  grossRevenueChurnRate: string | null;
  netRevenueChurnRate: string | null;
}

export interface ChurnReport {
  currency: string;
  exponent: number;
  months: ChurnMonth[];
}

const percent = (part: bigint, whole: bigint): string | null => (whole === 0n ? null : formatRatio(ratio(part * 100n, whole), 2));

function churnMonth(month: MrrMonth): ChurnMonth {
  const lost = month.movements.churn + month.movements.contraction;
  return {
    month: month.month,
    previousCustomers: month.previousCustomers,
    churnedCustomers: month.movers.churn,
    logoChurnRate: percent(BigInt(month.movers.churn), BigInt(month.previousCustomers)),
    previousMrr: month.previousMrr,
    lostMrr: lost,
    grossRevenueChurnRate: percent(-lost, month.previousMrr),
    netRevenueChurnRate: percent(-(lost + month.movements.expansion), month.previousMrr),
  };
}

export function churnReport(mrr: MrrReport): ChurnReport {
  return { currency: mrr.currency, exponent: mrr.exponent, months: mrr.months.map(churnMonth) };
}
