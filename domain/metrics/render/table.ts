/** `--format table`: aligned text for a terminal; amounts with thousands separators, rates in %. */
import type { ChurnReport } from '../churn.js';
import type { CohortReport } from '../cohorts.js';
import type { MrrReport } from '../mrr.js';
import { churnRows, cohortRows, mrrRows } from './rows.js';

/** "1234567.89" → "1,234,567.89"; "-1234" → "-1,234". */
export function groupThousands(decimal: string): string {
  const [whole = '', fraction] = decimal.split('.');
  const sign = whole.startsWith('-') ? '-' : '';
  const digits = sign ? whole.slice(1) : whole;
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return sign + grouped + (fraction !== undefined ? `.${fraction}` : '');
}

const rate = (value: string | null) => (value === null ? '–' : `${value} %`);

/** Columns padded to their widest cell: the first left-aligned, the others right-aligned (numbers). */
export function alignedTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === 0 ? cell.padEnd(widths[i] as number) : cell.padStart(widths[i] as number)))
      .join('  ')
      .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n') + '\n';
}

export function mrrTable(report: MrrReport): string {
  const rows = mrrRows(report).map((r) => [
    r.month,
    groupThousands(r.mrr),
    String(r.customers),
    groupThousands(r.new),
    groupThousands(r.expansion),
    groupThousands(r.contraction),
    groupThousands(r.churn),
    groupThousands(r.reactivation),
    groupThousands(r.temporary_discounts),
  ]);
  return (
    `MRR in ${report.currency} at each month end\n\n` +
    alignedTable(['month', 'MRR', 'customers', 'new', 'expansion', 'contraction', 'churn', 'reactivation', 'temporary discounts'], rows)
  );
}

export function churnTable(report: ChurnReport): string {
  const rows = churnRows(report).map((r) => [
    r.month,
    String(r.customers_at_start),
    String(r.churned_customers),
    rate(r.logo_churn_rate),
    groupThousands(r.mrr_at_start),
    groupThousands(r.lost_mrr),
    rate(r.gross_revenue_churn_rate),
    rate(r.net_revenue_churn_rate),
  ]);
  return (
    `Churn per month (${report.currency}; rates against the previous month end)\n\n` +
    alignedTable(['month', 'customers at start', 'churned', 'logo churn', 'MRR at start', 'lost MRR', 'gross revenue churn', 'net revenue churn'], rows)
  );
}

export function cohortsTable(report: CohortReport): string {
  const cohorts = cohortRows(report);
  const ages = Math.max(0, ...cohorts.map((c) => c.months.length));
  const header = ['cohort', 'customers', `starting MRR (${report.currency})`, ...Array.from({ length: ages }, (_, i) => `M${i}`)];
  const rows = cohorts.map((c) => [
    c.cohort,
    String(c.customers),
    groupThousands(c.starting_mrr),
    ...Array.from({ length: ages }, (_, i) => {
      const month = c.months[i];
      return month ? rate(month.revenue_retention) : '';
    }),
  ]);
  return `Revenue retention by start month (M0 = the start month)\n\n` + alignedTable(header, rows);
}
