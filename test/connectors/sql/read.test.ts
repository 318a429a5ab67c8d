/**
 * Reading back what a run wrote (`ledgersync report`), on SQLite and PostgreSQL: nothing is created
 * or changed by a reader, and a database, table or column the pipeline has not written yet is a
 * config error that says to run the pipeline first, never an empty result.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { databaseFor } from '../../../connectors/sql/sink.js';
import { parseTables } from '../../../connectors/sql/tables.js';
import { postgresBinaries, startPostgres, type TestPostgres } from '../../support/postgres.js';
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

/** Two tables a sync writes together: a subscription and its items, each row with the subscription's version. */
const versioned: Tables = {
  subscriptions: { primary_key: ['id'], columns: { id: { type: 'text' }, version: { type: 'integer' } } },
  subscription_items: { primary_key: ['id'], columns: { id: { type: 'text' }, version: { type: 'integer' } } },
};

/** Runs SQL on the test server from another connection, synchronously: it commits before the next line runs. */
function psql(sql: string): void {
  execFileSync(join(postgresBinaries().bin, 'psql'), [server.url, '-v', 'ON_ERROR_STOP=1', '-c', sql]);
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
    expect(await reader.readTables([spec(plans)])).toEqual([[{ id: 'p1', price: '12.50', deleted_at: null }]]);
    await reader.close();
  });

  it('a table the pipeline has not written yet says to run the pipeline first', async () => {
    const connection = backend.connection();
    const sink = await openSink(connection, plans);
    await sink.close();
    const other: Tables = { prices: plans['plans']! };
    const reader = databaseFor(sinkInput(connection, other), { readOnly: true });
    await reader.open();
    const error = await failureOf(reader.readTables([spec(other)]));
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
    const error = await failureOf(reader.readTables([spec(plansWithCurrency)]));
    expect(error).toMatchObject({ code: 'sql_table_missing' });
    expect(error.message).toMatch(/^table plans in .+ has no column currency: the pipeline declares it but has not run since$/);
    await reader.close();
  });

  it('reads every table in one snapshot: a commit between two tables shows in neither', async () => {
    const connection = backend.connection();
    const sink = await openSink(connection, versioned);
    await sink.write([record('subscriptions', { id: 's1', version: 1 }), record('subscription_items', { id: 's1-plan', version: 1 })], context());
    await sink.close();

    // The sync's next commit (version 2 of both) lands once the first table has been read, before the second is.
    const commitVersion2 = () => {
      if ('path' in connection) {
        const db = new Database(connection['path'] as string);
        db.exec(`BEGIN; UPDATE subscriptions SET version = 2; UPDATE subscription_items SET version = 2; COMMIT;`);
        db.close();
        return;
      }
      const schema = connection['schema'] as string;
      psql(`BEGIN; UPDATE "${schema}".subscriptions SET version = 2; UPDATE "${schema}".subscription_items SET version = 2; COMMIT;`);
    };
    const [subscriptions, items] = parseTables(versioned);
    const tables = [subscriptions!];
    Object.defineProperty(tables, 1, {
      enumerable: true,
      get: () => {
        commitVersion2();
        return items!;
      },
    });

    const reader = databaseFor(sinkInput(connection, versioned), { readOnly: true });
    await reader.open();
    const read = await reader.readTables(tables);
    await reader.close();
    expect(read.map((rows) => rows.map((r) => r['version']))).toEqual([[1n], [1n]]);
  });

  it("is the byte order of text keys, whatever the column's collation: both databases give the same list", async () => {
    const connection = backend.connection();
    const sink = await openSink(connection, plans);
    await sink.write([record('plans', { id: 'a_pct10', price: '1.00' }), record('plans', { id: 'B_FIX10', price: '2.00' })], context());
    await sink.close();
    if ('url' in connection) {
      // A production database's usual collation sorts 'a' before 'B'; the byte order puts 'B' first.
      psql(`ALTER TABLE "${connection['schema'] as string}".plans ALTER COLUMN id TYPE text COLLATE "en-US-x-icu"`);
    }
    const reader = databaseFor(sinkInput(connection, plans), { readOnly: true });
    await reader.open();
    const [rows] = await reader.readTables([spec(plans)]);
    await reader.close();
    expect(rows!.map((r) => r['id'])).toEqual(['B_FIX10', 'a_pct10']);
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

describe('a PostgreSQL server that does not answer a reader', () => {
  it('is a connection error whose fix names no batch: a reader writes nothing', async () => {
    const reader = databaseFor(sinkInput({ url: 'postgres://reader:secret@127.0.0.1:1/metrics' }, plans), { readOnly: true });
    const error = await failureOf(reader.open());
    await reader.close();
    expect(error).toMatchObject({ code: 'sql_connection_failed' });
    expect(error.fix).toMatch(/^check that the server is up and reachable/);
    expect(error.fix).not.toMatch(/batch/);
  });
});
