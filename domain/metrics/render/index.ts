/** One entry point for the CLI: `report <pipeline> mrr|churn|cohorts --format table|json|csv|html`. */
import type { MetricsReports } from '../report.js';
import { churnCsv, cohortsCsv, mrrCsv } from './csv.js';
import { renderHtml, type HtmlOptions } from './html.js';
import { churnJson, cohortsJson, mrrJson } from './json.js';
import { churnTable, cohortsTable, mrrTable } from './table.js';
import type { ReportFormat, ReportKind } from './kinds.js';

const TEXT: Record<Exclude<ReportFormat, 'html'>, Record<ReportKind, (r: MetricsReports) => string>> = {
  table: { mrr: (r) => mrrTable(r.mrr), churn: (r) => churnTable(r.churn), cohorts: (r) => cohortsTable(r.cohorts) },
  json: { mrr: (r) => mrrJson(r.mrr), churn: (r) => churnJson(r.churn), cohorts: (r) => cohortsJson(r.cohorts) },
  csv: { mrr: (r) => mrrCsv(r.mrr), churn: (r) => churnCsv(r.churn), cohorts: (r) => cohortsCsv(r.cohorts) },
};

/** The report as text. HTML is one page with every chart and table, whichever kind was asked for. */
export function renderReport(reports: MetricsReports, kind: ReportKind, format: ReportFormat, html: HtmlOptions): string {
  return format === 'html' ? renderHtml(reports, html) : TEXT[format][kind](reports);
}
