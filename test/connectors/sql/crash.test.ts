/**
 * One transaction per batch, checked the hard way: a process writing batches through the sql sink
 * is SIGKILLed at random moments, and every batch is then found whole or not at all, on SQLite and
 * on PostgreSQL. Needs `npm run build` (the child runs the built sink).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTables } from '../../../connectors/sql/tables.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';
import { ROOT, tempDir } from '../../e2e/helpers.js';
import { backends, openSink } from './helpers.js';

const CHILD = fileURLToPath(new URL('./crash-child.mjs', import.meta.url));
const ROWS_PER_BATCH = 2000;
const KILLS = 4;

let server: TestPostgres;
let work: ReturnType<typeof tempDir>;

beforeAll(async () => {
  if (!existsSync(`${ROOT}/dist/connectors/sql/sink.js`)) throw new Error('the crash test runs the built sink: run `npm run build` first');
  work = tempDir('ledgersync-sql-crash-');
  server = await startPostgres({ durable: true });
}, 120_000);
afterAll(async () => {
  await server?.stop();
  work?.cleanup();
});

/** Runs the child from `batch` on, kills it a random moment after its `commits`-th commit; its last line says where it was. */
function runUntilKilled(connection: Record<string, unknown>, batch: number, commits: number): Promise<{ lines: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, JSON.stringify(connection), String(ROWS_PER_BATCH), String(batch)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let stderr = '';
    let buffered = '';
    let armed = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      const parts = buffered.split('\n');
      buffered = parts.pop() ?? '';
      lines.push(...parts);
      if (!armed && lines.filter((l) => l.startsWith('committed')).length >= commits) {
        armed = true;
        setTimeout(() => child.kill('SIGKILL'), Math.floor(Math.random() * 40));
      }
    });
    child.on('exit', (code, signal) => (signal === 'SIGKILL' ? resolve({ lines }) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

describe.each(
  backends(
    () => work.dir,
    () => server.url,
  ),
)('a batch on $name', (backend) => {
  it('lands whole or not at all when the writer is killed mid-batch', async () => {
    const connection = backend.connection();
    const tables = {
      batches: {
        primary_key: ['batch', 'row'],
        columns: { batch: { type: 'integer' }, row: { type: 'integer' }, payload: { type: 'text' }, amount: { type: 'decimal' } },
      },
    };
    let next = 0;
    let killedInside = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const { lines } = await runUntilKilled(connection, next, 2);
      const last = lines[lines.length - 1] ?? '';
      if (last.startsWith('begin')) killedInside++;
      const sink = await openSink(connection, tables);
      const rows = (await sink.db.readTables([parseTables(tables)[0]!]))[0]!;
      await sink.close();
      const perBatch = new Map<number, number>();
      for (const row of rows) perBatch.set(Number(row['batch']), (perBatch.get(Number(row['batch'])) ?? 0) + 1);
      expect(
        [...perBatch.values()].every((n) => n === ROWS_PER_BATCH),
        `batches with a partial count: ${JSON.stringify([...perBatch])}`,
      ).toBe(true);
      const committed = lines.filter((l) => l.startsWith('committed')).map((l) => Number(l.split(' ')[1]));
      for (const batch of committed) expect(perBatch.has(batch), `committed batch ${batch} is missing`).toBe(true);
      next = Math.max(...perBatch.keys()) + 1;
    }
    // Most kills land inside a transaction (writing dominates the loop); at least one must have.
    expect(killedInside).toBeGreaterThan(0);
  }, 120_000);
});
