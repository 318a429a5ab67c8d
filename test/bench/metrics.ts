/**
 * Benchmark: `report mrr` computation over a synthetic book (default 100,000 subscriptions × 36 months),
 * from the model in memory (no database) to the rendered reports.
 *
 *   npm run build && node --expose-gc dist/test/bench/metrics.js [subscriptions] [months]
 *
 * Prints the wall and CPU time of (a) MRR, movements, churn and cohorts (`computeReports`, one pass), measured
 * three times after a warm-up on a tenth of the book, and (b) rendering them as JSON, CSV, table
 * and HTML; plus the heap used and the process's peak resident memory.
 */
import { performance } from 'node:perf_hooks';
import { computeReports } from '../../domain/metrics/report.js';
import { renderReport } from '../../domain/metrics/render/index.js';
import { syntheticBook } from './synthetic-metrics.js';

const SUBSCRIPTIONS = Number(process.argv[2] ?? 100_000);
const MONTHS = Number(process.argv[3] ?? 36);
const gc = (globalThis as { gc?: () => void }).gc;

function mib(bytes: number): number {
  return Math.round((bytes / 1024 / 1024) * 10) / 10;
}

const generated = performance.now();
const book = syntheticBook(SUBSCRIPTIONS, MONTHS);
const generationMs = performance.now() - generated;
const snapshots = book.source.snapshots.length;

const warm = syntheticBook(Math.max(1, Math.floor(SUBSCRIPTIONS / 10)), MONTHS, 2024, 11);
computeReports(warm.source, warm.settings, { from: warm.from, to: warm.to, now: 0 });

const runs: number[] = [];
const cpu: number[] = [];
let reports = computeReports(book.source, book.settings, { from: book.from, to: book.to, now: 0 });
for (let i = 0; i < 3; i++) {
  gc?.();
  const t0 = performance.now();
  const c0 = process.cpuUsage();
  reports = computeReports(book.source, book.settings, { from: book.from, to: book.to, now: 0 });
  const used = process.cpuUsage(c0);
  runs.push(performance.now() - t0);
  cpu.push((used.user + used.system) / 1000);
}
const heapUsed = process.memoryUsage().heapUsed;

const rendering: Record<string, number> = {};
const html = { title: 'Synthetic book', generatedAt: new Date(0), timezone: book.settings.timezone };
for (const format of ['json', 'csv', 'table', 'html'] as const) {
  const t0 = performance.now();
  renderReport(reports, 'mrr', format, html);
  rendering[format] = Math.round(performance.now() - t0);
}

const last = reports.mrr.months.at(-1);
console.log(
  JSON.stringify(
    {
      subscriptions: SUBSCRIPTIONS,
      event_snapshots: snapshots,
      months: MONTHS,
      customers_at_end: last?.customers,
      mrr_at_end: last ? `${last.mrr} minor units ${reports.mrr.currency}` : null,
      generation_ms: Math.round(generationMs),
      compute_ms: runs.map(Math.round),
      compute_ms_best: Math.round(Math.min(...runs)),
      // CPU time of the process (GC threads included): steadier than wall time on a shared machine.
      compute_cpu_ms: cpu.map(Math.round),
      subscription_months_per_second: Math.round((SUBSCRIPTIONS * MONTHS) / (Math.min(...runs) / 1000)),
      render_ms: rendering,
      heap_used_mib: mib(heapUsed),
      peak_rss_mib: mib(process.resourceUsage().maxRSS * 1024),
      node: process.version,
    },
    null,
    2,
  ),
);
