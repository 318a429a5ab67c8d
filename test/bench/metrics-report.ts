/**
 * Benchmark: `ledgersync report <pipeline> mrr` through the CLI, from a database, over a synthetic
 * book (default 100,000 subscriptions, about 165,000 event snapshots, 36 months): the whole command
 * as a user runs it, process start, reading every row back, MRR and its movements, JSON.
 *
 *   npm run build && node dist/test/bench/metrics-report.js [subscriptions] [months]
 *
 * The book (test/bench/synthetic-metrics.ts) is written through the sql sink into SQLite and into
 * PostgreSQL (a throwaway server from Debian's packages), as the metrics pipeline's rows; the report
 * is then timed three times per database (wall clock of the child process), and its JSON checked
 * against what domain/metrics computes from the book in memory.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import { SqlSink } from '../../connectors/sql/sink.js';
import { computeReports } from '../../domain/metrics/report.js';
import { mrrJson } from '../../domain/metrics/render/json.js';
import { packageRoot } from '../../engine/package-root.js';
import { context, sinkInput, type Tables } from '../connectors/sql/helpers.js';
import { startPostgres } from '../support/postgres.js';
import { writeMetricsRows } from './metrics-rows.js';
import { syntheticBook } from './synthetic-metrics.js';

const SUBSCRIPTIONS = Number(process.argv[2] ?? 100_000);
const MONTHS = Number(process.argv[3] ?? 36);
const CLI = join(packageRoot(), 'bin/ledgersync.js');

const round = (n: number) => Math.round(n * 100) / 100;

function timed(args: string[], env: Record<string, string>): { seconds: number; stdout: string } {
  const started = performance.now();
  const run = spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', ...env }, maxBuffer: 1 << 26 });
  const seconds = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`ledgersync ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  return { seconds, stdout: run.stdout };
}

async function main(): Promise<void> {
  const work = mkdtempSync(join(tmpdir(), 'ledgersync-bench-report-'));
  const postgres = await startPostgres();
  try {
    const book = syntheticBook(SUBSCRIPTIONS, MONTHS);
    const doc = parseDocument(readFileSync(join(packageRoot(), 'pipelines/examples/chargebee-to-metrics.yaml'), 'utf8'));
    doc.setIn(['timezone'], book.settings.timezone);
    doc.setIn(['options', 'reporting_currency'], book.settings.reportingCurrency);
    doc.setIn(['lookups', 'exchange_rates', 'values'], doc.createNode(book.settings.exchangeRates));
    const pipelinePath = join(work, 'metrics.yaml');
    writeFileSync(pipelinePath, doc.toString());
    const tables = (doc.getIn(['sink', 'tables']) as { toJSON(): Tables }).toJSON();
    const expected = JSON.parse(mrrJson(computeReports(book.source, book.settings, { from: book.from, to: book.to, now: 0 }).mrr));

    const databases = {
      sqlite: { connection: { path: join(work, 'metrics.db') }, env: { METRICS_DB_PATH: join(work, 'metrics.db') } },
      postgresql: { connection: { url: postgres.url, schema: 'bench' }, env: { METRICS_DATABASE_URL: postgres.url, METRICS_DATABASE_SCHEMA: 'bench' } },
    };
    const startup = Math.min(...[0, 1, 2].map(() => timed(['report', '--help'], {}).seconds));
    const results: Record<string, unknown> = {};
    for (const [name, database] of Object.entries(databases)) {
      const sink = new SqlSink(sinkInput(database.connection, tables));
      await sink.open(context());
      const loadStarted = performance.now();
      const rows = await writeMetricsRows(sink, book.source);
      const loadSeconds = (performance.now() - loadStarted) / 1000;
      await sink.close();
      const args = ['report', pipelinePath, 'mrr', '--format', 'json', '--from', book.from, '--to', book.to];
      const runs = [0, 1, 2].map(() => timed(args, database.env));
      const first = JSON.parse(runs[0]!.stdout);
      if (!isDeepStrictEqual(first, expected)) throw new Error(`${name}: the report differs from the in-memory computation`);
      const seconds = runs.map((r) => round(r.seconds)).sort((a, b) => a - b);
      results[name] = { rows_loaded: rows, load_seconds: round(loadSeconds), report_seconds: seconds, report_best: seconds[0], report_median: seconds[1] };
    }
    console.log(
      JSON.stringify(
        {
          subscriptions: SUBSCRIPTIONS,
          event_snapshots: book.source.snapshots.length,
          months: MONTHS,
          cli_startup_seconds: round(startup),
          ...results,
          last_month: expected.months.at(-1),
          load_average: loadavg().map(round),
        },
        null,
        2,
      ),
    );
  } finally {
    await postgres.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
