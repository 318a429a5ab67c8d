/**
 * The reports as flat rows of strings: amounts as exact decimal strings in the reporting currency's
 * major unit, rates as percentages with two decimals. Every renderer starts from these.
 */
import type { ChurnReport } from '../churn.js';
import type { CohortReport } from '../cohorts.js';
import type { MrrReport } from '../mrr.js';
import { formatMinor } from '../ratio.js';

export interface MrrRow {
  month: string;
  mrr: string;
  customers: number;
  new: string;
  expansion: string;
  contraction: string;
  churn: string;
  reactivation: string;
  temporary_discounts: string;
}

export interface ChurnRow {
  month: string;
  customers_at_start: number;
  churned_customers: number;
  logo_churn_rate: string | null;
  mrr_at_start: string;
  lost_mrr: string;
  gross_revenue_churn_rate: string | null;
  net_revenue_churn_rate: string | null;
}

export interface CohortMonthRow {
  month: string;
  age: number;
  mrr: string;
  customers: number;
  revenue_retention: string | null;
  logo_retention: string;
}

export interface CohortRow {
  cohort: string;
  customers: number;
  starting_mrr: string;
  months: CohortMonthRow[];
}

export function mrrRows(report: MrrReport): MrrRow[] {
  const money = (minor: bigint) => formatMinor(minor, report.exponent);
  return report.months.map((m) => ({
    month: m.month,
    mrr: money(m.mrr),
    customers: m.customers,
    new: money(m.movements.new),
    expansion: money(m.movements.expansion),
    contraction: money(m.movements.contraction),
    churn: money(m.movements.churn),
    reactivation: money(m.movements.reactivation),
    temporary_discounts: money(m.temporaryDiscounts),
  }));
}

export function churnRows(report: ChurnReport): ChurnRow[] {
  const money = (minor: bigint) => formatMinor(minor, report.exponent);
  return report.months.map((m) => ({
    month: m.month,
    customers_at_start: m.previousCustomers,
    churned_customers: m.churnedCustomers,
    logo_churn_rate: m.logoChurnRate,
    mrr_at_start: money(m.previousMrr),
    lost_mrr: money(m.lostMrr),
    gross_revenue_churn_rate: m.grossRevenueChurnRate,
    net_revenue_churn_rate: m.netRevenueChurnRate,
  }));
}

export function cohortRows(report: CohortReport): CohortRow[] {
  const money = (minor: bigint) => formatMinor(minor, report.exponent);
  return report.cohorts.map((c) => ({
    cohort: c.cohort,
    customers: c.customers,
    starting_mrr: money(c.startingMrr),
    months: c.months.map((m) => ({
      month: m.month,
      age: m.age,
      mrr: money(m.mrr),
      customers: m.customers,
      revenue_retention: m.revenueRetention,
      logo_retention: m.logoRetention,
    })),
  }));
}
