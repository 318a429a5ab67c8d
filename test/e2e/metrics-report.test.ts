/**
 * Issue 15 end to end: the fake Chargebee (trials, coupons, seat changes, cancellations scheduled then
 * effective, pauses, reactivations, EUR / GBP / JPY / KWD subscriptions, deleted customers) → the
 * metrics pipeline → SQLite and PostgreSQL → `ledgersync report` through the built CLI. The report
 * gives what domain/metrics computes from the same rows, the same on both databases; the HTML page
 * renders its charts in Chromium without a request; bad input exits 2 with what to do.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../app/registry.js';
import { SqlSink } from '../../connectors/sql/sink.js';
import { parseTables } from '../../connectors/sql/tables.js';
import { computeReports } from '../../domain/metrics/report.js';
import { churnJson, cohortsJson, mrrJson } from '../../domain/metrics/render/json.js';
import { metricsSourceFromRows, type MetricsRows } from '../../domain/metrics/rows.js';
import { metricsSettings } from '../../domain/metrics/settings.js';
import { REPORT_INPUT_TABLES } from '../../domain/metrics/tables.js';
import { loadPipeline } from '../../engine/config/load.js';
import type { Plan } from '../../engine/config/plan.js';
import { silentLogger } from '../../engine/log.js';
import { withState } from '../../engine/run/lifecycle.js';
import { runPipeline } from '../../engine/run/runner.js';
import { startFakeChargebee, type FakeChargebee } from '../fakes/chargebee/index.js';
import { chartBoxes, launchChromium, openFile } from '../support/browser.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { context, sinkInput, type Tables } from '../connectors/sql/helpers.js';
import { JSONL_PIPELINE, ROOT, chargebeeEnv, tempDir } from './helpers.js';
import { METRICS_PIPELINE, ledgersync, pipelineCopy, requireBuiltCli } from './metrics-helpers.js';

/** The seeded site's clock: after its last change (2024-06-30), so no change lies in the future. */
const NOW = 1_735_689_600; // 2025-01-01
const RANGE = ['--from', '2023-01', '--to', '2024-12'];

let server: TestPostgres;
let fake: FakeChargebee;
let work: ReturnType<typeof tempDir>;
let plan: Plan;
let tables: Tables;

beforeAll(async () => {
  requireBuiltCli();
  server = await startPostgres();
  fake = await startFakeChargebee({ now: () => NOW });
  work = tempDir('ledgersync-metrics-report-');
  const loaded = await loadPipeline(METRICS_PIPELINE, { connectorsDir: installedConnectors.descriptorsDir, env: {}, mode: 'validate' });
  plan = loaded.plan!;
  tables = plan.sink.config['tables'] as Tables;
}, 120_000);
afterAll(async () => {
  await fake?.close();
  await server?.stop();
  work?.cleanup();
});

interface Database {
  name: 'SQLite' | 'PostgreSQL';
  env(): Record<string, string>;
  connection(): Record<string, unknown>;
}

const databases: Database[] = [
  { name: 'SQLite', env: () => ({ METRICS_DB_PATH: join(work.dir, 'metrics.db') }), connection: () => ({ path: join(work.dir, 'metrics.db') }) },
  {
    name: 'PostgreSQL',
    env: () => ({ METRICS_DATABASE_URL: server.url, METRICS_DATABASE_SCHEMA: 'metrics' }),
    connection: () => ({ url: server.url, schema: 'metrics' }),
  },
];

const run = (database: Database, pipelinePath = METRICS_PIPELINE) =>
  runPipeline({
    connectors: installedConnectors,
    pipelinePath,
    statePath: join(work.dir, `${database.name}.state.db`),
    env: { ...chargebeeEnv(fake, work.dir), ...database.env() },
    log: silentLogger,
    now: () => NOW,
  });

async function readBack(database: Database): Promise<Record<string, Array<Record<string, unknown>>>> {
  const sink = new SqlSink(sinkInput(database.connection(), tables));
  await sink.db.open();
  try {
    const out: Record<string, Array<Record<string, unknown>>> = {};
    for (const spec of parseTables(tables)) out[spec.name] = (await sink.db.readTables([spec]))[0]!;
    return out;
  } finally {
    await sink.db.close();
  }
}

/** Each report's JSON by database, to compare the two. */
const printed = new Map<string, Record<string, unknown>>();

describe.each(databases)('Chargebee → metrics pipeline → $name → ledgersync report', (database) => {
  it('writes the seed tables: deleted records flagged, voided credit notes left out, credit-note amounts negated; a second run writes nothing', async () => {
    const first = await run(database);
    expect(first.error).toBeUndefined();
    expect(first.exitCode).toBe(0);
    const second = await run(database);
    expect(second.exitCode).toBe(0);
    expect(Object.values(second.streams).reduce((n, c) => n + c.written, 0)).toBe(0);

    const rows = await readBack(database);
    const subscriptions = fake.state.all('subscriptions');
    expect(rows['subscriptions']).toHaveLength(subscriptions.length);
    expect(rows['subscription_items']).toHaveLength(subscriptions.reduce((n, s) => n + (s.subscription_items?.length ?? 0), 0));
    const deleted = subscriptions.filter((s) => s.deleted).map((s) => s.id);
    expect(deleted.length).toBeGreaterThan(0);
    expect(rows['subscriptions']!.filter((r) => r['deleted_at'] !== null).map((r) => r['id'])).toEqual([...deleted].sort());
    const carrying = fake.state.all('events').filter((e) => e.content['subscription'] !== undefined);
    // Every event that carries a subscription, and every listed version of a subscription (kept, so a later sync restates no month).
    const listed = subscriptions.filter((s) => s.updated_at !== undefined);
    expect(rows['subscription_snapshots']).toHaveLength(carrying.length + listed.length);
    expect(rows['subscription_snapshots']!.filter((r) => r['event_type'] === 'subscription_listed')).toHaveLength(listed.length);
    expect(rows['coupons']!.map((r) => r['id']).sort()).toEqual(
      fake.state
        .all('coupons')
        .map((c) => c.id)
        .sort(),
    );

    const notes = fake.state.all('credit_notes');
    const voided = new Set(notes.filter((n) => n.status === 'voided').map((n) => n.id));
    expect(voided.size).toBeGreaterThan(0);
    expect(rows['credit_notes']!.filter((r) => voided.has(String(r['id'])))).toEqual([]);
    expect(rows['credit_notes']).toHaveLength(notes.length - voided.size);
    const lines = rows['credit_note_lines']!;
    expect(lines.length).toBeGreaterThan(0);
    for (const line of lines) expect(String(line['amount']), String(line['id'])).toMatch(/^-\d+(\.\d+)?$/);

    const month = rows['subscription_items']!.find((r) => r['billing_period_unit'] === null && r['item_type'] === 'plan');
    expect(month?.['monthly_amount']).toEqual(expect.stringMatching(/^\d+(\.\d+)?$/));
  }, 120_000);

  it('report mrr --format json gives what domain/metrics computes from the same rows', async () => {
    const rows = await readBack(database);
    const source = metricsSourceFromRows(Object.fromEntries(REPORT_INPUT_TABLES.map((t) => [t, rows[t]])) as unknown as MetricsRows);
    const expected = computeReports(source, metricsSettings(plan).settings, { from: '2023-01', to: '2024-12', now: NOW });
    // No Chargebee variable: the report needs only what the sink and the options hold.
    const result = await ledgersync(
      ['report', METRICS_PIPELINE, 'mrr', '--format', 'json', ...RANGE, '--state', join(work.dir, `${database.name}.state.db`)],
      database.env(),
    );
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    const json = JSON.parse(result.stdout);
    expect(json).toEqual(JSON.parse(mrrJson(expected.mrr)));
    expect(json.months).toHaveLength(24);
    // The seeded site has every movement somewhere in the two years.
    for (const movement of ['new', 'expansion', 'contraction', 'churn', 'reactivation']) {
      expect(
        json.months.some((m: Record<string, string>) => m[movement] !== '0.00'),
        movement,
      ).toBe(true);
    }
    printed.set(`${database.name} mrr`, json);
    for (const kind of ['churn', 'cohorts'] as const) {
      const other = await ledgersync(['report', METRICS_PIPELINE, kind, '--format', 'json', ...RANGE], database.env());
      expect(other.code, other.stderr).toBe(0);
      expect(JSON.parse(other.stdout)).toEqual(JSON.parse(kind === 'churn' ? churnJson(expected.churn) : cohortsJson(expected.cohorts)));
      printed.set(`${database.name} ${kind}`, JSON.parse(other.stdout));
    }
  }, 60_000);
});

describe('the same data in SQLite and PostgreSQL', () => {
  it('gives identical reports', () => {
    for (const kind of ['mrr', 'churn', 'cohorts']) {
      expect(printed.get(`SQLite ${kind}`), kind).toBeDefined();
      expect(printed.get(`PostgreSQL ${kind}`), kind).toEqual(printed.get(`SQLite ${kind}`));
    }
  });
});

describe('ledgersync report formats', () => {
  const sqlite = () => databases[0]!.env();

  it('table and csv name the currency; --out writes the file and says so', async () => {
    const table = await ledgersync(['report', METRICS_PIPELINE, 'mrr', ...RANGE], sqlite());
    expect(table.code, table.stderr).toBe(0);
    expect(table.stdout).toMatch(/^MRR in USD at each month end\n/);
    expect(table.stdout).toMatch(/^2024-12 +[\d,]+\.\d\d +\d+ /m);
    const out = join(work.dir, 'cohorts.csv');
    const csv = await ledgersync(['report', METRICS_PIPELINE, 'cohorts', '--format', 'csv', '--out', out, ...RANGE], sqlite());
    expect(csv.code, csv.stderr).toBe(0);
    expect(csv.stdout).toBe(`cohorts report (csv) written to ${out}\n`);
    expect(existsSync(out)).toBe(true);
  });

  it('html: one self-contained page whose charts render in Chromium, with no request but the page', async () => {
    const out = join(work.dir, 'mrr.html');
    const result = await ledgersync(['report', METRICS_PIPELINE, 'mrr', '--format', 'html', '--out', out, ...RANGE], sqlite());
    expect(result.code, result.stderr).toBe(0);
    let browser: Browser | undefined;
    try {
      browser = await launchChromium();
      const { page, url, requests } = await openFile(browser, out);
      for (const [id, box] of Object.entries(await chartBoxes(page))) {
        expect(box.width, id).toBeGreaterThan(500);
        expect(box.height, id).toBeGreaterThan(50);
      }
      expect(await page.locator('svg[data-chart="mrr-chart"] circle.mrr-dot').count()).toBe(24);
      expect(await page.locator('svg[data-chart="movements-chart"] rect.bar').count()).toBeGreaterThan(24);
      expect(await page.locator('svg[data-chart="cohort-chart"] rect.cell').count()).toBeGreaterThan(100);
      expect(await page.locator('h1').textContent()).toBe('chargebee-to-metrics');
      if (process.env['LEDGERSYNC_UPDATE_REPORT_EXAMPLE'] === '1') {
        // The README's picture: the sandbox's data (this fake site), header and the three charts.
        const charts = await page.locator('svg[data-chart="cohort-chart"]').boundingBox();
        await page.screenshot({
          path: resolve(ROOT, 'docs/report-example.png'),
          fullPage: true,
          clip: { x: 0, y: 0, width: 1100, height: Math.ceil((charts?.y ?? 0) + (charts?.height ?? 0) + 24) },
        });
      }
      expect(requests).toEqual([url]);
      await page.context().close();
    } finally {
      await browser?.close();
    }
  }, 60_000);
});

describe('ledgersync report refuses what it cannot report', () => {
  it('a missing exchange rate names the currency and the month, exits 2 and prints no figure', async () => {
    const pipeline = pipelineCopy(work.dir, { exchangeRates: { EUR: '1.0825', GBP: '1.2658', JPY: '0.0067' } }, 'no-kwd.yaml');
    const result = await ledgersync(['report', pipeline, 'mrr', '--from', '2024-03', '--to', '2024-06'], databases[0]!.env());
    expect(result.code).toBe(2);
    expect(result.stdout).toBe('');
    // The month before --from is the first the movements need.
    expect(result.stderr).toContain('no exchange rate from KWD to USD for 2024-02');
    expect(result.stderr).toContain('lookups.exchange_rates.values["KWD:2024-02"]');
  });

  it('before the pipeline has run: no database, or empty tables, say to run it first (exit 2), creating nothing', async () => {
    const nowhere = join(mkdtempSync(join(work.dir, 'fresh-')), 'metrics.db');
    const missing = await ledgersync(['report', METRICS_PIPELINE, 'mrr'], { METRICS_DB_PATH: nowhere });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/there is no SQLite database at .*metrics\.db: the pipeline has not written it yet/);
    expect(missing.stderr).toContain('run the pipeline first');
    expect(existsSync(nowhere)).toBe(false);

    const sink = new SqlSink(sinkInput({ path: nowhere }, tables));
    await sink.open(context());
    await sink.close();
    const empty = await ledgersync(['report', METRICS_PIPELINE, 'mrr'], { METRICS_DB_PATH: nowhere });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain('holds no subscription, subscription snapshot nor invoice line');
    expect(empty.stderr).toContain(`run the pipeline first: ledgersync run ${METRICS_PIPELINE}`);
  });

  it('a pipeline whose sink is not sql, a bad month or report name: exit 2', async () => {
    const jsonl = await ledgersync(['report', JSONL_PIPELINE, 'mrr'], {});
    expect(jsonl.code).toBe(2);
    expect(jsonl.stderr).toContain("ledgersync report reads the database of a pipeline's sql sink; pipeline chargebee-to-jsonl writes to jsonl");
    const month = await ledgersync(['report', METRICS_PIPELINE, 'mrr', '--from', '2024-13'], databases[0]!.env());
    expect(month.code).toBe(2);
    expect(month.stderr).toContain('--from must be a month like 2026-03, received "2024-13"');
    const kind = await ledgersync(['report', METRICS_PIPELINE, 'arr'], databases[0]!.env());
    expect(kind.code).toBe(2);
    expect(kind.stderr).toContain("value 'arr' is invalid for argument 'report'. Allowed choices are mrr, churn, cohorts.");
  });

  it('a price with an unknown period unit is a dead letter with the fix, and the report warns the figures leave it out', async () => {
    const odd = fake.state.all('item_prices').find((p) => p.id.startsWith('priority-support-USD-Monthly'))!;
    fake.state.setClock(NOW + 60);
    fake.state.touch('item_prices', odd.id, { period_unit: 'fortnight' } as never);
    const database = databases[0]!;
    const summary = await run(database);
    expect(summary.exitCode).toBe(1);
    expect(summary.streams['item_prices']).toMatchObject({ failed: 1 });
    const statePath = join(work.dir, `${database.name}.state.db`);
    const [letter] = await withState(statePath, (state) => state.deadLetters(plan.name, 'item_prices'));
    expect(letter).toMatchObject({ sourceId: odd.id, errorCode: 'unknown_period_unit' });
    expect(letter?.message).toContain(`record ${odd.id}: the price has period unit "fortnight"`);
    expect(letter?.fix).toMatch(/day, week, month or year/);

    const result = await ledgersync(['report', METRICS_PIPELINE, 'mrr', '--format', 'json', ...RANGE, '--state', statePath], database.env());
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`warning: 1 record(s) of chargebee-to-metrics (item_prices) wait in the dead-letter table and are not in the figures`);
    expect(JSON.parse(result.stdout)).toEqual(printed.get('SQLite mrr'));
  }, 60_000);
});
