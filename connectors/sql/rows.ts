/**
 * A mapped record → the row operation a database applies: which table, the canonical value of each
 * column, the primary key, and whether it is a soft delete. Checked entirely before any SQL runs, so
 * a record that does not fit fails alone and the rest of its batch is written.
 */
import { LedgersyncError } from '../../engine/errors.js';
import type { SinkRecord } from '../../engine/connector/types.js';
import { DELETED_AT, type TableSpec } from './tables.js';
import { toStorage, type StorageValue } from './values.js';

export interface RowOperation {
  /** The record's source id, for messages. */
  source: string;
  table: TableSpec;
  /**
   * Column → value. An upsert carries every declared column (absent fields are NULL: the mapping
   * defines the whole row); a delete carries only the fields its record holds, the others are kept.
   */
  values: ReadonlyMap<string, StorageValue>;
  /** Primary-key values in key order, as canonical text. */
  key: readonly string[];
  /** Soft delete: `deleted_at` is set (kept if already set) instead of cleared. */
  deleted: boolean;
  /** `deleted_at` for a row deleted now (canonical timestamp). */
  deletedAt: string;
}

/** How the row is named in the ledger: the key value, or its values as a JSON array for a composite key. */
export function targetIdOf(key: readonly string[]): string {
  return key.length === 1 ? key[0]! : JSON.stringify(key);
}

export function keyText(value: StorageValue): string {
  return typeof value === 'string' ? value : String(value);
}

export function rowOperation(record: SinkRecord, tables: ReadonlyMap<string, TableSpec>, deletedAt: string): RowOperation | LedgersyncError {
  const table = tables.get(record.object);
  if (!table) {
    return new LedgersyncError('sql_unknown_table', 'record', `record ${record.sourceId} is for table '${record.object}', which sink.tables does not declare`, {
      fix: `declare ${record.object} in sink.tables, or correct target.object / _object in stream ${record.stream}`,
      details: { table: record.object },
    });
  }
  if (record.action === 'void') {
    return new LedgersyncError(
      'sql_void_unsupported',
      'record',
      `record ${record.sourceId}: the sql sink has no void; ${table.name} rows are upserted or soft-deleted`,
      {
        fix: 'map the voided document as a row with its status (no _action), or use _action: delete or skip',
      },
    );
  }
  const unknown = Object.keys(record.data).filter((field) => !table.columns.some((c) => c.name === field));
  if (unknown.length > 0) {
    const reserved = unknown.includes(DELETED_AT);
    return new LedgersyncError(
      'sql_unknown_column',
      'record',
      `record ${record.sourceId}: ${unknown.map((f) => `'${f}'`).join(', ')} ${unknown.length === 1 ? 'is not a column' : 'are not columns'} of ${table.name}`,
      {
        fix: reserved
          ? 'drop deleted_at from the mapping: the sink sets it when the source reports the record deleted (or on _action: delete)'
          : `declare ${unknown.join(', ')} in sink.tables.${table.name}.columns, or drop ${unknown.length === 1 ? 'it' : 'them'} from the mapping of stream ${record.stream}`,
        details: { table: table.name, fields: unknown },
      },
    );
  }
  const deleted = record.deleted || record.action === 'delete';
  const values = new Map<string, StorageValue>();
  for (const column of table.columns) {
    const present = Object.hasOwn(record.data, column.name);
    if (deleted && !present && !table.primaryKey.includes(column.name)) continue;
    const value = toStorage(table, column, record.data[column.name]);
    if (value instanceof LedgersyncError) return withRecord(value, record);
    values.set(column.name, value);
  }
  return { source: record.sourceId, table, values, key: table.primaryKey.map((k) => keyText(values.get(k)!)), deleted, deletedAt };
}

function withRecord(error: LedgersyncError, record: SinkRecord): LedgersyncError {
  return new LedgersyncError(error.code, error.kind, `record ${record.sourceId}: ${error.message}`, {
    details: { ...error.details, record: record.sourceId },
    ...(error.fix ? { fix: error.fix } : {}),
  });
}
