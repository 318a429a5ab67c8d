/**
 * Benchmark: the revenue-recognition schedule of 100,000 invoice lines over 36 monthly periods.
 *
 *   npm run build && node --expose-gc dist/test/bench/revrec.js [lines] [timezone]
 *
 * Every line is a prepaid term from a random day of January 2026 to January 1 2029 (co-terminous
 * 3-year contracts), so each one is allocated over all 36 months (the worst case for the
 * allocation), with discounts on a third of them and four currencies. Prints the time and peak memory of (a) the pure schedule, folded into
 * per-period totals and turned into balanced journals, and (b) the same documents written through
 * the sink's state layer (JSON in a key/value store, as the SQLite store keeps it) in batches of 100.
 */
import { lookupAccountResolver } from '../../domain/revrec/accounts.js';
import { PeriodCalendar } from '../../domain/revrec/calendar.js';
import { buildJournals, journalTotals, type TotalsRow } from '../../domain/revrec/journal.js';
import { documentSchedule, scheduleComponents, type RevenueDocument } from '../../domain/revrec/schedule.js';
import { RevrecLedger } from '../../connectors/dualentry/revrec-ledger.js';
import type { KeyValueStore } from '../../engine/connector/types.js';

const LINES = Number(process.argv[2] ?? 100_000);
const TIMEZONE = process.argv[3] ?? 'America/New_York';
const LINES_PER_INVOICE = 2;

function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function* documents(): Generator<RevenueDocument> {
  const random = prng(42);
  // Noon UTC is the same calendar day in every zone from UTC-11 to UTC+11.
  const start = Date.UTC(2026, 0, 1, 12) / 1000;
  const end = Date.UTC(2029, 0, 1, 12) / 1000;
  for (let i = 0; i < LINES / LINES_PER_INVOICE; i++) {
    const date = start + Math.floor(random() * 28) * 86_400 + Math.floor(random() * 3600);
    yield {
      id: `inv_${i}`,
      kind: 'invoice',
      date,
      currency: ['USD', 'EUR', 'JPY', 'KWD'][i % 4] as string,
      lines: Array.from({ length: LINES_PER_INVOICE }, (_, j) => {
        const amount = 1000 + Math.floor(random() * 10_000_000);
        return {
          id: `li_${i}_${j}`,
          amount,
          discount: random() < 0.33 ? Math.floor(amount * random() * 0.3) : 0,
          tax: 0,
          dateFrom: date,
          dateTo: end,
          recognition: 'ratable' as const,
          accountingCode: ['SAAS', 'SERVICES', 'USAGE'][(i + j) % 3] as string,
        };
      }),
    };
  }
}

const resolve = lookupAccountResolver(
  { accounts_receivable: 'ar', deferred_revenue: 'deferred', revenue: 'revenue', contra_revenue: 'contra' },
  {
    ar: { values: {}, default: '1200' },
    deferred: { values: {}, default: '2400' },
    revenue: { values: { SAAS: '4000', SERVICES: '4010' }, default: '4020' },
    contra: { values: {}, default: '4900' },
  },
);

function memorySampler(): { stop(): { rssMb: number; heapMb: number } } {
  let rss = 0;
  let heap = 0;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  sample();
  const timer = setInterval(sample, 5);
  return {
    stop() {
      sample();
      clearInterval(timer);
      return { rssMb: Math.round(rss / 1048576), heapMb: Math.round(heap / 1048576) };
    },
  };
}

const gc = (globalThis as { gc?: () => void }).gc;

async function pureSchedule(): Promise<void> {
  gc?.();
  const memory = memorySampler();
  const started = performance.now();
  const calendar = new PeriodCalendar('month', TIMEZONE);
  // period → currency → accounting code → amounts by component, as the sink's state keeps them.
  const totals = new Map<string, Map<string, Map<string, number[]>>>();
  let rows = 0;
  let lines = 0;
  let processed = 0;
  for (const document of documents()) {
    lines += document.lines.length;
    for (const row of documentSchedule(document, calendar)) {
      rows++;
      let byCurrency = totals.get(row.period);
      if (!byCurrency) totals.set(row.period, (byCurrency = new Map()));
      let byCode = byCurrency.get(document.currency);
      if (!byCode) byCurrency.set(document.currency, (byCode = new Map()));
      let amounts = byCode.get(row.accountingCode);
      if (!amounts) byCode.set(row.accountingCode, (amounts = [0, 0, 0, 0]));
      const i = scheduleComponents.indexOf(row.component);
      amounts[i] = (amounts[i] as number) + row.amount;
    }
    // Let the sampler run: the real sink yields between batches too.
    if (++processed % 5000 === 0) await new Promise((r) => setImmediate(r));
  }
  const scheduled = performance.now();
  let journals = 0;
  for (const byCurrency of totals.values()) {
    const periodRows: TotalsRow[] = [];
    for (const [currency, byCode] of byCurrency) {
      for (const [accountingCode, amounts] of byCode) {
        amounts.forEach((amount, i) => {
          periodRows.push({ currency, accountingCode, component: scheduleComponents[i]!, amount });
        });
      }
    }
    for (const journal of buildJournals(periodRows, resolve)) {
      const { debit, credit } = journalTotals(journal);
      if (debit !== credit) throw new Error('unbalanced');
      journals++;
    }
  }
  const done = performance.now();
  const peak = memory.stop();
  console.log(
    `(a) schedule: ${lines} lines, ${totals.size} periods, ${rows} schedule rows in ${((scheduled - started) / 1000).toFixed(2)} s; ` +
      `${journals} balanced journals in ${((done - scheduled) / 1000).toFixed(3)} s; peak RSS ${peak.rssMb} MB, peak heap ${peak.heapMb} MB`,
  );
}

async function throughLedger(): Promise<void> {
  gc?.();
  const data = new Map<string, string>();
  const kv: KeyValueStore = {
    get: <T>(key: string) => (data.has(key) ? (JSON.parse(data.get(key)!) as T) : undefined),
    set: (key, value) => void data.set(key, JSON.stringify(value)),
    delete: (key) => void data.delete(key),
  };
  const ledger = new RevrecLedger(kv);
  const memory = memorySampler();
  const started = performance.now();
  const calendar = new PeriodCalendar('month', TIMEZONE);
  let batch: Array<{ key: string; currency: string; rows: ReturnType<typeof documentSchedule> }> = [];
  for (const document of documents()) {
    batch.push({ key: `invoices:${document.id}`, currency: document.currency, rows: documentSchedule(document, calendar) });
    if (batch.length === 100) {
      ledger.replaceDocuments(batch);
      batch = [];
      await new Promise((r) => setImmediate(r));
    }
  }
  if (batch.length) ledger.replaceDocuments(batch);
  const elapsed = performance.now() - started;
  const peak = memory.stop();
  let bytes = 0;
  for (const value of data.values()) bytes += value.length;
  console.log(
    `(b) through the sink's state layer: ${(elapsed / 1000).toFixed(2)} s, ${ledger.periods().length} periods, ` +
      `${data.size} keys / ${Math.round(bytes / 1048576)} MB of JSON state; peak RSS ${peak.rssMb} MB, peak heap ${peak.heapMb} MB`,
  );
}

console.log(
  `revrec benchmark: ${LINES} invoice lines, 36-month terms, timezone ${TIMEZONE}, node ${process.version}${gc ? '' : ' (run with --expose-gc for cleaner memory figures)'}`,
);
await pureSchedule();
await throughLedger();
