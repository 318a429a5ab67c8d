/**
 * The tables a pipeline declares under `sink.tables`, read once into typed specs when the sink or the
 * report opens the declaration. Loading a pipeline file has already checked their shape and names
 * against the descriptor's JSON Schema and reference rules; what those cannot say (a nullable
 * primary-key column, a json or decimal primary key) is refused here. The names a database keeps for
 * itself are refused here again, with the rename to make, for tables that came from no pipeline file
 * (a sink opened directly): connector.yaml's name patterns list the same ones, and
 * test/connectors/sql/reserved-names.test.ts keeps the two in step.
 */
import { LedgersyncError } from '../../engine/errors.js';

export const COLUMN_TYPES = ['text', 'integer', 'decimal', 'boolean', 'timestamp', 'date', 'json'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** The soft-delete column every table gets; a pipeline may not declare it. */
export const DELETED_AT = 'deleted_at';

/** SQLite reserves every table name starting so ("object name reserved for internal use"). */
export const RESERVED_TABLE_PREFIX = 'sqlite_';

/** PostgreSQL's system columns, which every table has: no column may take their names. */
export const RESERVED_COLUMNS = ['tableoid', 'xmin', 'cmin', 'xmax', 'cmax', 'ctid'] as const;

/**
 * Key columns must identify a row by their stored text on both databases. A decimal does not:
 * PostgreSQL's numeric says 1.5 = 1.50, SQLite's text does not, so a re-run writing another scale
 * would duplicate a row on one and fail the batch on the other. (Timestamps are stored in one
 * canonical UTC form, so their text and their instant agree.)
 */
const KEY_TYPES_REFUSED: Partial<Record<ColumnType, string>> = {
  json: 'a json value has no one canonical text to compare',
  decimal: 'PostgreSQL compares decimals by value (1.5 = 1.50) and SQLite by their text, so the same amount could be one row or two',
};

export interface ColumnSpec {
  name: string;
  type: ColumnType;
  nullable: boolean;
}

export interface TableSpec {
  name: string;
  /** Declared columns in declaration order (without `deleted_at`). */
  columns: readonly ColumnSpec[];
  /** Primary-key column names, in key order. */
  primaryKey: readonly string[];
  /** Each index as its column names. */
  indexes: ReadonlyArray<readonly string[]>;
}

function invalid(message: string, fix: string): LedgersyncError {
  return new LedgersyncError('invalid_sql_tables', 'config', message, { fix });
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.map(String) : [];
}

/** A name to suggest for a table SQLite reserves: `sqlite_events` → `events`. */
function renamedTable(name: string): string {
  const rest = name.slice(RESERVED_TABLE_PREFIX.length);
  return /^[a-z]/.test(rest) ? rest : `app_${name}`;
}

/** `sink.tables` → specs; throws a config error naming the table and column for what the schema lets through. */
export function parseTables(block: unknown): TableSpec[] {
  if (!isRecord(block) || Object.keys(block).length === 0) {
    throw invalid('the sql sink needs sink.tables: the tables to write, with their columns and primary key', 'declare sink.tables in the pipeline');
  }
  return Object.entries(block).map(([name, raw]) => {
    if (name.startsWith(RESERVED_TABLE_PREFIX)) {
      throw invalid(
        `sink.tables.${name}: SQLite reserves table names starting with ${RESERVED_TABLE_PREFIX} for itself`,
        `rename the table, e.g. to ${renamedTable(name)}, in sink.tables and in the target.object of its streams`,
      );
    }
    if (!isRecord(raw) || !isRecord(raw['columns'])) throw invalid(`sink.tables.${name} needs columns`, `declare sink.tables.${name}.columns`);
    const primaryKey = strings(raw['primary_key']);
    const columns: ColumnSpec[] = Object.entries(raw['columns']).map(([column, def]) => {
      const spec = isRecord(def) ? def : {};
      const type = spec['type'];
      if (!COLUMN_TYPES.includes(type as ColumnType)) {
        throw invalid(`sink.tables.${name}.columns.${column}.type is ${JSON.stringify(type)}`, `use one of ${COLUMN_TYPES.join(', ')}`);
      }
      if ((RESERVED_COLUMNS as readonly string[]).includes(column)) {
        throw invalid(
          `sink.tables.${name}.columns.${column}: PostgreSQL reserves ${column} for a system column every table has`,
          `rename the column, e.g. to ${column}_value, in sink.tables.${name}.columns and in the mappings that write it`,
        );
      }
      const key = primaryKey.includes(column);
      if (key && spec['nullable'] === true) {
        throw invalid(`sink.tables.${name}.columns.${column} is in the primary key, so it cannot be nullable`, `remove nullable: true from ${column}`);
      }
      const refused = key ? KEY_TYPES_REFUSED[type as ColumnType] : undefined;
      if (refused) {
        throw invalid(
          `sink.tables.${name}.columns.${column} is a ${String(type)} column in the primary key: ${refused}`,
          type === 'decimal'
            ? `declare ${column} as text (the decimal string as the source gives it) or integer (e.g. the amount in cents), or key the table by another column`
            : 'key the table by text, integer, date or timestamp columns',
        );
      }
      return { name: column, type: type as ColumnType, nullable: !key && spec['nullable'] !== false };
    });
    if (primaryKey.length === 0) throw invalid(`sink.tables.${name} has no primary_key`, `list its key column(s) in sink.tables.${name}.primary_key`);
    const known = new Set(columns.map((c) => c.name));
    const indexes = Array.isArray(raw['indexes']) ? raw['indexes'].map(strings) : [];
    for (const column of [...primaryKey, ...indexes.flat()]) {
      if (!known.has(column))
        throw invalid(`sink.tables.${name} names '${column}', which is not one of its columns`, `declare ${column} in sink.tables.${name}.columns`);
    }
    return { name, columns, primaryKey, indexes };
  });
}

export function columnOf(table: TableSpec, name: string): ColumnSpec | undefined {
  return table.columns.find((c) => c.name === name);
}
