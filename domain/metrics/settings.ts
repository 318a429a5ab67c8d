/**
 * What the metrics report takes from a pipeline besides its tables: `options.reporting_currency`,
 * `timezone` and `lookups.exchange_rates`, checked before anything is read, and the tables and
 * columns its sql sink must declare for the report to read them.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { currencyExponent } from '../money/money.js';
import type { MetricsSettings } from './model.js';
import { METRICS_TABLES, REPORT_INPUT_TABLES } from './tables.js';

/** The slice of a loaded pipeline the report's settings come from. */
export interface MetricsPipeline {
  options: Readonly<Record<string, unknown>>;
  timezone: string;
  lookups: Readonly<Record<string, { values: Readonly<Record<string, unknown>>; hasDefault: boolean }>>;
}

export const EXCHANGE_RATES_TABLE = 'exchange_rates';

export interface ResolvedSettings {
  settings: MetricsSettings;
  /** Things the report ignores, for a person to read. */
  warnings: string[];
}

export function metricsSettings(pipeline: MetricsPipeline): ResolvedSettings {
  const raw = pipeline.options['reporting_currency'];
  const currency = typeof raw === 'string' ? raw.trim().toUpperCase() : '';
  const refuse = (why: string) =>
    new LedgersyncError('invalid_reporting_currency', 'config', `options.reporting_currency ${why}`, {
      fix: 'set options.reporting_currency to the ISO 4217 code the report gives amounts in, e.g. USD or EUR',
      details: { reporting_currency: raw },
    });
  if (currency === '') throw refuse(raw === undefined ? 'is not set' : `must be a currency code, received ${JSON.stringify(raw)}`);
  try {
    currencyExponent(currency);
  } catch (error) {
    throw refuse(`is ${JSON.stringify(raw)}: ${(error as Error).message}`);
  }
  const rates = pipeline.lookups[EXCHANGE_RATES_TABLE];
  const warnings = rates?.hasDefault
    ? [
        `lookups.${EXCHANGE_RATES_TABLE}.default is not used by the report: a default rate would hide a missing one, so every currency and month needs its own key`,
      ]
    : [];
  return { settings: { reportingCurrency: currency, timezone: pipeline.timezone, exchangeRates: rates?.values ?? {} }, warnings };
}

/**
 * The tables the report reads, each with the columns it needs (not those marked optional), checked
 * against what the pipeline's sql sink declares (table name → its column names): one error naming
 * everything missing.
 */
export function checkDeclaredTables(declared: ReadonlyMap<string, readonly string[]>): void {
  const missing: string[] = [];
  for (const name of REPORT_INPUT_TABLES) {
    const columns = declared.get(name);
    const spec = METRICS_TABLES.find((t) => t.name === name);
    if (!columns) {
      missing.push(`table ${name}`);
      continue;
    }
    const absent = (spec?.columns ?? []).filter((c) => !c.optional && c.name !== 'deleted_at' && !columns.includes(c.name)).map((c) => c.name);
    if (absent.length) missing.push(`${name}.${absent.join(`, ${name}.`)}`);
  }
  if (missing.length === 0) return;
  throw new LedgersyncError(
    'metrics_table_undeclared',
    'config',
    `the metrics report reads what the pipeline's sql sink does not declare: ${missing.join('; ')}`,
    {
      fix: 'declare them under sink.tables as pipelines/examples/chargebee-to-metrics.yaml does (ledgersync init <customer> --target sql starts from it), run the pipeline, then the report',
      details: { missing },
    },
  );
}
