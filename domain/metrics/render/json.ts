/** `--format json`: amounts as decimal strings in the reporting currency's major unit, exact to its minor unit. */
import type { ChurnReport } from '../churn.js';
import type { CohortReport } from '../cohorts.js';
import type { MrrReport } from '../mrr.js';
import { churnRows, cohortRows, mrrRows } from './rows.js';

export function mrrJson(report: MrrReport): string {
  return JSON.stringify({ currency: report.currency, months: mrrRows(report) }, null, 2) + '\n';
}

export function churnJson(report: ChurnReport): string {
  return JSON.stringify({ currency: report.currency, months: churnRows(report) }, null, 2) + '\n';
}

export function cohortsJson(report: CohortReport): string {
  return JSON.stringify({ currency: report.currency, cohorts: cohortRows(report) }, null, 2) + '\n';
}
