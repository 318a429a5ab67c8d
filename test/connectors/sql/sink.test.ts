/**
 * The sql sink's behaviour, the same suite against SQLite and against a real PostgreSQL server
 * (started from Debian's packages by test/support/postgres.ts; the suite fails without them).
 */
import { rmSync } from 'node:fs';
import Database from 'better-sqlite3';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LedgersyncError } from '../../../engine/errors.js';
import type { SinkResult } from '../../../engine/connector/types.js';
import type { SqlSink } from '../../../connectors/sql/sink.js';
import { parseTables } from '../../../connectors/sql/tables.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';
import { tempDir } from '../../e2e/helpers.js';
import { backends, context, openSink, record, recordingLogger, type Tables } from './helpers.js';

let server: TestPostgres;
let work: ReturnType<typeof tempDir>;

beforeAll(async () => {
  work = tempDir('ledgersync-sql-');
  server = await startPostgres();
}, 120_000);
afterAll(async () => {
  await server?.stop();
  work?.cleanup();
});

const customers: Tables = {
  customers: {
    primary_key: ['id'],
    columns: {
      id: { type: 'text' },
      name: { type: 'text', nullable: false },
      email: { type: 'text' },
      balance: { type: 'decimal' },
      orders: { type: 'integer' },
      vip: { type: 'boolean' },
      signed_up: { type: 'date' },
      updated_at: { type: 'timestamp' },
      metadata: { type: 'json' },
    },
    indexes: [['email']],
  },
};

const statuses = (results: SinkResult[]) => results.map((r) => r.status);
const failure = (result: SinkResult | undefined): LedgersyncError => {
  if (result?.status !== 'failed') throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result.error;
};

async function rowsOf(sink: SqlSink, table: string, tables: Tables = customers) {
  const spec = parseTables(tables).find((t) => t.name === table)!;
  return (await sink.db.readTables([spec]))[0]!;
}

describe.each(
  backends(
    () => work.dir,
    () => server.url,
  ),
)('sql sink on $name', (backend) => {
  it('creates the tables and writes every type, read back exactly as written', async () => {
    const sink = await openSink(backend.connection(), customers);
    const results = await sink.write(
      [
        record('customers', {
          id: 'cus_1',
          name: 'Ada',
          email: 'ada@example.com',
          balance: '12.50',
          orders: 3,
          vip: true,
          signed_up: '2024-02-29',
          updated_at: '2024-03-01T10:00:00Z',
          metadata: { plan: 'pro', seats: [1, 2] },
        }),
        record('customers', { id: 'cus_2', name: 'Grace' }),
      ],
      context(),
    );
    expect(results).toEqual([
      { status: 'created', targetId: 'cus_1' },
      { status: 'created', targetId: 'cus_2' },
    ]);
    expect(await rowsOf(sink, 'customers')).toEqual([
      {
        id: 'cus_1',
        name: 'Ada',
        email: 'ada@example.com',
        balance: '12.50',
        orders: 3n,
        vip: true,
        signed_up: '2024-02-29',
        updated_at: '2024-03-01T10:00:00.000Z',
        metadata: { plan: 'pro', seats: [1, 2] },
        deleted_at: null,
      },
      { id: 'cus_2', name: 'Grace', email: null, balance: null, orders: null, vip: null, signed_up: null, updated_at: null, metadata: null, deleted_at: null },
    ]);
    await sink.close();
  });

  it('upserts by primary key: created, then updated when a value changes, skipped when the row is identical', async () => {
    const connection = backend.connection();
    const sink = await openSink(connection, customers);
    const ada = { id: 'cus_1', name: 'Ada', balance: '10', metadata: { a: 1, b: [1, 2] } };
    expect(statuses(await sink.write([record('customers', ada)], context()))).toEqual(['created']);
    // The same values, written differently: JSON keys in another order.
    expect(await sink.write([record('customers', { ...ada, metadata: { b: [1, 2], a: 1 } })], context())).toEqual([
      { status: 'skipped', reason: 'the row already holds these values', targetId: 'cus_1' },
    ]);
    expect(statuses(await sink.write([record('customers', { ...ada, balance: '10.00' })], context()))).toEqual(['updated']);
    // A field the mapping no longer gives is cleared: the mapping defines the whole row.
    expect(statuses(await sink.write([record('customers', { id: 'cus_1', name: 'Ada' })], context()))).toEqual(['updated']);
    expect((await rowsOf(sink, 'customers'))[0]).toMatchObject({ balance: null, metadata: null });
    // The same key twice in one batch: the later version wins, each gets its own outcome.
    expect(statuses(await sink.write([record('customers', { id: 'cus_9', name: 'v1' }), record('customers', { id: 'cus_9', name: 'v2' })], context()))).toEqual(
      ['created', 'updated'],
    );
    await sink.close();

    // A new sink on the same database (the next run) sees the rows as they are.
    const again = await openSink(connection, customers);
    expect(statuses(await again.write([record('customers', { id: 'cus_9', name: 'v2' })], context()))).toEqual(['skipped']);
    expect((await rowsOf(again, 'customers')).map((r) => [r['id'], r['name']])).toEqual([
      ['cus_1', 'Ada'],
      ['cus_9', 'v2'],
    ]);
    await again.close();
  });

  it('migrates: a new column is added to a table that holds rows, and an index with it', async () => {
    const connection = backend.connection();
    const first = await openSink(connection, customers);
    await first.write([record('customers', { id: 'cus_1', name: 'Ada' })], context());
    await first.close();

    const log = recordingLogger();
    const wider: Tables = {
      customers: {
        ...customers['customers']!,
        columns: { ...customers['customers']!.columns, country: { type: 'text' } },
        indexes: [['email'], ['country', 'name']],
      },
    };
    const second = await openSink(connection, wider, log);
    expect(log.lines.join('\n')).toMatch(/customers: column country added, index customers_country_name_[0-9a-f]{10}_idx created/);
    expect((await rowsOf(second, 'customers', wider))[0]).toMatchObject({ id: 'cus_1', name: 'Ada', country: null });
    expect(statuses(await second.write([record('customers', { id: 'cus_1', name: 'Ada', country: 'FR' })], context()))).toEqual(['updated']);
    expect((await rowsOf(second, 'customers', wider))[0]).toMatchObject({ country: 'FR' });
    await second.close();

    // Opening again with the same declaration changes nothing.
    const quiet = recordingLogger();
    await (await openSink(connection, wider, quiet)).close();
    expect(quiet.lines.filter((l) => /added|created|dropped/.test(l))).toEqual([]);
  });

  it('refuses a type change, a key change or a new NOT NULL column on a table that holds rows, naming table, column and fix', async () => {
    const connection = backend.connection();
    const sink = await openSink(connection, customers);
    await sink.write([record('customers', { id: 'cus_1', name: 'Ada', orders: 3 })], context());
    await sink.close();

    const changed: Tables = {
      customers: {
        primary_key: ['id', 'name'],
        columns: { ...customers['customers']!.columns, orders: { type: 'decimal' }, tier: { type: 'text', nullable: false } },
      },
    };
    const error = await openSink(connection, changed).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LedgersyncError);
    const refused = error as LedgersyncError;
    expect(refused.kind).toBe('config');
    expect(refused.code).toBe('sql_migration_refused');
    expect(refused.message).toContain('table customers');
    expect(refused.message).toContain('column orders is integer in the database and declared decimal');
    expect(refused.message).toContain('new column tier is NOT NULL');
    expect(refused.message).toContain('the primary key is (id) in the database and declared (id, name)');
    expect(refused.fix).toMatch(/new column or table under another name/);

    // Nothing was changed: the old declaration still opens and the data is there.
    const old = await openSink(connection, customers);
    expect(await rowsOf(old, 'customers')).toMatchObject([{ id: 'cus_1', name: 'Ada', orders: 3n }]);
    await old.close();
  });

  it('recreates a table that holds no row with its new shape', async () => {
    const connection = backend.connection();
    await (await openSink(connection, customers)).close();
    const rekeyed: Tables = { customers: { primary_key: ['email'], columns: { email: { type: 'text' }, orders: { type: 'decimal' } } } };
    const sink = await openSink(connection, rekeyed);
    expect(statuses(await sink.write([record('customers', { email: 'a@b.c', orders: '1.5' })], context()))).toEqual(['created']);
    expect(await rowsOf(sink, 'customers', rekeyed)).toEqual([{ email: 'a@b.c', orders: '1.5', deleted_at: null }]);
    await sink.close();
  });

  it('makes a NOT NULL column nullable and keeps its data; a column no longer declared keeps its data until declared again', async () => {
    const connection = backend.connection();
    const first = await openSink(connection, customers);
    await first.write([record('customers', { id: 'cus_1', name: 'Ada', email: 'ada@example.com' })], context());
    await first.close();

    const { email: _email, ...withoutEmail } = customers['customers']!.columns;
    const loosened: Tables = { customers: { primary_key: ['id'], columns: { ...withoutEmail, name: { type: 'text', nullable: true } } } };
    const log = recordingLogger();
    const second = await openSink(connection, loosened, log);
    expect(log.lines.join('\n')).toMatch(/customers: email no longer declared; kept in the database with their data/);
    expect(log.lines.join('\n')).toMatch(/column name made nullable/);
    expect(statuses(await second.write([record('customers', { id: 'cus_2' })], context()))).toEqual(['created']);
    const rows = await rowsOf(second, 'customers', loosened);
    expect(rows.map((r) => [r['id'], r['name']])).toEqual([
      ['cus_1', 'Ada'],
      ['cus_2', null],
    ]);
    await second.close();

    const third = await openSink(connection, {
      customers: { ...customers['customers']!, columns: { ...customers['customers']!.columns, name: { type: 'text' } } },
    });
    const back = await rowsOf(third, 'customers');
    expect(back.map((r) => [r['id'], r['email']])).toEqual([
      ['cus_1', 'ada@example.com'],
      ['cus_2', null],
    ]);
    await third.close();
  });

  it('makes a column nullable and adds one declared after it, in one migration', async () => {
    const connection = backend.connection();
    const strict: Tables = { plans: { primary_key: ['id'], columns: { id: { type: 'text' }, name: { type: 'text', nullable: false } } } };
    const first = await openSink(connection, strict);
    await first.write([record('plans', { id: 'p1', name: 'Basic' })], context());
    await first.close();

    const loosened: Tables = {
      plans: { primary_key: ['id'], columns: { id: { type: 'text' }, name: { type: 'text', nullable: true }, tier: { type: 'text' } } },
    };
    const second = await openSink(connection, loosened);
    expect(statuses(await second.write([record('plans', { id: 'p2', tier: 'gold' })], context()))).toEqual(['created']);
    expect(await rowsOf(second, 'plans', loosened)).toEqual([
      { id: 'p1', name: 'Basic', tier: null, deleted_at: null },
      { id: 'p2', name: null, tier: 'gold', deleted_at: null },
    ]);
    await second.close();
  });

  it('soft-deletes: the row is kept with deleted_at, a repeated delete changes nothing, and a record that comes back clears it', async () => {
    const sink = await openSink(backend.connection(), customers);
    await sink.write([record('customers', { id: 'cus_1', name: 'Ada', email: 'ada@example.com' })], context());

    // Chargebee lists the record as deleted: the mapping runs as usual, the row is flagged.
    const deleted = await sink.write([record('customers', { id: 'cus_1', name: 'Ada', email: 'ada@example.com' }, { deleted: true })], context(1_767_225_600));
    expect(statuses(deleted)).toEqual(['updated']);
    expect((await rowsOf(sink, 'customers'))[0]).toMatchObject({ id: 'cus_1', email: 'ada@example.com', deleted_at: '2026-01-01T00:00:00.000Z' });

    // Deleted again a day later: the first deletion time stays, nothing is written.
    expect(
      statuses(await sink.write([record('customers', { id: 'cus_1', name: 'Ada', email: 'ada@example.com' }, { deleted: true })], context(1_767_312_000))),
    ).toEqual(['skipped']);
    // `_action: delete` with only the key keeps every other column.
    expect(statuses(await sink.write([record('customers', { id: 'cus_1' }, { action: 'delete' })], context(1_767_312_000)))).toEqual(['skipped']);
    expect((await rowsOf(sink, 'customers'))[0]).toMatchObject({ name: 'Ada', email: 'ada@example.com', deleted_at: '2026-01-01T00:00:00.000Z' });

    // Undeleted (restored in the source): deleted_at is cleared.
    expect(statuses(await sink.write([record('customers', { id: 'cus_1', name: 'Ada', email: 'ada@example.com' })], context()))).toEqual(['updated']);
    expect((await rowsOf(sink, 'customers'))[0]).toMatchObject({ deleted_at: null });

    // A record deleted before it was ever synced is inserted, flagged; one without its required columns fails alone.
    const first = await sink.write(
      [record('customers', { id: 'cus_2', name: 'Gone' }, { deleted: true }), record('customers', { id: 'cus_3' }, { action: 'delete', deleted: true })],
      context(),
    );
    expect(first[0]).toEqual({ status: 'created', targetId: 'cus_2' });
    expect(failure(first[1]).message).toMatch(/record cus_3: customers refused the row/);
    expect(failure(first[1]).fix).toMatch(/deleted record not yet in customers/);
    expect((await rowsOf(sink, 'customers')).map((r) => [r['id'], r['deleted_at']])).toEqual([
      ['cus_1', null],
      ['cus_2', '2026-01-01T00:00:00.000Z'],
    ]);
    await sink.close();
  });

  it('a value that does not fit fails its record with table, column, value and fix; the rest of the batch lands', async () => {
    const sink = await openSink(backend.connection(), customers);
    const results = await sink.write(
      [
        record('customers', { id: 'ok_1', name: 'First' }),
        record('customers', { id: 'bad_int', name: 'x', orders: 1.5 }),
        record('customers', { id: 'bad_dec', name: 'x', balance: '1,234.00' }),
        record('customers', { id: 'bad_time', name: 'x', updated_at: '2024-03-01 10:00:00' }),
        record('customers', { id: 'bad_date', name: 'x', signed_up: '2023-02-29' }),
        record('customers', { id: 'no_name', email: 'n@example.com' }),
        record('customers', { id: 'extra', name: 'x', nickname: 'Ace' }),
        record('customerz', { id: 'typo', name: 'x' }),
        record('customers', { id: 'nul', name: 'a\u0000b' }),
        record('customers', { id: 'ok_2', name: 'Last', orders: '9223372036854775807' }),
      ],
      context(),
    );
    expect(statuses(results)).toEqual(['created', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'failed', 'created']);
    const errors = results.filter((r) => r.status === 'failed').map((r) => failure(r));
    expect(errors.every((e) => e.kind === 'record' && e.fix)).toBe(true);
    expect(errors.map((e) => e.message)).toEqual([
      'record bad_int: customers.orders (integer): 1.5 is not a whole number',
      'record bad_dec: customers.balance (decimal): "1,234.00" is not a decimal number like 1234.56',
      'record bad_time: customers.updated_at (timestamp): "2024-03-01 10:00:00" is not an ISO 8601 instant with a time zone',
      'record bad_date: customers.signed_up (date): "2023-02-29" is not a calendar date YYYY-MM-DD',
      'record no_name: customers.name needs a value (NOT NULL), but the record has none',
      "record extra: 'nickname' is not a column of customers",
      "record typo is for table 'customerz', which sink.tables does not declare",
      'record nul: customers.name (text): "a\\u0000b" contains a NUL character, which PostgreSQL cannot store',
    ]);
    expect(errors[0]!.details).toMatchObject({ table: 'customers', column: 'orders', value: 1.5 });
    expect(errors[4]!.fix).toBe('map name, or declare it nullable: true in sink.tables.customers.columns');
    expect(errors[5]!.fix).toMatch(/declare nickname in sink.tables.customers.columns, or drop it from the mapping/);
    expect((await rowsOf(sink, 'customers')).map((r) => [r['id'], r['orders']])).toEqual([
      ['ok_1', null],
      ['ok_2', 9223372036854775807n],
    ]);
    await sink.close();
  });

  it('applies a batch mixing tables, repeated keys and deletes in order, one outcome per record', async () => {
    const two: Tables = { ...customers, notes: { primary_key: ['id'], columns: { id: { type: 'text' }, body: { type: 'text' } } } };
    const sink = await openSink(backend.connection(), two);
    const results = await sink.write(
      [
        record('customers', { id: 'a', name: 'A1' }),
        record('notes', { id: 'n', body: 'first' }),
        record('customers', { id: 'b', name: 'B1' }),
        record('customers', { id: 'a', name: 'A2' }),
        record('notes', { id: 'n', body: 'first' }),
        record('customers', { id: 'a' }, { action: 'delete' }),
        record('customers', { id: 'b', name: 'B1' }),
        record('customers', { id: 'a', name: 'A3' }, { deleted: true }),
      ],
      context(),
    );
    expect(statuses(results)).toEqual(['created', 'created', 'created', 'updated', 'skipped', 'updated', 'skipped', 'updated']);
    expect((await rowsOf(sink, 'customers', two)).map((r) => [r['id'], r['name'], r['deleted_at']])).toEqual([
      ['a', 'A3', '2026-01-01T00:00:00.000Z'],
      ['b', 'B1', null],
    ]);
    expect(await rowsOf(sink, 'notes', two)).toEqual([{ id: 'n', body: 'first', deleted_at: null }]);
    await sink.close();
  });

  it('keys by a composite primary key', async () => {
    const lines: Tables = {
      invoice_lines: {
        primary_key: ['invoice_id', 'id'],
        columns: { invoice_id: { type: 'text' }, id: { type: 'text' }, amount: { type: 'decimal', nullable: false } },
      },
    };
    const sink = await openSink(backend.connection(), lines);
    const results = await sink.write(
      [
        record('invoice_lines', { invoice_id: 'inv_1', id: 'li_1', amount: '10.00' }),
        record('invoice_lines', { invoice_id: 'inv_1', id: 'li_2', amount: '20.00' }),
        record('invoice_lines', { invoice_id: 'inv_2', id: 'li_1', amount: '30.00' }),
      ],
      context(),
    );
    expect(results.map((r) => (r.status === 'created' ? r.targetId : r.status))).toEqual(['["inv_1","li_1"]', '["inv_1","li_2"]', '["inv_2","li_1"]']);
    expect(
      statuses(
        await sink.write(
          [
            record('invoice_lines', { invoice_id: 'inv_1', id: 'li_2', amount: '25.00' }),
            record('invoice_lines', { invoice_id: 'inv_2', id: 'li_1', amount: '30.00' }),
          ],
          context(),
        ),
      ),
    ).toEqual(['updated', 'skipped']);
    expect((await rowsOf(sink, 'invoice_lines', lines)).map((r) => [r['invoice_id'], r['id'], r['amount']])).toEqual([
      ['inv_1', 'li_1', '10.00'],
      ['inv_1', 'li_2', '25.00'],
      ['inv_2', 'li_1', '30.00'],
    ]);
    await sink.close();
  });

  it('stores decimals exactly, scale as written', async () => {
    const amounts: Tables = { amounts: { primary_key: ['id'], columns: { id: { type: 'integer' }, value: { type: 'decimal' } } } };
    const sink = await openSink(backend.connection(), amounts);
    await sink.write(
      [
        record('amounts', { id: 1, value: '12345678901234567890.123456789' }),
        record('amounts', { id: 2, value: '-0.000000000000000001' }),
        record('amounts', { id: 3, value: '+007.50' }),
        record('amounts', { id: 4, value: 0.1 }),
        record('amounts', { id: 5, value: '-0.00' }),
        record('amounts', { id: 6, value: 1e21 }),
        record('amounts', { id: 7, value: '99999999999999999999999999999999999999.99' }),
      ],
      context(),
    );
    expect((await rowsOf(sink, 'amounts', amounts)).map((r) => r['value'])).toEqual([
      '12345678901234567890.123456789',
      '-0.000000000000000001',
      '7.50',
      '0.1',
      '0.00',
      '1000000000000000000000',
      '99999999999999999999999999999999999999.99',
    ]);
    // The same amount at another scale is a change; the same text is not.
    expect(
      statuses(
        await sink.write([record('amounts', { id: 3, value: '7.5' }), record('amounts', { id: 1, value: '12345678901234567890.123456789' })], context()),
      ),
    ).toEqual(['updated', 'skipped']);
    await sink.close();
  });

  it('stores timestamps as instants in UTC, whatever offset they were written with', async () => {
    const events: Tables = { events: { primary_key: ['id'], columns: { id: { type: 'text' }, at: { type: 'timestamp' }, on: { type: 'date' } } } };
    const sink = await openSink(backend.connection(), events);
    await sink.write(
      [
        record('events', { id: 'new_york', at: '2024-03-10T01:30:00-05:00', on: '2024-03-10' }),
        record('events', { id: 'kolkata', at: '2024-03-10T12:00:00+05:30' }),
        record('events', { id: 'utc_ms', at: '2024-12-31T23:59:59.999Z' }),
        record('events', { id: 'compact', at: '2024-01-01T00:00:00+0100' }),
        record('events', { id: 'old', at: '1900-01-01T00:00:00Z' }),
      ],
      context(),
    );
    expect((await rowsOf(sink, 'events', events)).map((r) => [r['id'], r['at']])).toEqual([
      ['compact', '2023-12-31T23:00:00.000Z'],
      ['kolkata', '2024-03-10T06:30:00.000Z'],
      ['new_york', '2024-03-10T06:30:00.000Z'],
      ['old', '1900-01-01T00:00:00.000Z'],
      ['utc_ms', '2024-12-31T23:59:59.999Z'],
    ]);
    // The same instant written in another zone is no change.
    const again = await sink.write(
      [record('events', { id: 'kolkata', at: '2024-03-10T01:30:00-05:00' }), record('events', { id: 'utc_ms', at: '2024-12-31T23:59:59.999123Z' })],
      context(),
    );
    expect(statuses(again)).toEqual(['skipped', 'failed']);
    expect(failure(again[1]).message).toMatch(/finer than a millisecond/);
    await sink.close();
  });

  it('stores any JSON value in a json column, and compares it by value', async () => {
    const docs: Tables = { docs: { primary_key: ['id'], columns: { id: { type: 'text' }, body: { type: 'json' } } } };
    const sink = await openSink(backend.connection(), docs);
    const bodies = {
      object: { z: 1, a: { c: [1, 'two', null, true], b: 2.5 } },
      array: [{ id: 1 }, { id: 2 }],
      text: 'plain "quoted" text',
      number: 42,
      flag: false,
      unicode: { name: 'Müller – 東京 🚀' },
    };
    await sink.write(
      Object.entries(bodies).map(([id, body]) => record('docs', { id, body })),
      context(),
    );
    const rows = await rowsOf(sink, 'docs', docs);
    expect(Object.fromEntries(rows.map((r) => [r['id'], r['body']]))).toEqual(bodies);
    expect(statuses(await sink.write([record('docs', { id: 'object', body: { a: { b: 2.5, c: [1, 'two', null, true] }, z: 1 } })], context()))).toEqual([
      'skipped',
    ]);
    expect(statuses(await sink.write([record('docs', { id: 'array', body: [{ id: 2 }, { id: 1 }] })], context()))).toEqual(['updated']);
    await sink.close();
  });

  it('quotes every identifier: tables and columns named like SQL keywords work', async () => {
    const odd: Tables = { order: { primary_key: ['select'], columns: { select: { type: 'text' }, from: { type: 'integer' }, group_: { type: 'boolean' } } } };
    const sink = await openSink(backend.connection(), odd);
    await sink.write([record('order', { select: "it's", from: 1, group_: false })], context());
    expect(await rowsOf(sink, 'order', odd)).toEqual([{ select: "it's", from: 1n, group_: false, deleted_at: null }]);
    await sink.close();
  });

  it('says so when a table it wrote to was dropped, since the ledger would not write unchanged records again', async () => {
    const connection = backend.connection();
    const state = context();
    const sink = await openSink(connection, customers, undefined, state);
    await sink.write([record('customers', { id: 'cus_1', name: 'Ada' })], state);
    await sink.close();
    // Opening again with the same state is fine.
    await (await openSink(connection, customers, undefined, state)).close();

    if (backend.name === 'SQLite') {
      rmSync(String(connection['path']));
    } else {
      const client = new pg.Client({ connectionString: String(connection['url']) });
      await client.connect();
      await client.query(`DROP TABLE ${connection['schema']}.customers`);
      await client.end();
    }
    const error = await openSink(connection, customers, undefined, state).then(
      () => undefined,
      (e: unknown) => e as LedgersyncError,
    );
    expect(error?.code).toBe('sql_tables_replaced');
    expect(error?.kind).toBe('config');
    expect(error?.message).toMatch(/^customers in .* is not the table this pipeline wrote to before/);
    expect(error?.fix).toMatch(/new state file \(--state\), which writes every record again/);
    // With a new state (nothing counted as written yet), the empty table is simply used.
    const fresh = await openSink(connection, customers);
    expect(statuses(await fresh.write([record('customers', { id: 'cus_1', name: 'Ada' })], context()))).toEqual(['created']);
    await fresh.close();
  });

  it('refuses to write into a table it did not create', async () => {
    const connection = backend.connection();
    if (backend.name === 'SQLite') {
      const db = new Database(String(connection['path']));
      db.exec('CREATE TABLE customers (id TEXT PRIMARY KEY, notes TEXT)');
      db.close();
    } else {
      const client = new pg.Client({ connectionString: String(connection['url']) });
      await client.connect();
      await client.query(`CREATE SCHEMA ${connection['schema']}; CREATE TABLE ${connection['schema']}.customers (id text PRIMARY KEY, notes text)`);
      await client.end();
    }
    const error = await openSink(connection, customers).then(
      () => undefined,
      (e: unknown) => e as LedgersyncError,
    );
    expect(error?.code).toBe('sql_table_foreign');
    expect(error?.message).toBe('table customers already exists and was not created by ledgersync');
    expect(error?.fix).toMatch(/give the table another name in sink.tables/);
  });
});
