/**
 * Issue 15 part 5 through the whole path: the hand-computed fixture as Chargebee records on a fake
 * site → the metrics pipeline → SQLite and PostgreSQL → `ledgersync report … mrr --format json`
 * gives exactly the figures worked out by hand (test/domain/metrics/expected.ts).
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../app/registry.js';
import { silentLogger } from '../../engine/log.js';
import { runPipeline } from '../../engine/run/runner.js';
import { EXPECTED_MRR_2026 } from '../domain/metrics/expected.js';
import { settings, source, utc } from '../domain/metrics/fixture.js';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { chargebeeEnv, tempDir } from './helpers.js';
import { ledgersync, pipelineCopy, requireBuiltCli } from './metrics-helpers.js';
import { putFixtureOnSite } from './metrics-fixture-site.js';

let server: TestPostgres;
let fake: FakeChargebee;
let work: ReturnType<typeof tempDir>;
let pipeline: string;

beforeAll(async () => {
  requireBuiltCli();
  server = await startPostgres();
  fake = await startFakeChargebee({ customers: 0, now: () => utc(2026, 6, 20) });
  putFixtureOnSite(fake.state, source);
  work = tempDir('ledgersync-metrics-fixture-');
  pipeline = pipelineCopy(work.dir, { timezone: settings.timezone, reportingCurrency: settings.reportingCurrency, exchangeRates: settings.exchangeRates });
}, 120_000);
afterAll(async () => {
  await fake?.close();
  await server?.stop();
  work?.cleanup();
});

const databases = [
  { name: 'SQLite', env: () => ({ METRICS_DB_PATH: join(work.dir, 'fixture.db') }) },
  { name: 'PostgreSQL', env: () => ({ METRICS_DATABASE_URL: server.url, METRICS_DATABASE_SCHEMA: 'fixture' }) },
];

describe.each(databases)('the hand-computed fixture through the pipeline into $name', (database) => {
  it('reports the hand-computed MRR, month by month; a second run writes nothing', async () => {
    const statePath = join(work.dir, `${database.name}.state.db`);
    const run = () =>
      runPipeline({
        connectors: installedConnectors,
        pipelinePath: pipeline,
        statePath,
        env: { ...chargebeeEnv(fake, work.dir), ...database.env() },
        log: silentLogger,
        now: () => utc(2026, 6, 20),
      });
    const summary = await run();
    expect(summary.error).toBeUndefined();
    expect(summary.exitCode).toBe(0);
    // Every event carries a subscription: one snapshot each.
    expect(summary.streams['subscription_snapshots']?.created).toBe(source.snapshots.length);
    const again = await run();
    expect(Object.values(again.streams).reduce((n, c) => n + c.written, 0)).toBe(0);

    const result = await ledgersync(
      ['report', pipeline, 'mrr', '--format', 'json', '--from', '2026-01', '--to', '2026-06', '--state', statePath],
      database.env(),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(JSON.parse(result.stdout)).toEqual(EXPECTED_MRR_2026);
  }, 60_000);
});
