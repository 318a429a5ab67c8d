/**
 * What the sql sink needs of a database, implemented once for SQLite (sqlite.ts) and once for
 * PostgreSQL (postgres.ts), and the migration of declared tables written once on top of it.
 */
import { LedgersyncError } from '../../engine/errors.js';
import type { Logger } from '../../engine/log.js';
import { planMigration, sameShape, type MigrationStep, type StoredShape, type TableState } from './migration.js';
import type { RowOperation } from './rows.js';
import { DELETED_AT, type TableSpec } from './tables.js';

/** The metadata table: the shape ledgersync recorded for each table it manages. */
export const METADATA_TABLE = '_ledgersync_tables';

/** What one row operation did; a record-level failure is an error, the others a status. */
export type RowOutcome = 'created' | 'updated' | 'skipped' | LedgersyncError;

/**
 * A row read back in the portable form both databases give: text, decimal, timestamp and date as
 * their canonical strings, integer as bigint, boolean as boolean, json parsed, NULL as null.
 */
export type PortableRow = Record<string, string | bigint | boolean | null | unknown>;

export interface TableInspection extends TableState {
  /** Column names the table has in the database (empty when it does not exist). */
  physicalColumns: string[];
}

/** The DDL a dialect runs while migrating, inside the migration transaction. */
export interface MigrationTarget {
  inspect(table: string): Promise<TableInspection>;
  /** Runs one step; `shape` is the table's shape once every step ran (SQLite rebuilds tables from it). */
  apply(table: string, step: MigrationStep, shape: StoredShape): Promise<void>;
  saveShape(table: string, shape: StoredShape): Promise<void>;
}

export interface SqlDatabase {
  /** For messages and logs: the file, or the server and database without credentials. */
  readonly description: string;
  /** Connects; an unreachable server or refused login is an `auth` error (exit 3), a bad setting a `config` one. */
  open(): Promise<void>;
  /** Creates the metadata table if needed and runs `fn` in one transaction, under a lock other writers respect. */
  migration(fn: (target: MigrationTarget) => Promise<void>): Promise<void>;
  /** Applies the operations in order, in one transaction: every outcome lands together, or none does. */
  write(operations: readonly RowOperation[]): Promise<RowOutcome[]>;
  /**
   * Every row of each declared table, ordered by primary key (text in byte order on both databases),
   * in the portable form, all read in one snapshot: a write committed meanwhile shows in every table
   * or in none. A table or a declared column the database does not have yet is a `sql_table_missing`
   * config error.
   */
  readTables(tables: readonly TableSpec[]): Promise<PortableRow[][]>;
  close(): Promise<void>;
}

/**
 * Brings every declared table to its declaration, all in one transaction; refuses (config error)
 * before changing anything. Returns each table's generation.
 */
export async function migrateTables(database: SqlDatabase, tables: readonly TableSpec[], log: Logger): Promise<Map<string, string>> {
  const generations = new Map<string, string>();
  await database.migration(async (target) => {
    for (const table of tables) {
      const state = await target.inspect(table.name);
      if (state.exists && state.stored) {
        const missing = [...state.stored.columns.map((c) => c.name), DELETED_AT].filter((c) => !state.physicalColumns.includes(c));
        if (missing.length > 0) {
          throw new LedgersyncError(
            'sql_table_altered',
            'config',
            `table ${table.name} lacks ${missing.join(', ')}, which ledgersync created: it was changed by hand`,
            {
              fix: `restore ${missing.join(', ')} in ${table.name}, or drop the table so the next run recreates it`,
              details: { table: table.name, missing },
            },
          );
        }
      }
      const migration = planMigration(table, state);
      if (migration instanceof LedgersyncError) throw migration;
      generations.set(table.name, migration.shape.generation);
      if (state.stored && migration.steps.length === 0 && sameShape(state.stored, migration.shape)) continue;
      for (const step of migration.steps) await target.apply(table.name, step, migration.shape);
      await target.saveShape(table.name, migration.shape);
      if (migration.retired.length > 0) {
        log.warn(`${table.name}: ${migration.retired.join(', ')} no longer declared; kept in the database with their data, left empty in new rows`);
      }
      const changes = migration.steps.map(describeStep).join(', ');
      if (changes) log.info(`${table.name}: ${changes}`);
    }
  });
  return generations;
}

function describeStep(step: MigrationStep): string {
  switch (step.kind) {
    case 'create':
      return 'created';
    case 'recreate':
      return 'recreated with its new shape (it held no row)';
    case 'add_column':
      return `column ${step.column.name} added`;
    case 'drop_not_null':
      return `column ${step.column} made nullable`;
    case 'create_index':
      return `index ${step.name} created`;
    case 'drop_index':
      return `index ${step.name} dropped`;
  }
}

/** Columns a row operation writes, in table order, plus whether each is in the primary key. */
export function writtenColumns(op: RowOperation): string[] {
  return op.table.columns.filter((c) => op.values.has(c.name)).map((c) => c.name);
}

/** The record-level error for a database refusal of one row, with the database's own words. */
export function rowRefused(op: RowOperation, reason: string, code: string): LedgersyncError {
  return new LedgersyncError('sql_row_refused', 'record', `record ${op.source}: ${op.table.name} refused the row: ${reason}`, {
    fix: op.deleted
      ? `a deleted record not yet in ${op.table.name} is inserted: map its required columns for deleted records too, or declare them nullable`
      : `correct the mapping of the stream writing ${op.table.name}`,
    details: { table: op.table.name, key: op.key, databaseCode: code },
  });
}

/** A declared table, or some of its columns, that the database does not have yet: the pipeline has not written them. */
export function notWrittenYet(table: TableSpec, description: string, physicalColumns: readonly string[]): LedgersyncError | undefined {
  if (physicalColumns.length === 0) {
    return new LedgersyncError('sql_table_missing', 'config', `table ${table.name} does not exist in ${description}: the pipeline has not written it yet`, {
      fix: 'run the pipeline first (ledgersync run), or point the sink at the database it writes',
      details: { table: table.name },
    });
  }
  const missing = [...table.columns.map((c) => c.name), DELETED_AT].filter((c) => !physicalColumns.includes(c));
  if (missing.length === 0) return undefined;
  return new LedgersyncError(
    'sql_table_missing',
    'config',
    `table ${table.name} in ${description} has no column ${missing.join(', ')}: the pipeline declares ${missing.length === 1 ? 'it' : 'them'} but has not run since`,
    { fix: 'run the pipeline (ledgersync run) so the sink adds the columns', details: { table: table.name, missing } },
  );
}
