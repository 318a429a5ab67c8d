/**
 * What to do to make a database table match its declaration, decided from the shape ledgersync
 * recorded when it last created or migrated it (the metadata table), never by guessing from SQL
 * types (SQLite stores decimal, timestamp, date and json alike as TEXT).
 *
 * Allowed: a new table; a new nullable column; a NOT NULL column made nullable; indexes added or
 * removed; a column no longer declared is kept with its data (retired) and comes back if declared
 * again with its type. Refused, with the table, the column and the fix: a type change, a primary-key
 * change, a new NOT NULL column or a column made NOT NULL, on a table that holds rows. A table
 * that holds no row is simply recreated with its new shape.
 */
import { createHash, randomBytes } from 'node:crypto';
import { LedgersyncError } from '../../engine/errors.js';
import type { ColumnSpec, ColumnType, TableSpec } from './tables.js';

export interface StoredColumn {
  name: string;
  type: ColumnType;
  nullable: boolean;
  /** No longer declared: kept in the database with its data, left NULL in new rows. */
  retired?: boolean;
}

/** The shape recorded in the metadata table, as JSON. */
export interface StoredShape {
  version: 1;
  columns: StoredColumn[];
  primary_key: string[];
  indexes: Array<{ name: string; columns: string[] }>;
  /**
   * Set when the table is created, kept by every migration: a table dropped and created again gets
   * a new one, so the sink can tell that rows the ledger counts as written are gone.
   */
  generation: string;
}

export interface TableState {
  /** The table exists in the database. */
  exists: boolean;
  /** It holds at least one row (deleted ones included). */
  hasRows: boolean;
  /** What ledgersync recorded, if it made this table. */
  stored?: StoredShape;
}

export type MigrationStep =
  | { kind: 'create' }
  | { kind: 'recreate' }
  | { kind: 'add_column'; column: ColumnSpec }
  | { kind: 'drop_not_null'; column: string }
  | { kind: 'create_index'; name: string; columns: string[] }
  | { kind: 'drop_index'; name: string };

export interface Migration {
  steps: MigrationStep[];
  /** The shape to record once the steps ran. */
  shape: StoredShape;
  /** Columns newly retired, for a log line. */
  retired: string[];
}

/**
 * Index name: `<table>_<columns>_<hash>_idx`, the hash of the table and its column list. Without it
 * two indexes could share a name (table `invoice` on [line_id] and `invoice_line` on [id], or [a, b]
 * and [a_b] of one table), which PostgreSQL refuses and SQLite's IF NOT EXISTS silently skips. The
 * readable part is cut to keep within PostgreSQL's 63-byte identifiers. An index recorded under an
 * older name is dropped by that name and created again under this one when the sink next opens.
 */
export function indexName(table: string, columns: readonly string[]): string {
  const hash = createHash('sha256')
    .update(JSON.stringify([table, ...columns]))
    .digest('hex')
    .slice(0, 10);
  const suffix = `_${hash}_idx`;
  return `${`${table}_${columns.join('_')}`.slice(0, 63 - suffix.length)}${suffix}`;
}

export function declaredShape(table: TableSpec, generation: string = randomBytes(8).toString('hex')): StoredShape {
  return {
    version: 1,
    generation,
    columns: table.columns.map((c) => ({ name: c.name, type: c.type, nullable: c.nullable })),
    primary_key: [...table.primaryKey],
    indexes: table.indexes.map((columns) => ({ name: indexName(table.name, columns), columns: [...columns] })),
  };
}

function refusal(table: string, problems: string[], fix: string): LedgersyncError {
  return new LedgersyncError('sql_migration_refused', 'config', `table ${table} cannot be migrated without risking its data: ${problems.join('; ')}`, {
    fix,
    details: { table, problems },
  });
}

function sameKey(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The steps that bring `state` to `table`'s declaration, or a refusal (a config error) saying why not. */
export function planMigration(table: TableSpec, state: TableState): Migration | LedgersyncError {
  if (!state.exists) return { steps: [{ kind: 'create' }], shape: declaredShape(table), retired: [] };
  const stored = state.stored;
  if (!stored) {
    return new LedgersyncError('sql_table_foreign', 'config', `table ${table.name} already exists and was not created by ledgersync`, {
      fix: `give the table another name in sink.tables, or drop ${table.name} if nothing else uses it`,
      details: { table: table.name },
    });
  }

  const problems: string[] = [];
  const steps: MigrationStep[] = [];
  const columns: StoredColumn[] = [];
  for (const column of table.columns) {
    const before = stored.columns.find((c) => c.name === column.name);
    if (!before) {
      if (!column.nullable) problems.push(`new column ${column.name} is NOT NULL, but the rows already there have no value for it`);
      steps.push({ kind: 'add_column', column });
    } else if (before.type !== column.type) {
      problems.push(`column ${column.name} is ${before.type} in the database and declared ${column.type}`);
    } else if (before.nullable && !column.nullable && !table.primaryKey.includes(column.name)) {
      problems.push(`column ${column.name} is nullable in the database and declared NOT NULL`);
    } else if (!before.nullable && column.nullable) {
      steps.push({ kind: 'drop_not_null', column: column.name });
    }
    columns.push({ name: column.name, type: column.type, nullable: column.nullable });
  }
  const retired: string[] = [];
  for (const before of stored.columns) {
    if (table.columns.some((c) => c.name === before.name)) continue;
    if (!before.nullable) {
      problems.push(`column ${before.name} is no longer declared, but it is NOT NULL in the database, so new rows could not be written`);
      continue;
    }
    if (!before.retired) retired.push(before.name);
    columns.push({ ...before, retired: true });
  }
  if (!sameKey(stored.primary_key, table.primaryKey)) {
    problems.push(`the primary key is (${stored.primary_key.join(', ')}) in the database and declared (${table.primaryKey.join(', ')})`);
  }

  if (problems.length > 0) {
    // Recreated only when empty: no row is lost, so it keeps its generation.
    if (!state.hasRows) return { steps: [{ kind: 'recreate' }], shape: declaredShape(table, stored.generation), retired: [] };
    return refusal(
      table.name,
      problems,
      `declare ${table.name} as it was in the database; to change a type or the key, map into a new column or table under another ` +
        `name and run with --full-refresh to fill it (the old one keeps its data until you drop it)`,
    );
  }

  const wanted = declaredShape(table, stored.generation).indexes;
  for (const index of stored.indexes) if (!wanted.some((w) => w.name === index.name)) steps.push({ kind: 'drop_index', name: index.name });
  for (const index of wanted) if (!stored.indexes.some((s) => s.name === index.name)) steps.push({ kind: 'create_index', ...index });

  return { steps, shape: { version: 1, generation: stored.generation, columns, primary_key: [...table.primaryKey], indexes: wanted }, retired };
}

/** Whether two shapes are the same (no migration and no metadata update needed). */
export function sameShape(a: StoredShape, b: StoredShape): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
