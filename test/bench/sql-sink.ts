/**
 * Benchmark: rows per second through the sql sink's write path (value checks, one transaction per
 * page, upsert by key), into SQLite and into PostgreSQL.
 *
 *   npm run build && node dist/test/bench/sql-sink.js [rows] [page]
 *
 * A 12-column table (text, integer, decimal, boolean, timestamp, date, json) receives `rows` rows
 * (default 100,000) in pages of `page` (default 100) three times: new rows (inserted), the same
 * rows again (identical, skipped), and every row with one changed amount (updated). SQLite is a file
 * in a temp folder with WAL and synchronous=FULL, as the sink runs it; PostgreSQL a throwaway
 * server from Debian's packages (test/support/postgres.ts) on loopback with fsync on.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectorDescriptor } from '../../engine/connector/descriptor.js';
import type { ConnectorFactoryInput, SinkContext, SinkRecord } from '../../engine/connector/types.js';
import { silentLogger } from '../../engine/log.js';
import { SqlSink } from '../../connectors/sql/sink.js';
import { startPostgres } from '../support/postgres.js';

const ROWS = Number(process.argv[2] ?? 100_000);
const PAGE = Number(process.argv[3] ?? 100);

const tables = {
  invoice_lines: {
    primary_key: ['invoice_id', 'id'],
    columns: {
      invoice_id: { type: 'text' },
      id: { type: 'text' },
      customer_id: { type: 'text', nullable: false },
      description: { type: 'text' },
      quantity: { type: 'integer' },
      unit_amount: { type: 'decimal' },
      amount: { type: 'decimal', nullable: false },
      taxable: { type: 'boolean' },
      date_from: { type: 'timestamp' },
      date_to: { type: 'timestamp' },
      invoice_date: { type: 'date' },
      discounts: { type: 'json' },
    },
    indexes: [['customer_id']],
  },
};

function records(pass: 'insert' | 'same' | 'update'): SinkRecord[][] {
  const pages: SinkRecord[][] = [];
  for (let start = 0; start < ROWS; start += PAGE) {
    const page: SinkRecord[] = [];
    for (let i = start; i < Math.min(ROWS, start + PAGE); i++) {
      const from = 1_767_225_600 + (i % 365) * 86_400;
      const cents = 1000 + (i % 9000) + (pass === 'update' ? 1 : 0);
      page.push({
        stream: 'bench',
        object: 'invoice_lines',
        sourceId: String(i),
        deleted: false,
        action: 'upsert',
        contentHash: '',
        data: {
          invoice_id: `inv_${Math.floor(i / 4)}`,
          id: `li_${i % 4}`,
          customer_id: `cus_${i % 5000}`,
          description: `Pro plan, seat ${i % 50}, monthly`,
          quantity: 1 + (i % 50),
          unit_amount: `${Math.floor(cents / 100)}.${String(cents % 100).padStart(2, '0')}`,
          amount: `${Math.floor(cents / 100) * (1 + (i % 50))}.${String(cents % 100).padStart(2, '0')}`,
          taxable: i % 3 !== 0,
          date_from: new Date(from * 1000).toISOString(),
          date_to: new Date((from + 30 * 86_400) * 1000).toISOString(),
          invoice_date: new Date(from * 1000).toISOString().slice(0, 10),
          discounts: i % 5 === 0 ? [{ coupon_id: 'WELCOME10', amount: '1.00', type: 'item_level_coupon' }] : [],
        },
      });
    }
    pages.push(page);
  }
  return pages;
}

const context: SinkContext = {
  pipeline: 'bench',
  runId: 'bench',
  log: silentLogger,
  signal: new AbortController().signal,
  resolveTarget: () => undefined,
  kv: { get: () => undefined, set: () => undefined, delete: () => undefined },
  secrets: { get: () => undefined, set: () => undefined },
  now: () => 1_767_225_600,
};

async function measure(name: string, connection: Record<string, unknown>): Promise<void> {
  const input = {
    connection: { connector: 'sql', ...connection, tables },
    descriptor: { name: 'sql' } as ConnectorDescriptor,
    pipelineDir: '/',
    pipeline: 'bench',
    timezone: 'UTC',
    extensions: {},
    lookups: {},
    options: {},
    log: silentLogger,
  } as unknown as ConnectorFactoryInput;
  const sink = new SqlSink(input);
  await sink.open(context);
  const line: string[] = [];
  for (const pass of ['insert', 'same', 'update'] as const) {
    const pages = records(pass);
    const counts: Record<string, number> = {};
    const started = process.hrtime.bigint();
    for (const page of pages) for (const result of await sink.write(page, context)) counts[result.status] = (counts[result.status] ?? 0) + 1;
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const expected = pass === 'insert' ? 'created' : pass === 'same' ? 'skipped' : 'updated';
    if (counts[expected] !== ROWS) throw new Error(`${name} ${pass}: expected ${ROWS} ${expected}, got ${JSON.stringify(counts)}`);
    line.push(`${pass} ${Math.round(ROWS / seconds).toLocaleString('en-US')} rows/s (${seconds.toFixed(2)} s)`);
  }
  await sink.close();
  console.log(`${name.padEnd(10)} ${line.join(' · ')}`);
}

const dir = mkdtempSync(join(tmpdir(), 'ledgersync-bench-sql-'));
console.log(`${ROWS.toLocaleString('en-US')} rows of a 12-column table, pages of ${PAGE}, one transaction per page`);
try {
  await measure('SQLite', { path: join(dir, 'bench.db') });
  const server = await startPostgres({ durable: true });
  try {
    await measure(`PostgreSQL ${server.version}`, { url: server.url, schema: `bench_${randomBytes(3).toString('hex')}` });
  } finally {
    await server.stop();
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
