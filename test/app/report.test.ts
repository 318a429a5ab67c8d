/**
 * `report()` (app/report.ts) in process, on small SQLite databases written through the sql sink:
 * what it needs of the pipeline (the reporting currency, the tables it reads, the sink's variables,
 * not the source's), what it tells about the state, and that any error stops it with exit 2.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../app/registry.js';
import { report, type ReportOptions } from '../../app/report.js';
import { SqlSink } from '../../connectors/sql/sink.js';
import type { LedgersyncError } from '../../engine/errors.js';
import { exitCodeFor } from '../../engine/exit-codes.js';
import { MIGRATIONS } from '../../engine/state/schema.js';
import { SqliteDriver } from '../../engine/state/sqlite-driver.js';
import { StateStore } from '../../engine/state/store.js';
import { context, record, sinkInput, type Tables } from '../connectors/sql/helpers.js';
import { tempDir } from '../e2e/helpers.js';
import { METRICS_PIPELINE } from '../e2e/metrics-helpers.js';

let work: ReturnType<typeof tempDir>;
let database: string;
beforeEach(() => {
  work = tempDir('ledgersync-report-');
  database = join(work.dir, 'metrics.db');
});
afterEach(() => work.cleanup());

const example = () => parseDocument(readFileSync(METRICS_PIPELINE, 'utf8'));
const tablesOf = () => example().getIn(['sink', 'tables'], false) as { toJSON(): Tables };

/** A pipeline file made from the example with `edit` applied. */
function pipeline(edit: (doc: ReturnType<typeof example>) => void = () => {}): string {
  const doc = example();
  edit(doc);
  const file = join(work.dir, `p${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(file, doc.toString());
  return file;
}

/** Writes rows (`{table: [row…]}`) through the sql sink, as a run would. */
async function write(rows: Record<string, Array<Record<string, unknown>>>): Promise<void> {
  const sink = new SqlSink(sinkInput({ path: database }, tablesOf().toJSON()));
  await sink.open(context());
  const records = Object.entries(rows).flatMap(([table, list]) => list.map((data) => record(table, data, { sourceId: `${table}:${JSON.stringify(data)}` })));
  const results = await sink.write(records, context());
  expect(results.filter((r) => r.status === 'failed')).toEqual([]);
  await sink.close();
}

const oneSubscription = {
  item_prices: [{ id: 'basic-USD', item_type: 'plan', period: 1, period_unit: 'month', price: '100.00', currency_code: 'USD' }],
  subscriptions: [{ id: 'sub_1', customer_id: 'cus_1', status: 'active', currency_code: 'USD', started_at: '2026-01-10T00:00:00Z', resource_version: 1 }],
  subscription_items: [
    { subscription_id: 'sub_1', item_price_id: 'basic-USD', subscription_version: 1, item_type: 'plan', quantity: '2', unit_price: '100.00' },
  ],
};

const options = (pipelinePath: string, extra: Partial<ReportOptions> = {}): ReportOptions => ({
  connectors: installedConnectors,
  pipelinePath,
  kind: 'mrr',
  format: 'json',
  from: '2026-01',
  to: '2026-02',
  env: { METRICS_DB_PATH: database },
  now: () => 1_772_323_200,
  ...extra,
});

async function failure(promise: Promise<unknown>): Promise<LedgersyncError> {
  try {
    await promise;
  } catch (error) {
    return error as LedgersyncError;
  }
  throw new Error('expected the report to fail');
}

describe('report()', () => {
  it('needs the sink and the options, not the source: no Chargebee variable is set here', async () => {
    await write(oneSubscription);
    const { text, warnings } = await report(options(METRICS_PIPELINE));
    expect(JSON.parse(text).months.map((m: Record<string, string>) => [m['month'], m['mrr']])).toEqual([
      ['2026-01', '200.00'],
      ['2026-02', '200.00'],
    ]);
    expect(warnings).toEqual([]);
  });

  it('a variable of the sink that is not set is named, with the fix (exit 2)', async () => {
    const file = pipeline((doc) => doc.setIn(['sink', 'url'], '${REPORTING_DB_URL}'));
    const error = await failure(report(options(file)));
    expect(error).toMatchObject({ code: 'invalid_configuration', kind: 'config' });
    expect(error.message).toBe(`${file}: sink reads \${REPORTING_DB_URL}, which is not set`);
    expect(error.fix).toMatch(/^export REPORTING_DB_URL/);
  });

  it('the reporting currency must be set, and be an ISO 4217 currency with minor units', async () => {
    await write(oneSubscription);
    const unset = await failure(report(options(pipeline((doc) => doc.deleteIn(['options', 'reporting_currency'])))));
    expect(unset).toMatchObject({ code: 'invalid_reporting_currency', message: 'options.reporting_currency is not set' });
    const gold = await failure(report(options(pipeline((doc) => doc.setIn(['options', 'reporting_currency'], 'XAU')))));
    expect(gold.code).toBe('invalid_reporting_currency');
    expect(gold.message).toContain('has no minor unit in ISO 4217');
    expect(exitCodeFor({ error: gold })).toBe(2);
  });

  it('names every table and column the report reads that the pipeline does not declare', async () => {
    const file = pipeline((doc) => {
      doc.deleteIn(['sink', 'tables', 'subscriptions', 'columns', 'trial_end']);
      doc.deleteIn(['sink', 'tables', 'subscription_snapshots']);
      const streams = (doc.get('streams') as { toJSON(): Array<{ name: string }> }).toJSON();
      doc.deleteIn(['streams', streams.findIndex((s) => s.name === 'subscription_snapshots')]);
    });
    const error = await failure(report(options(file)));
    expect(error).toMatchObject({ code: 'metrics_table_undeclared', kind: 'config' });
    expect(error.message).toBe("the metrics report reads what the pipeline's sql sink does not declare: subscriptions.trial_end; table subscription_snapshots");
  });

  it('applies coupons in the order the subscription lists them (their position), not by coupon id', async () => {
    await write({
      ...oneSubscription,
      coupons: [
        { id: 'ZZ_PCT10', discount_type: 'percentage', discount_percentage: '10', duration_type: 'forever', apply_on: 'invoice_amount' },
        { id: 'AA_FIX10', discount_type: 'fixed_amount', discount_amount: '10.00', currency_code: 'USD', duration_type: 'forever', apply_on: 'invoice_amount' },
      ],
      subscription_coupons: [
        { subscription_id: 'sub_1', coupon_id: 'ZZ_PCT10', subscription_version: 1, position: 0 },
        { subscription_id: 'sub_1', coupon_id: 'AA_FIX10', subscription_version: 1, position: 1 },
      ],
    });
    const { text } = await report(options(METRICS_PIPELINE));
    // 200 − 10 % = 180, − 10 = 170 (by coupon id it would be 200 − 10 = 190, − 10 % = 171).
    expect(JSON.parse(text).months.map((m: Record<string, string>) => m['mrr'])).toEqual(['170.00', '170.00']);
  });

  it('does not need the columns it never reads: a pipeline without them reports', async () => {
    const file = pipeline((doc) => {
      doc.deleteIn(['sink', 'tables', 'item_prices', 'columns', 'monthly_price']);
      doc.deleteIn(['sink', 'tables', 'subscription_items', 'columns', 'monthly_amount']);
      doc.deleteIn(['sink', 'tables', 'subscription_coupons', 'columns', 'position']);
      doc.deleteIn(['sink', 'tables', 'invoice_lines', 'columns', 'tax_amount']);
    });
    await write(oneSubscription);
    const { text } = await report(options(file));
    expect(JSON.parse(text).months.map((m: Record<string, string>) => m['mrr'])).toEqual(['200.00', '200.00']);
  });

  it('a record-level problem in the data stops the report as a configuration matter (exit 2), with the fix', async () => {
    await write({
      ...oneSubscription,
      coupons: [
        { id: 'EUR10', discount_type: 'fixed_amount', discount_amount: '10.00', currency_code: 'EUR', duration_type: 'forever', apply_on: 'invoice_amount' },
      ],
      subscription_coupons: [{ subscription_id: 'sub_1', coupon_id: 'EUR10', subscription_version: 1 }],
    });
    const error = await failure(report(options(METRICS_PIPELINE)));
    expect(error).toMatchObject({ code: 'coupon_currency_mismatch', kind: 'config' });
    expect(error.message).toMatch(/^the report cannot use the data: /);
    expect(exitCodeFor({ error })).toBe(2);
  });

  it('warns that a default exchange rate is not used, and what the state says the figures leave out', async () => {
    await write(oneSubscription);
    const file = pipeline((doc) => doc.setIn(['lookups', 'exchange_rates', 'default'], '1'));
    const statePath = join(work.dir, 'state.db');
    const state = StateStore.open(statePath);
    const begun = state.beginRun('chargebee-to-metrics');
    if (!('runId' in begun)) throw new Error('no lock');
    state.finishRun('chargebee-to-metrics', begun.runId, 'failed', 3, null, { code: 'connection_failed', message: 'Chargebee did not answer' });
    state.close();
    const { warnings } = await report(options(file, { statePath }));
    expect(warnings).toEqual([
      'lookups.exchange_rates.default is not used by the report: a default rate would hide a missing one, so every currency and month needs its own key',
      expect.stringMatching(
        new RegExp(
          `^the last run of chargebee-to-metrics, ${begun.runId} at \\S+Z, failed \\(Chargebee did not answer\\): the figures hold what it wrote before it stopped$`,
        ),
      ),
    ]);
  });

  it('only reads a state file: one of an older schema is named in a warning, not migrated', async () => {
    await write(oneSubscription);
    const file = pipeline();
    const statePath = join(work.dir, 'old-state.db');
    SqliteDriver.openState(statePath, MIGRATIONS.slice(0, -1), true).close();
    const { warnings } = await report(options(file, { statePath }));
    expect(warnings).toEqual([expect.stringMatching(new RegExp(`is at schema version ${MIGRATIONS.length - 1}, older than this ledgersync's`))]);
    const state = StateStore.openReadOnly(statePath);
    expect(state.driver.schemaVersion()).toBe(MIGRATIONS.length - 1);
    state.close();
  });

  it('--out to a folder that does not exist is a config error naming the file', async () => {
    await write(oneSubscription);
    const out = join(work.dir, 'no', 'such', 'mrr.json');
    const error = await failure(report(options(METRICS_PIPELINE, { out })));
    expect(error).toMatchObject({ code: 'file_unwritable', kind: 'config' });
    expect(error.message).toContain(out);
  });
});
