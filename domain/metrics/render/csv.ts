/** `--format csv`: RFC 4180 (CRLF, quotes only where needed), one header row, the currency in the amount headers. */
import type { ChurnReport } from '../churn.js';
import type { CohortReport } from '../cohorts.js';
import type { MrrReport } from '../mrr.js';
import { churnRows, cohortRows, mrrRows } from './rows.js';

function cell(value: string | number | null): string {
  const text = value === null ? '' : String(value);
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

function csv(header: readonly string[], rows: readonly (readonly (string | number | null)[])[]): string {
  return [header, ...rows].map((row) => row.map(cell).join(',')).join('\r\n') + '\r\n';
}

export function mrrCsv(report: MrrReport): string {
  const c = report.currency;
  return csv(
    ['month', `mrr_${c}`, 'customers', `new_${c}`, `expansion_${c}`, `contraction_${c}`, `churn_${c}`, `reactivation_${c}`, `temporary_discounts_${c}`],
    mrrRows(report).map((r) => [r.month, r.mrr, r.customers, r.new, r.expansion, r.contraction, r.churn, r.reactivation, r.temporary_discounts]),
  );
}

export function churnCsv(report: ChurnReport): string {
  const c = report.currency;
  return csv(
    [
      'month',
      'customers_at_start',
      'churned_customers',
      'logo_churn_rate_pct',
      `mrr_at_start_${c}`,
      `lost_mrr_${c}`,
      'gross_revenue_churn_rate_pct',
      'net_revenue_churn_rate_pct',
    ],
    churnRows(report).map((r) => [
      r.month,
      r.customers_at_start,
      r.churned_customers,
      r.logo_churn_rate,
      r.mrr_at_start,
      r.lost_mrr,
      r.gross_revenue_churn_rate,
      r.net_revenue_churn_rate,
    ]),
  );
}

/** One row per cohort and month (long format: a pivot table or BI tool shapes it). */
export function cohortsCsv(report: CohortReport): string {
  const c = report.currency;
  return csv(
    ['cohort', 'cohort_customers', `starting_mrr_${c}`, 'month', 'age_months', `mrr_${c}`, 'customers', 'revenue_retention_pct', 'logo_retention_pct'],
    cohortRows(report).flatMap((cohort) =>
      cohort.months.map((m) => [
        cohort.cohort,
        cohort.customers,
        cohort.starting_mrr,
        m.month,
        m.age,
        m.mrr,
        m.customers,
        m.revenue_retention,
        m.logo_retention,
      ]),
    ),
  );
}
