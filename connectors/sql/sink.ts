/**
 * The sql sink: mapped records become rows of the tables the pipeline declares. On open it creates
 * and migrates the tables; each batch is checked value by value, then written in one transaction
 * (upserts by primary key, soft deletes), one outcome per record.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { LedgersyncError } from '../../engine/errors.js';
import type { Logger } from '../../engine/log.js';
import type { ConnectorFactoryInput, Sink, SinkContext, SinkRecord, SinkResult } from '../../engine/connector/types.js';
import { migrateTables, type RowOutcome, type SqlDatabase } from './database.js';
import { PostgresDatabase } from './postgres.js';
import { rowOperation, targetIdOf, type RowOperation } from './rows.js';
import { SqliteDatabase } from './sqlite.js';
import { parseTables, type TableSpec } from './tables.js';
import { timestampOf } from './values.js';

/** Tries of one batch when the database connection is lost. */
const WRITE_ATTEMPTS = 2;

function setting(input: ConnectorFactoryInput, name: string): string | undefined {
  const value = input.connection[name];
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

/**
 * The database a sink block names: PostgreSQL for `url`, else the SQLite file `path` (relative to the pipeline file).
 * @param options.readOnly for reading back what a run wrote (`ledgersync report`): a missing SQLite file is an error, not created. Default false.
 */
export function databaseFor(input: ConnectorFactoryInput, options: { readOnly?: boolean } = {}): SqlDatabase {
  const url = setting(input, 'url');
  const path = setting(input, 'path');
  const schema = setting(input, 'schema');
  if (url !== undefined) {
    if (path !== undefined) {
      throw new LedgersyncError('sql_target_ambiguous', 'config', 'the sql sink has both path (SQLite) and url (PostgreSQL)', {
        fix: 'keep one: path for a SQLite file, url for PostgreSQL',
      });
    }
    if (!/^postgres(ql)?:\/\//.test(url)) {
      throw new LedgersyncError('sql_invalid_url', 'config', 'sink.url must start with postgres:// or postgresql://', {
        fix: 'set the variable behind sink.url to postgres://user:password@host:5432/database, or use path: for a SQLite file',
      });
    }
    return new PostgresDatabase(url, schema ?? 'public', options.readOnly);
  }
  if (schema !== undefined) {
    throw new LedgersyncError('sql_schema_without_postgres', 'config', 'sink.schema is a PostgreSQL setting, but the sink writes a SQLite file', {
      fix: 'remove sink.schema, or set sink.url to a PostgreSQL database',
    });
  }
  const file = path ?? join('out', `${input.pipeline}.db`);
  return new SqliteDatabase(isAbsolute(file) ? file : resolve(input.pipelineDir, file), options);
}

/** Key of the sink's state: the generation of each table it wrote rows to. */
const GENERATIONS_KEY = 'table_generations';

export class SqlSink implements Sink {
  /** A page of 100 source records may fan out into more rows (one per subscription item); they still land in one transaction. */
  readonly maxBatchSize = 1000;
  private readonly tables: ReadonlyMap<string, TableSpec>;
  private readonly database: SqlDatabase;
  private readonly log: Logger;
  private generations = new Map<string, string>();

  constructor(input: ConnectorFactoryInput, database?: SqlDatabase) {
    this.tables = new Map(parseTables(input.connection['tables']).map((t) => [t.name, t]));
    this.database = database ?? databaseFor(input);
    this.log = input.log;
  }

  /** The database, for reading back (`ledgersync report`, tests). */
  get db(): SqlDatabase {
    return this.database;
  }

  async open(ctx: SinkContext): Promise<void> {
    await this.database.open();
    try {
      this.generations = await migrateTables(this.database, [...this.tables.values()], this.log);
      this.checkNothingLost(ctx);
    } catch (error) {
      await this.database.close();
      throw error;
    }
    this.log.info(`writing ${this.tables.size} table(s) to ${this.database.description}`);
  }

  /**
   * The ledger skips records it counts as written and unchanged. If a table this pipeline wrote to
   * was dropped (or the database file replaced), those rows would never come back: say so, rather
   * than leave the table silently incomplete.
   */
  private checkNothingLost(ctx: SinkContext): void {
    const written = ctx.kv.get<Record<string, string>>(GENERATIONS_KEY) ?? {};
    const lost = [...this.generations].filter(([table, generation]) => written[table] !== undefined && written[table] !== generation).map(([t]) => t);
    if (lost.length === 0) return;
    throw new LedgersyncError(
      'sql_tables_replaced',
      'config',
      `${lost.join(', ')} in ${this.database.description} ${lost.length === 1 ? 'is not the table' : 'are not the tables'} this pipeline wrote to before: ` +
        'it was dropped or the database replaced, and the rows of records that did not change since would not be written again',
      {
        fix: 'point the sink at the database it wrote to; or, to rebuild it from Chargebee, run with a new state file (--state), which writes every record again',
        details: { tables: lost },
      },
    );
  }

  async write(batch: readonly SinkRecord[], ctx: SinkContext): Promise<SinkResult[]> {
    const deletedAt = timestampOf(ctx.now?.() ?? Math.floor(Date.now() / 1000));
    const results: SinkResult[] = new Array(batch.length);
    const operations: RowOperation[] = [];
    const positions: number[] = [];
    batch.forEach((record, i) => {
      const op = rowOperation(record, this.tables, deletedAt);
      if (op instanceof LedgersyncError) results[i] = { status: 'failed', error: op };
      else {
        operations.push(op);
        positions.push(i);
      }
    });
    if (operations.length === 0) return results;
    const outcomes = await this.writeRows(operations, ctx);
    this.rememberWritten(operations, outcomes, ctx);
    outcomes.forEach((outcome, n) => {
      const i = positions[n]!;
      const targetId = targetIdOf(operations[n]!.key);
      if (outcome instanceof LedgersyncError) results[i] = { status: 'failed', error: outcome };
      else if (outcome === 'skipped') results[i] = { status: 'skipped', reason: 'the row already holds these values', targetId };
      else results[i] = { status: outcome, targetId };
    });
    return results;
  }

  /**
   * A batch whose connection was lost (before or during its COMMIT) is written once more on a new
   * connection: every write compares with the row it finds, so rows the lost COMMIT did write come
   * back skipped, and nothing is written twice.
   */
  private async writeRows(operations: readonly RowOperation[], ctx: SinkContext): Promise<RowOutcome[]> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.database.write(operations);
      } catch (error) {
        if (attempt >= WRITE_ATTEMPTS || !(error instanceof LedgersyncError) || error.code !== 'sql_connection_failed') throw error;
        ctx.log.warn(`${error.message}; writing the batch again on a new connection`);
      }
    }
  }

  /** Records, once per table, the generation of a table this pipeline put rows in. */
  private rememberWritten(operations: readonly RowOperation[], outcomes: readonly RowOutcome[], ctx: SinkContext): void {
    const written = ctx.kv.get<Record<string, string>>(GENERATIONS_KEY) ?? {};
    let changed = false;
    outcomes.forEach((outcome, i) => {
      const table = operations[i]!.table.name;
      const generation = this.generations.get(table);
      if ((outcome === 'created' || outcome === 'updated') && generation !== undefined && written[table] !== generation) {
        written[table] = generation;
        changed = true;
      }
    });
    if (changed) ctx.kv.set(GENERATIONS_KEY, written);
  }

  async close(): Promise<void> {
    await this.database.close();
  }
}
