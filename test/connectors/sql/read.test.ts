/**
 * Reading back what a run wrote (`ledgersync report`), on SQLite and PostgreSQL: nothing is created
 * or changed by a reader, and a database, table or column the pipeline has not written yet is a
 * config error that says to run the pipeline first, never an empty result.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFor } from '../../../connectors/sql/sink.js';
import { parseTables } from '../../../connectors/sql/tables.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';
import { tempDir } from '../../e2e/helpers.js';
import { backends, context, openSink, record, sinkInput, type Tables } from './helpers.js';

let server: TestPostgres;
let work: ReturnType<typeof tempDir>;

beforeAll(async () => {
  work = tempDir('ledgersync-sql-read-');
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
  work?.cleanup();
});

const plans: Tables = { plans: { primary_key: ['id'], columns: { id: { type: 'text' }, price: { type: 'decimal' } } } };
const plansWithCurrency: Tables = { plans: { primary_key: ['id'], columns: { id: { type: 'text' }, price: { type: 'decimal' }, currency: { type: 'text' } } } };
const spec = (tables: Tables) => parseTables(tables)[0]!;

async function failureOf(promise: Promise<unknown>): Promise<{ code: string; message: string; fix?: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string; fix?: string };
  }
  throw new Error('expected a failure');
}

describe.each(
  backends(
    () => work.dir,
    () => server.url,
  ),
)('reading the sql sink back on $name', (backend) => {
  it('reads what a run wrote, opened read-only', async () => {
    const connection = backend.connection();
    const sink = await openSink(connection, plans);
    await sink.write([record('plans', { id: 'p1', price: '12.50' })], context());
    await sink.close();
    const reader = databaseFor(sinkInput(connection, plans), { readOnly: true });
    await reader.open();
    expect(await reader.readRows(spec(plans))).toEqual([{ id: 'p1', price: '12.50', deleted_at: null }]);
    await reader.close();
  });

  it('a table the pipeline has not written yet says to run the pipeline first', async () => {
    const connection = backend.connection();
    const sink = await openSink(connection, plans);
    await sink.close();
    const other: Tables = { prices: plans['plans']! };
    const reader = databaseFor(sinkInput(connection, other), { readOnly: true });
    await reader.open();
    const error = await failureOf(reader.readRows(spec(other)));
    expect(error).toMatchObject({ code: 'sql_table_missing', kind: 'config' });
    expect(error.message).toMatch(/^table prices does not exist in .+: the pipeline has not written it yet$/);
    expect(error.fix).toMatch(/run the pipeline first/);
    await reader.close();
  });

  it('a column declared since the last run is named, rather than read as empty', async () => {
    const connection = backend.connection();
    const sink = await openSink(connection, plans);
    await sink.close();
    const reader = databaseFor(sinkInput(connection, plansWithCurrency), { readOnly: true });
    await reader.open();
    const error = await failureOf(reader.readRows(spec(plansWithCurrency)));
    expect(error).toMatchObject({ code: 'sql_table_missing' });
    expect(error.message).toMatch(/^table plans in .+ has no column currency: the pipeline declares it but has not run since$/);
    await reader.close();
  });
});

describe('reading a SQLite file that does not exist', () => {
  it('is a config error naming the file, and creates nothing', async () => {
    const path = join(work.dir, 'never', 'written.db');
    const reader = databaseFor(sinkInput({ path }, plans), { readOnly: true });
    const error = await failureOf(reader.open());
    expect(error).toMatchObject({
      code: 'sql_database_missing',
      kind: 'config',
      message: `there is no SQLite database at ${path}: the pipeline has not written it yet`,
    });
    expect(existsSync(join(work.dir, 'never'))).toBe(false);
  });
});
