/**
 * `ledgersync report <pipeline> mrr|churn|cohorts`: subscription metrics from the database the
 * pipeline's sql sink wrote. Composition only: the sql connector reads its tables back, the
 * metrics domain computes and renders.
 *
 * A command of the app rather than one the sql connector contributes: a report only reads, so it
 * takes no run lock and records no run (it may run while a sync writes: every table is read in one
 * snapshot, on SQLite and PostgreSQL alike), and what it computes is the metrics domain's, which the generic sql
 * sink should not know.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { databaseFor } from '../connectors/sql/sink.js';
import { parseTables, type TableSpec } from '../connectors/sql/tables.js';
import type { PortableRow } from '../connectors/sql/database.js';
import { computeReports } from '../domain/metrics/report.js';
import { metricsSourceFromRows, type MetricsRows } from '../domain/metrics/rows.js';
import { checkDeclaredTables, metricsSettings } from '../domain/metrics/settings.js';
import { REPORT_INPUT_TABLES } from '../domain/metrics/tables.js';
import { renderReport } from '../domain/metrics/render/index.js';
import type { ReportFormat, ReportKind } from '../domain/metrics/render/kinds.js';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { loadPipeline } from '../engine/config/load.js';
import type { Plan } from '../engine/config/plan.js';
import { unsetVariables } from '../engine/config/yaml-tree.js';
import { ConfigError, LedgersyncError } from '../engine/errors.js';
import { silentLogger, type Logger } from '../engine/log.js';
import { noStateAt, printableLocation } from '../engine/state/driver.js';
import { MIGRATIONS } from '../engine/state/schema.js';
import { StateStore } from '../engine/state/store.js';
import { stateFailure } from '../engine/state/trouble.js';
import { factoryInput } from '../engine/run/runner.js';

export interface ReportOptions {
  connectors: ConnectorRegistry;
  pipelinePath: string;
  kind: ReportKind;
  format: ReportFormat;
  /** First month shown, `YYYY-MM`; default the first month with data. */
  from?: string;
  /** Last month shown, `YYYY-MM`; default the current month in the pipeline's timezone. */
  to?: string;
  /** Write the report to this file instead of stdout. */
  out?: string;
  /** The pipeline's state, a file or a PostgreSQL URL: its runs and dead letters qualify the figures (warnings). Not required. */
  statePath?: string;
  /** Variables for `${VAR}`. Default: `process.env`. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Now, unix seconds (the default `--to`, the HTML's date). Default: the clock. */
  now?: () => number;
  log?: Logger;
}

export interface ReportResult {
  /** The rendered report (also written to `out` when given). */
  text: string;
  /** Lines for a person about what the figures leave out (dead letters, a failed last run…). */
  warnings: string[];
  /** The file written, when `out` was given. */
  written?: string;
}

/** Loads the pipeline without the source's secrets: the report needs only what the sink and the options hold. */
async function loadForReport(options: ReportOptions): Promise<Plan> {
  const { plan, problems } = await loadPipeline(options.pipelinePath, {
    env: options.env ?? process.env,
    mode: 'validate',
    connectorsDir: options.connectors.descriptorsDir,
  });
  const errors = problems.filter((p) => p.severity === 'error');
  if (!plan || errors.length) throw new ConfigError(errors);
  const needed = { sink: plan.sink.config, 'options.reporting_currency': plan.options['reporting_currency'], timezone: plan.timezone };
  for (const [where, value] of Object.entries(needed)) {
    const unset = unsetVariables(value);
    if (unset.length) {
      throw new LedgersyncError(
        'invalid_configuration',
        'config',
        `${plan.file}: ${where} reads ${unset.map((v) => `\${${v}}`).join(', ')}, which ${unset.length === 1 ? 'is' : 'are'} not set`,
        { fix: `export ${unset.join(', ')} as for ledgersync run: the report reads the database the run writes` },
      );
    }
  }
  if (plan.sink.config.connector !== 'sql') {
    throw new LedgersyncError(
      'command_not_applicable',
      'config',
      `ledgersync report reads the database of a pipeline's sql sink; pipeline ${plan.name} writes to ${plan.sink.config.connector}`,
      { fix: 'give it a subscription-metrics pipeline (pipelines/examples/chargebee-to-metrics.yaml, or ledgersync init <customer> --target sql)' },
    );
  }
  return plan;
}

/** The report's tables, read back from the sink's database, opened read-only. */
async function readTables(plan: Plan, tables: ReadonlyMap<string, TableSpec>, log: Logger): Promise<MetricsRows> {
  const database = databaseFor(factoryInput(plan, 'sink', log, new AbortController().signal), { readOnly: true });
  await database.open();
  try {
    const read = await database.readTables(REPORT_INPUT_TABLES.map((name) => tables.get(name) as TableSpec));
    const rows: Partial<Record<(typeof REPORT_INPUT_TABLES)[number], PortableRow[]>> = {};
    REPORT_INPUT_TABLES.forEach((name, i) => {
      rows[name] = read[i]!;
    });
    if (rows.subscriptions?.length === 0 && rows.subscription_snapshots?.length === 0 && rows.invoice_lines?.length === 0) {
      throw new LedgersyncError(
        'metrics_no_data',
        'config',
        `${database.description} holds no subscription, subscription snapshot nor invoice line: there is nothing to report yet`,
        { fix: `run the pipeline first: ledgersync run ${plan.file}` },
      );
    }
    return rows as MetricsRows;
  } finally {
    await database.close();
  }
}

/** What the state says the figures leave out: records in the dead-letter table, a last run that failed. */
async function stateWarnings(plan: Plan, statePath: string | undefined): Promise<string[]> {
  if (statePath === undefined || noStateAt(statePath)) return [];
  // A report only reads: the state is neither created nor migrated for it.
  let state: StateStore | undefined;
  try {
    state = StateStore.openReadOnly(statePath);
    const version = state.driver.schemaVersion();
    if (version === 0) return [];
    if (version < MIGRATIONS.length) {
      return [
        `the state at ${printableLocation(statePath)} is at schema version ${version}, older than this ledgersync's (${MIGRATIONS.length}), so its dead letters and last run were not checked: ledgersync run ${plan.file} upgrades it`,
      ];
    }
    return warningsFrom(state, plan);
  } catch (error) {
    throw stateFailure(statePath, error) ?? error;
  } finally {
    state?.close();
  }
}

function warningsFrom(state: StateStore, plan: Plan): string[] {
  const warnings: string[] = [];
  const [last] = state.recentRuns(plan.name, 1);
  if (last?.status === 'failed' && last.finishedAt !== null) {
    const reason = typeof last.error?.['message'] === 'string' ? ` (${last.error['message']})` : '';
    warnings.push(
      `the last run of ${plan.name}, ${last.id} at ${new Date(last.finishedAt * 1000).toISOString()}, failed${reason}: the figures hold what it wrote before it stopped`,
    );
  }
  const dead = state.deadLetters(plan.name);
  if (dead.length) {
    const streams = [...new Set(dead.map((d) => d.stream))].join(', ');
    warnings.push(
      `${dead.length} record(s) of ${plan.name} (${streams}) wait in the dead-letter table and are not in the figures: ledgersync status ${plan.file} lists them with the fix`,
    );
  }
  return warnings;
}

/** A domain error about one record (an item price it cannot value…) stops the whole report: a configuration matter, exit 2. */
function asReportError(error: unknown): unknown {
  if (!(error instanceof LedgersyncError) || error.kind !== 'record') return error;
  return new LedgersyncError(error.code, 'config', `the report cannot use the data: ${error.message}`, {
    ...(error.fix ? { fix: error.fix } : {}),
    details: error.details,
    cause: error,
  });
}

export async function report(options: ReportOptions): Promise<ReportResult> {
  const log = options.log ?? silentLogger;
  const plan = await loadForReport(options);
  const { settings, warnings } = metricsSettings(plan);
  const tables = new Map(parseTables(plan.sink.config['tables']).map((t) => [t.name, t]));
  checkDeclaredTables(new Map([...tables].map(([name, t]) => [name, t.columns.map((c) => c.name)])));
  // The rows are not kept once read into the model: at 100,000 subscriptions they are most of the heap.
  const source = metricsSourceFromRows(await readTables(plan, tables, log));
  warnings.push(...(await stateWarnings(plan, options.statePath)));

  const now = options.now?.() ?? Math.floor(Date.now() / 1000);
  let text: string;
  try {
    const reports = computeReports(source, settings, {
      ...(options.from !== undefined ? { from: options.from } : {}),
      ...(options.to !== undefined ? { to: options.to } : {}),
      now,
    });
    text = renderReport(reports, options.kind, options.format, { title: plan.name, generatedAt: new Date(now * 1000), timezone: settings.timezone });
  } catch (error) {
    throw asReportError(error);
  }
  if (options.out === undefined) return { text, warnings };
  const written = resolve(options.out);
  try {
    writeFileSync(written, text);
  } catch (error) {
    throw new LedgersyncError('file_unwritable', 'config', `cannot write the report to ${written}: ${(error as Error).message}`, {
      fix: 'give --out a file in a folder that exists and this user may write',
      cause: error,
    });
  }
  return { text, warnings, written };
}
