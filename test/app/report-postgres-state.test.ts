/**
 * `report()` with its state on PostgreSQL (`--state` / LEDGERSYNC_STATE = postgres://…, the fleet
 * set-up): the same warnings as with a state file, and the state database only read, never set up.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../app/registry.js';
import { report, type ReportOptions } from '../../app/report.js';
import { SqlSink } from '../../connectors/sql/sink.js';
import { LedgersyncError } from '../../engine/errors.js';
import { StateStore } from '../../engine/state/store.js';
import { context, record, sinkInput, type Tables } from '../connectors/sql/helpers.js';
import { tempDir } from '../e2e/helpers.js';
import { METRICS_PIPELINE } from '../e2e/metrics-helpers.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';

const PIPELINE = 'chargebee-to-metrics';
let server: TestPostgres;
let work: ReturnType<typeof tempDir>;
let database: string;

beforeAll(async () => {
  server = await startPostgres();
  work = tempDir('ledgersync-report-pg-state-');
  database = join(work.dir, 'metrics.db');
  const tables = (parseDocument(readFileSync(METRICS_PIPELINE, 'utf8')).getIn(['sink', 'tables'], false) as { toJSON(): Tables }).toJSON();
  const sink = new SqlSink(sinkInput({ path: database }, tables));
  await sink.open(context());
  await sink.write(
    [
      record('item_prices', { id: 'basic-USD', item_type: 'plan', period: 1, period_unit: 'month', price: '100.00', currency_code: 'USD' }),
      record('subscriptions', {
        id: 'sub_1',
        customer_id: 'cus_1',
        status: 'active',
        currency_code: 'USD',
        started_at: '2026-01-10T00:00:00Z',
        resource_version: 1,
      }),
    ],
    context(),
  );
  await sink.close();
}, 120_000);
afterAll(async () => {
  await server?.stop();
  work?.cleanup();
});

const options = (statePath: string): ReportOptions => ({
  connectors: installedConnectors,
  pipelinePath: METRICS_PIPELINE,
  kind: 'mrr',
  format: 'json',
  from: '2026-01',
  to: '2026-02',
  statePath,
  env: { METRICS_DB_PATH: database },
  now: () => 1_772_323_200,
});

async function tablesIn(schema: string): Promise<string[]> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const { rows } = await client.query<{ table_name: string }>('SELECT table_name FROM information_schema.tables WHERE table_schema = $1', [schema]);
    return rows.map((r) => r.table_name);
  } finally {
    await client.end();
  }
}

async function schemaExists(schema: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const { rows } = await client.query('SELECT 1 FROM information_schema.schemata WHERE schema_name = $1', [schema]);
    return rows.length > 0;
  } finally {
    await client.end();
  }
}

describe('report() with a PostgreSQL state', () => {
  it('warns about a failed last run and records in the dead-letter table, as with a state file', async () => {
    const statePath = `${server.url}?schema=report_warnings`;
    const state = StateStore.open(statePath);
    const begun = state.beginRun(PIPELINE);
    if (!('runId' in begun)) throw new Error('no lock');
    state.putDeadLetter(PIPELINE, begun.runId, {
      stream: 'item_prices',
      sourceId: 'odd-price',
      sourceVersion: null,
      record: { id: 'odd-price' },
      deleted: false,
      error: new LedgersyncError('unknown_period_unit', 'record', 'period unit fortnight cannot be normalised'),
    });
    state.finishRun(PIPELINE, begun.runId, 'failed', 1, null, { code: 'connection_failed', message: 'Chargebee did not answer' });
    state.close();

    const { warnings } = await report(options(statePath));
    expect(warnings).toEqual([
      expect.stringMatching(new RegExp(`^the last run of ${PIPELINE}, ${begun.runId} at \\S+Z, failed \\(Chargebee did not answer\\)`)),
      expect.stringMatching(/^1 record\(s\) of chargebee-to-metrics \(item_prices\) wait in the dead-letter table and are not in the figures/),
    ]);
  }, 60_000);

  it('reads a PostgreSQL state that holds nothing yet as no warning, without creating the state tables there', async () => {
    const { warnings } = await report(options(`${server.url}?schema=report_no_state`));
    expect(warnings).toEqual([]);
    expect(await tablesIn('report_no_state')).toEqual([]);
    expect(await schemaExists('report_no_state')).toBe(false);
  }, 60_000);
});
