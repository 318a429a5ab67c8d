/** The three reports from one pass over the data: `report … mrr`, `… churn`, `… cohorts`. */
import { churnReport, type ChurnReport } from './churn.js';
import { cohortReport, type CohortReport } from './cohorts.js';
import type { MetricsSettings, MetricsSource, ReportRange } from './model.js';
import { mrrReport, type MrrReport } from './mrr.js';
import { buildSeries } from './series.js';

export interface MetricsReports {
  mrr: MrrReport;
  churn: ChurnReport;
  cohorts: CohortReport;
}

export function computeReports(source: MetricsSource, settings: MetricsSettings, range: ReportRange): MetricsReports {
  const series = buildSeries(source, settings, range);
  const mrr = mrrReport(series);
  return { mrr, churn: churnReport(mrr), cohorts: cohortReport(series) };
}
