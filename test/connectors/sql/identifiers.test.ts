/**
 * Names the sql sink gives and accepts, on SQLite and PostgreSQL: every declared index gets a name of
 * its own (two tables' indexes never clash), indexes recorded under the names of earlier versions are
 * replaced, and names a database reserves are refused as a config error before any SQL runs.
 */
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { METADATA_TABLE } from '../../../connectors/sql/database.js';
import { indexName, type StoredShape } from '../../../connectors/sql/migration.js';
import type { LedgersyncError } from '../../../engine/errors.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';
import { tempDir } from '../../e2e/helpers.js';
import { type Backend, backends, context, openSink, record, type Tables } from './helpers.js';

let server: TestPostgres;
let work: ReturnType<typeof tempDir>;

beforeAll(async () => {
  work = tempDir('ledgersync-sql-identifiers-');
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
  work?.cleanup();
});

/** Runs statements on the backend's database, `?` placeholders on SQLite and `$n` on PostgreSQL; the rows of the last. */
async function query(backend: Backend, connection: Record<string, unknown>, statements: Array<[string, unknown[]?]>): Promise<unknown[]> {
  if (backend.name === 'SQLite') {
    const db = new Database(connection['path'] as string);
    try {
      let rows: unknown[] = [];
      for (const [text, params = []] of statements) {
        const statement = db.prepare(text);
        if (statement.reader) rows = statement.all(...params);
        else {
          statement.run(...params);
          rows = [];
        }
      }
      return rows;
    } finally {
      db.close();
    }
  }
  const client = new pg.Client({ connectionString: server.url, options: `-c search_path=${String(connection['schema'])}` });
  await client.connect();
  try {
    let rows: unknown[] = [];
    for (const [text, params = []] of statements) rows = (await client.query(text, params)).rows;
    return rows;
  } finally {
    await client.end();
  }
}

/** The indexes the database holds (primary keys aside), as `table: index`. */
async function indexesOf(backend: Backend, connection: Record<string, unknown>): Promise<string[]> {
  const rows = (await query(backend, connection, [
    backend.name === 'SQLite'
      ? [`SELECT tbl_name AS t, name AS i FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL`]
      : [`SELECT tablename AS t, indexname AS i FROM pg_indexes WHERE schemaname = current_schema() AND indexdef NOT LIKE 'CREATE UNIQUE%'`],
  ])) as Array<{ t: string; i: string }>;
  return rows.map((r) => `${r.t}: ${r.i}`).sort();
}

const invoiceTables: Tables = {
  invoice: { primary_key: ['id'], columns: { id: { type: 'text' }, line_id: { type: 'text' } }, indexes: [['line_id']] },
  invoice_line: { primary_key: ['invoice_id', 'id'], columns: { invoice_id: { type: 'text' }, id: { type: 'text' } }, indexes: [['id']] },
};

describe.each(
  backends(
    () => work.dir,
    () => server.url,
  ),
)('sql identifiers on $name', (backend) => {
  it('creates both indexes of invoice [line_id] and invoice_line [id], whose names used to be the same', async () => {
    const connection = backend.connection();
    const sink = await openSink(connection, invoiceTables);
    expect((await sink.write([record('invoice', { id: 'in_1', line_id: 'li_1' })], context())).map((r) => r.status)).toEqual(['created']);
    await sink.close();
    expect(await indexesOf(backend, connection)).toEqual([
      `invoice: ${indexName('invoice', ['line_id'])}`,
      `invoice_line: ${indexName('invoice_line', ['id'])}`,
    ]);
  });

  it('creates indexes [a, b] and [a_b] of one table as two indexes', async () => {
    const connection = backend.connection();
    const tables: Tables = {
      t: {
        primary_key: ['id'],
        columns: { id: { type: 'text' }, a: { type: 'text' }, b: { type: 'text' }, a_b: { type: 'text' } },
        indexes: [['a', 'b'], ['a_b']],
      },
    };
    await (await openSink(connection, tables)).close();
    expect(await indexesOf(backend, connection)).toEqual([`t: ${indexName('t', ['a', 'b'])}`, `t: ${indexName('t', ['a_b'])}`].sort());
  });

  it('replaces indexes recorded under the old names, the one SQLite skipped included', async () => {
    const connection = backend.connection();
    await (await openSink(connection, invoiceTables)).close();
    // What the version before the hash left: invoice's index under the shared name, and invoice_line
    // recording that name for an index SQLite's IF NOT EXISTS never created.
    const old = 'invoice_line_id_idx';
    const placeholder = (n: number) => (backend.name === 'SQLite' ? '?' : `$${n}`);
    const shapes = (await query(backend, connection, [[`SELECT table_name, shape FROM ${METADATA_TABLE}`]])) as Array<{
      table_name: string;
      shape: string | StoredShape;
    }>;
    await query(backend, connection, [
      [`DROP INDEX "${indexName('invoice', ['line_id'])}"`],
      [`DROP INDEX "${indexName('invoice_line', ['id'])}"`],
      [`CREATE INDEX "${old}" ON invoice (line_id)`],
      ...shapes.map(({ table_name, shape }): [string, unknown[]] => {
        const parsed = (typeof shape === 'string' ? JSON.parse(shape) : shape) as StoredShape;
        const renamed = { ...parsed, indexes: parsed.indexes.map((index) => ({ ...index, name: old })) };
        return [`UPDATE ${METADATA_TABLE} SET shape = ${placeholder(1)} WHERE table_name = ${placeholder(2)}`, [JSON.stringify(renamed), table_name]];
      }),
    ]);
    expect(await indexesOf(backend, connection)).toEqual([`invoice: ${old}`]);

    await (await openSink(connection, invoiceTables)).close();
    expect(await indexesOf(backend, connection)).toEqual([
      `invoice: ${indexName('invoice', ['line_id'])}`,
      `invoice_line: ${indexName('invoice_line', ['id'])}`,
    ]);
  });

  it.each([
    [
      'a table named sqlite_…',
      { sqlite_events: { primary_key: ['id'], columns: { id: { type: 'text' } } } },
      /sink\.tables\.sqlite_events: SQLite reserves/,
      /to events/,
    ],
    [
      'a column named like a PostgreSQL system column',
      { events: { primary_key: ['id'], columns: { id: { type: 'text' }, xmin: { type: 'integer' } } } },
      /sink\.tables\.events\.columns\.xmin: PostgreSQL reserves xmin/,
      /to xmin_value/,
    ],
    [
      'a decimal primary-key column',
      { tiers: { primary_key: ['threshold'], columns: { threshold: { type: 'decimal' } } } },
      /sink\.tables\.tiers\.columns\.threshold is a decimal column in the primary key/,
      /declare threshold as text .* or integer/,
    ],
  ] as Array<[string, Tables, RegExp, RegExp]>)('refuses %s as a config error with the fix, before any SQL', async (_, tables, message, fix) => {
    const error = await openSink(backend.connection(), tables).then(
      () => undefined,
      (e: unknown) => e as LedgersyncError,
    );
    expect(error).toMatchObject({ code: 'invalid_sql_tables', kind: 'config', message: expect.stringMatching(message), fix: expect.stringMatching(fix) });
  });
});
