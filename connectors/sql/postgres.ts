/**
 * The sql sink's PostgreSQL database, through `pg`: one pooled connection per run, parameterised
 * statements only, every identifier quoted, tables in the pipeline's schema.
 *
 * Storage: text, bigint, numeric (exact, scale kept), boolean, timestamptz, date, jsonb.
 * A batch is one transaction. Upserts go as multi-row `INSERT … ON CONFLICT DO UPDATE … WHERE
 * <row differs>` statements, which say per row whether it was inserted or updated, and leave an
 * identical row untouched (skipped). If the database refuses a row, the transaction is rolled back
 * and the batch replayed row by row under savepoints, so only that row fails.
 */
import type pg from 'pg';
import { LedgersyncError } from '../../engine/errors.js';
import { requireCjs } from '../../engine/require-cjs.js';
import { registerSecret } from '../../engine/log.js';
import {
  METADATA_TABLE,
  notWrittenYet,
  rowRefused,
  writtenColumns,
  type MigrationTarget,
  type PortableRow,
  type RowOutcome,
  type SqlDatabase,
  type TableInspection,
} from './database.js';
import type { MigrationStep, StoredShape } from './migration.js';
import { targetIdOf, type RowOperation } from './rows.js';
import { DELETED_AT, type ColumnType, type TableSpec } from './tables.js';
import type { StorageValue } from './values.js';

const SQL_TYPE: Record<ColumnType, string> = {
  text: 'text',
  integer: 'bigint',
  decimal: 'numeric',
  boolean: 'boolean',
  timestamp: 'timestamptz',
  date: 'date',
  json: 'jsonb',
};

/** PostgreSQL accepts at most 65535 parameters in one statement. */
const MAX_PARAMETERS = 60_000;
const MAX_ROWS_PER_STATEMENT = 1000;

/** The pg package, loaded by the first PostgreSQL sink: a run into any other sink never pays for it. */
let pgPackage: typeof pg | undefined;
const pgLib = (): typeof pg => (pgPackage ??= requireCjs('pg') as typeof pg);

export const quote = (identifier: string): string => pgLib().escapeIdentifier(identifier);

/** The column's value as the canonical text values.ts produces, computed by PostgreSQL. */
function canonicalText(expression: string, type: ColumnType): string {
  switch (type) {
    case 'timestamp':
      return `to_char(${expression} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
    case 'date':
      return `to_char(${expression}, 'YYYY-MM-DD')`;
    case 'boolean':
      return `CASE WHEN ${expression} THEN 'true' ELSE 'false' END`;
    default:
      return `${expression}::text`;
  }
}

/** What "the stored value differs" compares: numeric as text, so 7.5 → 7.50 is a change, as in SQLite. */
function comparable(expression: string, type: ColumnType): string {
  return type === 'decimal' ? `${expression}::text` : expression;
}

function parameter(value: StorageValue): string | boolean | null {
  return typeof value === 'bigint' ? value.toString() : value;
}

/** Connection details a person may read: the host, port and database, never the user or password. */
export function describeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return `postgres://${parsed.hostname}${parsed.port ? ':' + parsed.port : ''}${parsed.pathname}`;
  } catch {
    return 'postgres://(unparsable url)';
  }
}

type PgError = Error & { code?: string; severity?: string };

/** Data and constraint errors (classes 22, 23) and a too-large row (54) belong to one row; the rest stop the batch. */
function isRowError(error: unknown): error is PgError & { code: string } {
  const code = (error as PgError).code;
  return typeof code === 'string' && /^(22|23|54)/.test(code);
}

class RowRefused extends Error {}

/** The connection failed while COMMIT was in flight: the server may have committed the batch. */
class CommitInDoubt extends Error {
  constructor(readonly reason: unknown) {
    super((reason as Error)?.message ?? String(reason));
  }
}

export class PostgresDatabase implements SqlDatabase {
  readonly description: string;
  private pool: pg.Pool | undefined;

  constructor(
    private readonly url: string,
    private readonly schema: string,
    /** A reader (`ledgersync report`): it writes nothing, so no failure of it rolled a batch back. */
    private readonly readOnly = false,
  ) {
    this.description = `${describeUrl(url)} (schema ${schema})`;
    registerSecret(url);
    try {
      registerSecret(decodeURIComponent(new URL(url).password));
    } catch {
      // an unparsable URL is reported by open()
    }
  }

  private table(name: string): string {
    return `${quote(this.schema)}.${quote(name)}`;
  }

  private failure(error: unknown, doing: string): LedgersyncError {
    if (error instanceof LedgersyncError) return error;
    if (error instanceof CommitInDoubt) {
      const reason = error.reason as Error;
      return new LedgersyncError(
        'sql_connection_failed',
        'transient',
        `lost the connection to PostgreSQL at ${this.description} while committing (${doing}): ${reason.message}`,
        {
          fix: 'check that the server is up and reachable from this host; the batch may have been committed, and the next run writes it again, which changes nothing for rows already written',
          mayHaveSucceeded: true,
          cause: reason,
        },
      );
    }
    const e = error as PgError & { errno?: number };
    const code = e.code ?? '';
    const where = this.description;
    if (code.startsWith('28')) {
      return new LedgersyncError('sql_login_failed', 'auth', `PostgreSQL at ${where} refused the login while ${doing}: ${e.message}`, {
        fix: 'check the user and password in the variable that sets sink.url, and that pg_hba.conf lets this host in',
        details: { code },
      });
    }
    if (code === '3D000' || code === '42501' || code === '3F000') {
      return new LedgersyncError('sql_database_unusable', 'config', `PostgreSQL at ${where}: ${e.message} (while ${doing})`, {
        fix:
          code === '3D000'
            ? 'create the database, or correct its name in sink.url'
            : 'grant the user CREATE and USAGE on the schema, or choose another sink.schema',
        details: { code },
      });
    }
    const rolledBack = this.readOnly ? '' : 'the batch was rolled back';
    if (!code || /^(08|57P|53)/.test(code) || /^E[A-Z]+$/.test(code)) {
      return new LedgersyncError('sql_connection_failed', 'transient', `cannot reach PostgreSQL at ${where} while ${doing}: ${e.message}`, {
        fix: `check that the server is up and reachable from this host (host, port, firewall, sslmode)${rolledBack ? `; ${rolledBack}` : ''}`,
        details: { code },
        cause: error,
      });
    }
    return new LedgersyncError('sql_database_failed', 'system', `PostgreSQL at ${where} failed while ${doing}: ${e.message}`, {
      fix: `${rolledBack ? `${rolledBack}; ` : ''}correct the cause named by PostgreSQL and run again`,
      details: { code },
      cause: error,
    });
  }

  async open(): Promise<void> {
    try {
      new URL(this.url);
    } catch {
      throw new LedgersyncError('sql_invalid_url', 'config', 'sink.url is not a URL like postgres://user:password@host:5432/database', {
        fix: 'correct the variable that sets sink.url',
      });
    }
    this.pool = new (pgLib().Pool)({
      connectionString: this.url,
      max: 1,
      allowExitOnIdle: true,
      connectionTimeoutMillis: 15_000,
      application_name: 'ledgersync',
    });
    // A connection dropped while idle is replaced by the next checkout; nothing to do but not crash.
    this.pool.on('error', () => undefined);
    const client = await this.connect('connecting');
    client.release();
  }

  private async connect(doing: string): Promise<pg.PoolClient> {
    if (!this.pool) throw new LedgersyncError('sql_not_open', 'system', 'the PostgreSQL database is used before open()');
    try {
      return await this.pool.connect();
    } catch (error) {
      const failure = this.failure(error, doing);
      throw failure.kind === 'transient'
        ? new LedgersyncError('sql_connection_failed', 'auth', failure.message, { ...(failure.fix ? { fix: failure.fix } : {}), cause: error })
        : failure;
    }
  }

  /** Runs `fn` in a transaction on the run's connection; a broken connection is discarded, not reused. */
  private async transaction<T>(doing: string, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.connect(doing);
    let broken: Error | undefined;
    // A connection that drops while checked out also emits 'error' (the query in flight fails on its
    // own); with no listener that event would end the process.
    const onError = (error: Error) => {
      broken ??= error;
    };
    client.on('error', onError);
    let committing = false;
    try {
      await client.query('BEGIN');
      const result = await fn(client);
      committing = true;
      await client.query('COMMIT');
      return result;
    } catch (error) {
      // A COMMIT the server refused (a deferred constraint, a serialisation failure) rolled back; one
      // whose answer never came, or came as the connection's end, may have committed.
      if (committing && (error as PgError).severity !== 'ERROR') {
        broken ??= error as Error;
        throw new CommitInDoubt(error);
      }
      if (!broken) {
        try {
          await client.query('ROLLBACK');
        } catch (rollbackError) {
          broken = rollbackError as Error;
        }
      }
      throw error;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  async migration(fn: (target: MigrationTarget) => Promise<void>): Promise<void> {
    try {
      await this.transaction('migrating tables', async (client) => {
        // Two pipelines migrating the same schema at once take turns.
        await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`ledgersync:${this.schema}`]);
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${quote(this.schema)}`);
        await client.query(
          `CREATE TABLE IF NOT EXISTS ${this.table(METADATA_TABLE)} (table_name text PRIMARY KEY, shape jsonb NOT NULL, updated_at timestamptz NOT NULL)`,
        );
        await fn({
          inspect: (table) => this.inspect(client, table),
          apply: (table, step, shape) => this.apply(client, table, step, shape),
          saveShape: async (table, shape) => {
            await client.query(
              `INSERT INTO ${this.table(METADATA_TABLE)} (table_name, shape, updated_at) VALUES ($1, $2, now()) ON CONFLICT (table_name) DO UPDATE SET shape = EXCLUDED.shape, updated_at = EXCLUDED.updated_at`,
              [table, JSON.stringify(shape)],
            );
          },
        });
      });
    } catch (error) {
      throw this.failure(error, 'migrating tables');
    }
  }

  private async inspect(client: pg.PoolClient, table: string): Promise<TableInspection> {
    const columns = await client.query<{ column_name: string }>(
      'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2 ORDER BY ordinal_position',
      [this.schema, table],
    );
    const exists = columns.rows.length > 0;
    const stored = await client.query<{ shape: StoredShape }>(`SELECT shape FROM ${this.table(METADATA_TABLE)} WHERE table_name = $1`, [table]);
    const hasRows = exists && (await client.query(`SELECT 1 FROM ${this.table(table)} LIMIT 1`)).rows.length > 0;
    const shape = stored.rows[0]?.shape;
    return { exists, hasRows, physicalColumns: columns.rows.map((r) => r.column_name), ...(shape ? { stored: shape } : {}) };
  }

  private async apply(client: pg.PoolClient, table: string, step: MigrationStep, shape: StoredShape): Promise<void> {
    const qualified = this.table(table);
    switch (step.kind) {
      case 'recreate':
      case 'create': {
        // A table recreated held no row: it is simply made anew.
        if (step.kind === 'recreate') await client.query(`DROP TABLE ${qualified}`);
        const columns = shape.columns.map((c) => `${quote(c.name)} ${SQL_TYPE[c.type]}${c.nullable ? '' : ' NOT NULL'}`);
        columns.push(`${quote(DELETED_AT)} timestamptz`);
        await client.query(`CREATE TABLE ${qualified} (${columns.join(', ')}, PRIMARY KEY (${shape.primary_key.map(quote).join(', ')}))`);
        for (const index of shape.indexes) await client.query(`CREATE INDEX ${quote(index.name)} ON ${qualified} (${index.columns.map(quote).join(', ')})`);
        return;
      }
      case 'add_column':
        await client.query(`ALTER TABLE ${qualified} ADD COLUMN ${quote(step.column.name)} ${SQL_TYPE[step.column.type]}`);
        return;
      case 'drop_not_null':
        await client.query(`ALTER TABLE ${qualified} ALTER COLUMN ${quote(step.column)} DROP NOT NULL`);
        return;
      case 'create_index':
        await client.query(`CREATE INDEX IF NOT EXISTS ${quote(step.name)} ON ${qualified} (${step.columns.map(quote).join(', ')})`);
        return;
      case 'drop_index':
        await client.query(`DROP INDEX IF EXISTS ${quote(this.schema)}.${quote(step.name)}`);
        return;
    }
  }

  async write(operations: readonly RowOperation[]): Promise<RowOutcome[]> {
    try {
      return await this.transaction('writing a batch', (client) => this.writeFast(client, operations));
    } catch (error) {
      if (!(error instanceof RowRefused)) throw this.failure(error, 'writing a batch');
    }
    try {
      return await this.transaction('writing a batch row by row', (client) => this.writeCareful(client, operations));
    } catch (error) {
      throw this.failure(error, 'writing a batch row by row');
    }
  }

  /**
   * The whole batch in few statements: the rows of each table together (tables are independent,
   * so their order does not matter), in order within a table, a new statement wherever a key comes
   * back or a delete stands between. Any row refused aborts it all (RowRefused) for a careful replay.
   */
  private async writeFast(client: pg.PoolClient, operations: readonly RowOperation[]): Promise<RowOutcome[]> {
    const outcomes: RowOutcome[] = new Array(operations.length);
    const byTable = new Map<TableSpec, number[]>();
    operations.forEach((op, i) => {
      const indexes = byTable.get(op.table);
      if (indexes) indexes.push(i);
      else byTable.set(op.table, [i]);
    });
    try {
      for (const indexes of byTable.values()) {
        let group: number[] = [];
        let keys = new Set<string>();
        const flush = async () => {
          if (group.length > 0) await this.upsertGroup(client, operations, group, outcomes);
          group = [];
          keys = new Set();
        };
        for (const i of indexes) {
          const op = operations[i]!;
          const key = targetIdOf(op.key);
          if (op.deleted || keys.has(key)) await flush();
          if (op.deleted) outcomes[i] = await this.softDelete(client, op);
          else {
            group.push(i);
            keys.add(key);
          }
        }
        await flush();
      }
    } catch (error) {
      if (isRowError(error)) throw new RowRefused();
      throw error;
    }
    return outcomes;
  }

  private async writeCareful(client: pg.PoolClient, operations: readonly RowOperation[]): Promise<RowOutcome[]> {
    const outcomes: RowOutcome[] = [];
    for (const op of operations) {
      await client.query('SAVEPOINT ledgersync_row');
      try {
        outcomes.push(await this.writeOne(client, op));
        await client.query('RELEASE SAVEPOINT ledgersync_row');
      } catch (error) {
        if (!isRowError(error)) throw error;
        await client.query('ROLLBACK TO SAVEPOINT ledgersync_row');
        outcomes.push(rowRefused(op, error.message, error.code));
      }
    }
    return outcomes;
  }

  /**
   * `INSERT … ON CONFLICT (key) DO UPDATE SET … WHERE <row differs> RETURNING …` for rows of one
   * table with distinct keys. A row returned was inserted (xmax = 0) or updated; one not returned
   * was identical.
   */
  private async upsertGroup(client: pg.PoolClient, operations: readonly RowOperation[], group: readonly number[], outcomes: RowOutcome[]): Promise<void> {
    const table = operations[group[0]!]!.table;
    const columns = table.columns;
    const perStatement = Math.max(1, Math.min(MAX_ROWS_PER_STATEMENT, Math.floor(MAX_PARAMETERS / columns.length)));
    const updated = columns.filter((c) => !table.primaryKey.includes(c.name));
    const keyColumns = table.primaryKey.map((k) => columns.find((c) => c.name === k)!);
    const sql = (rows: number) => {
      const tuples: string[] = [];
      for (let r = 0; r < rows; r++) {
        tuples.push(`(${columns.map((c, i) => `$${r * columns.length + i + 1}::${SQL_TYPE[c.type]}`).join(', ')}, NULL::timestamptz)`);
      }
      return (
        `INSERT INTO ${this.table(table.name)} AS t (${[...columns.map((c) => c.name), DELETED_AT].map(quote).join(', ')}) VALUES ${tuples.join(', ')} ` +
        `ON CONFLICT (${table.primaryKey.map(quote).join(', ')}) DO UPDATE SET ` +
        [...updated.map((c) => `${quote(c.name)} = EXCLUDED.${quote(c.name)}`), `${quote(DELETED_AT)} = NULL`].join(', ') +
        ` WHERE ROW(${[...updated.map((c) => comparable(`t.${quote(c.name)}`, c.type)), `t.${quote(DELETED_AT)}`].join(', ')}) IS DISTINCT FROM ` +
        `ROW(${[...updated.map((c) => comparable(`EXCLUDED.${quote(c.name)}`, c.type)), 'NULL::timestamptz'].join(', ')}) ` +
        `RETURNING ${keyColumns.map((c, i) => `${canonicalText(`t.${quote(c.name)}`, c.type)} AS k${i}`).join(', ')}, (xmax = 0) AS inserted`
      );
    };
    for (let start = 0; start < group.length; start += perStatement) {
      const slice = group.slice(start, start + perStatement);
      const parameters: Array<string | boolean | null> = [];
      for (const index of slice) {
        const op = operations[index]!;
        for (const c of columns) parameters.push(parameter(op.values.get(c.name) ?? null));
      }
      const result = await client.query<Record<string, string | boolean>>(sql(slice.length), parameters);
      const returned = new Map(result.rows.map((row) => [targetIdOf(keyColumns.map((_, i) => String(row[`k${i}`]))), row['inserted'] === true]));
      for (const index of slice) {
        const inserted = returned.get(targetIdOf(operations[index]!.key));
        outcomes[index] = inserted === undefined ? 'skipped' : inserted ? 'created' : 'updated';
      }
    }
  }

  /** One row: an upsert as above, or a soft delete. */
  private async writeOne(client: pg.PoolClient, op: RowOperation): Promise<RowOutcome> {
    if (op.deleted) return this.softDelete(client, op);
    const outcomes: RowOutcome[] = [];
    await this.upsertGroup(client, [op], [0], outcomes);
    return outcomes[0]!;
  }

  /**
   * Writes the fields the record holds and sets `deleted_at` unless already set. Not an INSERT …
   * ON CONFLICT: PostgreSQL checks NOT NULL on the row it would insert even when the key exists,
   * and a delete may carry only the key.
   */
  private async softDelete(client: pg.PoolClient, op: RowOperation): Promise<RowOutcome> {
    const table = op.table;
    const typeOf = (name: string) => table.columns.find((c) => c.name === name)!.type;
    const names = writtenColumns(op);
    const parameters = names.map((n) => parameter(op.values.get(n)!));
    const placeholder = (name: string) => `$${names.indexOf(name) + 1}::${SQL_TYPE[typeOf(name)]}`;
    const where = table.primaryKey.map((k) => `${quote(k)} = ${placeholder(k)}`).join(' AND ');
    const keyParameters = table.primaryKey.map((k) => parameter(op.values.get(k)!));
    const keyWhere = table.primaryKey.map((k, i) => `${quote(k)} = $${i + 1}::${SQL_TYPE[typeOf(k)]}`).join(' AND ');
    const exists = (await client.query(`SELECT 1 FROM ${this.table(table.name)} WHERE ${keyWhere} FOR UPDATE`, keyParameters)).rows.length > 0;
    const deletedAt = `$${names.length + 1}::timestamptz`;
    if (!exists) {
      await client.query(
        `INSERT INTO ${this.table(table.name)} (${[...names, DELETED_AT].map(quote).join(', ')}) VALUES (${[...names.map(placeholder), deletedAt].join(', ')})`,
        [...parameters, op.deletedAt],
      );
      return 'created';
    }
    const updated = names.filter((n) => !table.primaryKey.includes(n));
    const result = await client.query(
      `UPDATE ${this.table(table.name)} AS t SET ` +
        [...updated.map((n) => `${quote(n)} = ${placeholder(n)}`), `${quote(DELETED_AT)} = COALESCE(t.${quote(DELETED_AT)}, ${deletedAt})`].join(', ') +
        ` WHERE ${where} AND ROW(${[...updated.map((n) => comparable(`t.${quote(n)}`, typeOf(n))), `t.${quote(DELETED_AT)} IS NULL`].join(', ')}) IS DISTINCT FROM ` +
        `ROW(${[...updated.map((n) => comparable(placeholder(n), typeOf(n))), 'false'].join(', ')})`,
      [...parameters, op.deletedAt],
    );
    return result.rowCount === 0 ? 'skipped' : 'updated';
  }

  async readTables(tables: readonly TableSpec[]): Promise<PortableRow[][]> {
    const client = await this.connect('reading rows');
    let doing = 'reading rows';
    // A connection that drops while checked out also emits 'error'; the query in flight fails on its own.
    let broken: Error | undefined;
    const onError = (error: Error) => {
      broken ??= error;
    };
    client.on('error', onError);
    try {
      // One snapshot for every table: a sync committing meanwhile shows in all of them or in none.
      await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
      const read: PortableRow[][] = [];
      for (const table of tables) {
        doing = `reading ${table.name}`;
        read.push(await this.readRows(client, table));
      }
      await client.query('COMMIT');
      return read;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw this.failure(error, doing);
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }

  private async readRows(client: pg.PoolClient, table: TableSpec): Promise<PortableRow[]> {
    const columns = await client.query<{ column_name: string }>(
      'SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2',
      [this.schema, table.name],
    );
    const missing = notWrittenYet(
      table,
      this.description,
      columns.rows.map((r) => r.column_name),
    );
    if (missing) throw missing;
    const all = [...table.columns.map((c) => ({ name: c.name, type: c.type })), { name: DELETED_AT, type: 'timestamp' as const }];
    const select = all.map((c) => `${c.type === 'boolean' ? quote(c.name) : canonicalText(quote(c.name), c.type)} AS ${quote(c.name)}`);
    // Text keys in byte order, as SQLite sorts them, whatever the database's collation.
    const order = table.primaryKey
      .map((key) => (table.columns.find((c) => c.name === key)?.type === 'text' ? `${quote(key)} COLLATE "C"` : quote(key)))
      .join(', ');
    // Rows as arrays, each turned once into its object: a report reads hundreds of thousands.
    const result = await client.query<Array<string | boolean | null>>({
      text: `SELECT ${select.join(', ')} FROM ${this.table(table.name)} ORDER BY ${order}`,
      rowMode: 'array',
    });
    return result.rows.map((row) => {
      const out: PortableRow = {};
      all.forEach((column, i) => {
        const value = row[i] ?? null;
        out[column.name] =
          value === null ? null : column.type === 'integer' ? BigInt(String(value)) : column.type === 'json' ? JSON.parse(String(value)) : value;
      });
      return out;
    });
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = undefined;
    await pool?.end();
  }
}
