/**
 * The tables a pipeline declares under `sink.tables`, read once into typed specs. The descriptor's
 * JSON Schema and reference rules have already checked their shape and names at `validate` time;
 * what they cannot say (a nullable primary-key column, a JSON primary key) is refused here.
 */
import { LedgersyncError } from '../../engine/errors.js';

export const COLUMN_TYPES = ['text', 'integer', 'decimal', 'boolean', 'timestamp', 'date', 'json'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

/** The soft-delete column every table gets; a pipeline may not declare it. */
export const DELETED_AT = 'deleted_at';

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

/** `sink.tables` → specs; throws a config error naming the table and column for what the schema lets through. */
export function parseTables(block: unknown): TableSpec[] {
  if (!isRecord(block) || Object.keys(block).length === 0) {
    throw invalid('the sql sink needs sink.tables: the tables to write, with their columns and primary key', 'declare sink.tables in the pipeline');
  }
  return Object.entries(block).map(([name, raw]) => {
    if (!isRecord(raw) || !isRecord(raw['columns'])) throw invalid(`sink.tables.${name} needs columns`, `declare sink.tables.${name}.columns`);
    const primaryKey = strings(raw['primary_key']);
    const columns: ColumnSpec[] = Object.entries(raw['columns']).map(([column, def]) => {
      const spec = isRecord(def) ? def : {};
      const type = spec['type'];
      if (!COLUMN_TYPES.includes(type as ColumnType)) {
        throw invalid(`sink.tables.${name}.columns.${column}.type is ${JSON.stringify(type)}`, `use one of ${COLUMN_TYPES.join(', ')}`);
      }
      const key = primaryKey.includes(column);
      if (key && spec['nullable'] === true) {
        throw invalid(`sink.tables.${name}.columns.${column} is in the primary key, so it cannot be nullable`, `remove nullable: true from ${column}`);
      }
      if (key && type === 'json') {
        throw invalid(
          `sink.tables.${name}.columns.${column} is a json column in the primary key`,
          'key the table by text, integer, decimal, date or timestamp columns',
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
