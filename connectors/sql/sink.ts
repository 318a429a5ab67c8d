/**
 * The sql sink: mapped records become rows of the tables the pipeline declares. On open it creates
 * and migrates the tables; each batch is checked value by value, then written in one transaction
 * (upserts by primary key, soft deletes), one outcome per record.
 */
import { isAbsolute, join, resolve } from 'node:path';
import { LedgersyncError } from '../../engine/errors.js';
import type { Logger } from '../../engine/log.js';
import type { ConnectorFactoryInput, Sink, SinkContext, SinkRecord, SinkResult } from '../../engine/connector/types.js';
import { migrateTables, type SqlDatabase } from './database.js';
import { PostgresDatabase } from './postgres.js';
import { rowOperation, targetIdOf, type RowOperation } from './rows.js';
import { SqliteDatabase } from './sqlite.js';
import { parseTables, type TableSpec } from './tables.js';
import { timestampOf } from './values.js';

function setting(input: ConnectorFactoryInput, name: string): string | undefined {
  const value = input.connection[name];
  return value === undefined || value === null || value === '' ? undefined : String(value);
}

/** The database a sink block names: PostgreSQL for `url`, else the SQLite file `path` (relative to the pipeline file). */
export function databaseFor(input: ConnectorFactoryInput): SqlDatabase {
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
    return new PostgresDatabase(url, schema ?? 'public');
  }
  if (schema !== undefined) {
    throw new LedgersyncError('sql_schema_without_postgres', 'config', 'sink.schema is a PostgreSQL setting, but the sink writes a SQLite file', {
      fix: 'remove sink.schema, or set sink.url to a PostgreSQL database',
    });
  }
  const file = path ?? join('out', `${input.pipeline}.db`);
  return new SqliteDatabase(isAbsolute(file) ? file : resolve(input.pipelineDir, file));
}

export class SqlSink implements Sink {
  /** A page of 100 source records may fan out into more rows (one per subscription item); they still land in one transaction. */
  readonly maxBatchSize = 1000;
  private readonly tables: ReadonlyMap<string, TableSpec>;
  private readonly database: SqlDatabase;
  private readonly log: Logger;

  constructor(input: ConnectorFactoryInput, database?: SqlDatabase) {
    this.tables = new Map(parseTables(input.connection['tables']).map((t) => [t.name, t]));
    this.database = database ?? databaseFor(input);
    this.log = input.log;
  }

  /** The database, for reading back (`ledgersync report`, tests). */
  get db(): SqlDatabase {
    return this.database;
  }

  async open(): Promise<void> {
    await this.database.open();
    try {
      await migrateTables(this.database, [...this.tables.values()], this.log);
    } catch (error) {
      await this.database.close();
      throw error;
    }
    this.log.info(`writing ${this.tables.size} table(s) to ${this.database.description}`);
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
    const outcomes = await this.database.write(operations);
    outcomes.forEach((outcome, n) => {
      const i = positions[n]!;
      const targetId = targetIdOf(operations[n]!.key);
      if (outcome instanceof LedgersyncError) results[i] = { status: 'failed', error: outcome };
      else if (outcome === 'skipped') results[i] = { status: 'skipped', reason: 'the row already holds these values', targetId };
      else results[i] = { status: outcome, targetId };
    });
    return results;
  }

  async close(): Promise<void> {
    await this.database.close();
  }
}
