/**
 * Revenue retention by start month. A customer's cohort is the first month whose end found it with
 * MRR (over all history). For each cohort starting in the report's range and each month from its
 * start to the report's end: the cohort's MRR then (customers who left count zero, expansions count
 * in full, so retention can pass 100 %) ÷ its MRR at its first month end, and the share of its
 * customers still with MRR. Percentages with two decimals from the rounded amounts.
 */
import { currencyExponent } from '../money/money.js';
import { monthKey } from './months.js';
import { formatRatio, ratio, RatioSum, roundToMinor } from './ratio.js';
import type { CustomerSeries, Series } from './series.js';

export interface CohortMonth {
  month: string;
  /** Months since the cohort's start: 0 is the start month. */
  age: number;
  mrr: bigint;
  customers: number;
  revenueRetention: string | null;
  logoRetention: string;
}

export interface Cohort {
  cohort: string;
  customers: number;
  startingMrr: bigint;
  months: CohortMonth[];
}

export interface CohortReport {
  currency: string;
  exponent: number;
  cohorts: Cohort[];
}

export function cohortReport(series: Series): CohortReport {
  const exponent = currencyExponent(series.currency);
  const members = new Map<number, CustomerSeries[]>();
  for (const customer of series.customers) {
    const start = customer.firstMonth;
    if (start === undefined || start < series.from || start > series.to) continue;
    const list = members.get(start);
    if (list) list.push(customer);
    else members.set(start, [customer]);
  }
  const cohorts: Cohort[] = [];
  for (const start of [...members.keys()].sort((a, b) => a - b)) {
    const list = members.get(start) as CustomerSeries[];
    const months: CohortMonth[] = [];
    let startingMrr = 0n;
    for (let month = start; month <= series.to; month++) {
      const k = month - series.convertedFrom;
      const total = new RatioSum();
      let customers = 0;
      for (const customer of list) {
        const value = customer.mrr[k];
        if (value === undefined) continue;
        total.add(value);
        customers++;
      }
      const mrr = roundToMinor(total.total(), exponent);
      if (month === start) startingMrr = mrr;
      months.push({
        month: monthKey(month),
        age: month - start,
        mrr,
        customers,
        revenueRetention: startingMrr === 0n ? null : formatRatio(ratio(mrr * 100n, startingMrr), 2),
        logoRetention: formatRatio(ratio(BigInt(customers * 100), BigInt(list.length)), 2),
      });
    }
    cohorts.push({ cohort: monthKey(start), customers: list.length, startingMrr, months });
  }
  return { currency: series.currency, exponent, cohorts };
}
