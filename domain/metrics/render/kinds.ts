/** The reports `ledgersync report` offers and their formats, apart from the renderers so the CLI can list them without loading them. */
export type ReportKind = 'mrr' | 'churn' | 'cohorts';
export type ReportFormat = 'table' | 'json' | 'csv' | 'html';
export const REPORT_KINDS: readonly ReportKind[] = ['mrr', 'churn', 'cohorts'];
export const REPORT_FORMATS: readonly ReportFormat[] = ['table', 'json', 'csv', 'html'];
