/**
 * The sql sink's SQLite database, through better-sqlite3: STRICT tables (a value of the wrong
 * storage class is refused, never coerced), WAL so BI tools can read while a run writes, and
 * synchronous=FULL so a committed batch survives a power cut before the ledger records it.
 *
 * Storage: text, decimal, timestamp, date and json as TEXT holding the canonical string (values.ts);
 * integer as INTEGER; boolean as INTEGER 0 / 1 under a CHECK. Decimals are TEXT because SQLite's
 * REAL and NUMERIC affinity turn them into doubles: 12345678901234567890.123456789 would come back
 * as 12345678901234567000. SQLite's own arithmetic (SUM) still reads such text as a number.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { requireCjs } from '../../engine/require-cjs.js';
import { LedgersyncError } from '../../engine/errors.js';
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
import type { RowOperation } from './rows.js';
import { DELETED_AT, type ColumnType, type TableSpec } from './tables.js';
import type { StorageValue } from './values.js';

const STORAGE: Record<ColumnType, string> = {
  text: 'TEXT',
  integer: 'INTEGER',
  decimal: 'TEXT',
  boolean: 'INTEGER',
  timestamp: 'TEXT',
  date: 'TEXT',
  json: 'TEXT',
};

export function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

function columnDefinition(name: string, type: ColumnType, nullable: boolean): string {
  const check = type === 'boolean' ? ` CHECK (${quote(name)} IN (0, 1))` : '';
  return `${quote(name)} ${STORAGE[type]}${nullable ? '' : ' NOT NULL'}${check}`;
}

function createTableSql(name: string, shape: StoredShape): string {
  const columns = shape.columns.map((c) => columnDefinition(c.name, c.type, c.nullable));
  columns.push(columnDefinition(DELETED_AT, 'timestamp', true));
  return `CREATE TABLE ${quote(name)} (${columns.join(', ')}, PRIMARY KEY (${shape.primary_key.map(quote).join(', ')})) STRICT`;
}

/** What SQLite holds for a canonical value: booleans as 0 / 1, read back as bigints like every integer. */
function bound(value: StorageValue): string | bigint | null {
  if (typeof value === 'boolean') return value ? 1n : 0n;
  return value;
}

/** Constraint and type refusals belong to one row; anything else (disk full, locked, corrupt) stops the batch. */
function isRowError(error: unknown): error is Error & { code: string } {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^SQLITE_(CONSTRAINT|MISMATCH|TOOBIG|RANGE)/.test(code);
}

function databaseFailure(error: unknown, description: string): LedgersyncError {
  if (error instanceof LedgersyncError) return error;
  const code = String((error as { code?: unknown }).code ?? '');
  const busy = /^SQLITE_(BUSY|LOCKED)/.test(code);
  const message = `SQLite ${description}: ${(error as Error).message}`;
  if (busy) {
    return new LedgersyncError('sql_database_busy', 'transient', message, {
      fix: 'another program holds a write lock on the database for too long; close it, or give this pipeline its own file',
      details: { code },
      cause: error,
    });
  }
  return new LedgersyncError('sql_database_failed', 'system', message, {
    fix: 'check the disk (space, permissions) and the file; the batch was rolled back and the next run writes it again',
    details: { code },
    cause: error,
  });
}

/** better-sqlite3, loaded by the first SQLite sink opened: a command that opens none never pays for it. */
const sqlite = (): typeof Database => requireCjs('better-sqlite3') as typeof Database;

export class SqliteDatabase implements SqlDatabase {
  readonly description: string;
  private db: Database.Database | undefined;
  private readonly statements = new Map<string, Database.Statement>();

  /**
   * @param path the database file
   * @param options.readOnly open an existing file without writing to it (`ledgersync report`); default false:
   *   the file and its folder are created, and the database put in WAL mode
   */
  constructor(
    private readonly path: string,
    private readonly options: { readOnly?: boolean } = {},
  ) {
    this.description = path;
  }

  async open(): Promise<void> {
    if (this.options.readOnly) return this.openForReading();
    try {
      mkdirSync(dirname(this.path), { recursive: true });
      const db = new (sqlite())(this.path);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      db.pragma('busy_timeout = 5000');
      this.db = db;
    } catch (error) {
      throw new LedgersyncError('sql_database_unavailable', 'config', `cannot open the SQLite database ${this.path}: ${(error as Error).message}`, {
        fix: 'check sink.path: its folder must be writable, and the file a SQLite database',
        cause: error,
      });
    }
  }

  private openForReading(): void {
    if (!existsSync(this.path)) {
      throw new LedgersyncError('sql_database_missing', 'config', `there is no SQLite database at ${this.path}: the pipeline has not written it yet`, {
        fix: 'run the pipeline first (ledgersync run), or set sink.path to the file it writes',
        details: { path: this.path },
      });
    }
    try {
      const db = new (sqlite())(this.path, { readonly: true, fileMustExist: true });
      db.pragma('busy_timeout = 5000');
      this.db = db;
    } catch (error) {
      throw new LedgersyncError('sql_database_unavailable', 'config', `cannot open the SQLite database ${this.path}: ${(error as Error).message}`, {
        fix: 'check sink.path: the file must be a SQLite database this user may read',
        cause: error,
      });
    }
  }

  private get connection(): Database.Database {
    if (!this.db) throw new LedgersyncError('sql_not_open', 'system', 'the SQLite database is used before open()');
    return this.db;
  }

  private statement(sql: string): Database.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  async migration(fn: (target: MigrationTarget) => Promise<void>): Promise<void> {
    const db = this.connection;
    try {
      db.exec('BEGIN IMMEDIATE');
      db.exec(`CREATE TABLE IF NOT EXISTS ${quote(METADATA_TABLE)} (table_name TEXT PRIMARY KEY, shape TEXT NOT NULL, updated_at TEXT NOT NULL) STRICT`);
      const rebuilt = new Set<string>();
      await fn({
        inspect: async (table) => this.inspect(table),
        apply: async (table, step, shape) => this.apply(table, step, shape, rebuilt),
        saveShape: async (table, shape) => {
          db.prepare(
            `INSERT INTO ${quote(METADATA_TABLE)} (table_name, shape, updated_at) VALUES (?, ?, ?) ON CONFLICT (table_name) DO UPDATE SET shape = excluded.shape, updated_at = excluded.updated_at`,
          ).run(table, JSON.stringify(shape), new Date().toISOString());
        },
      });
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw databaseFailure(error, this.description);
    } finally {
      this.statements.clear();
    }
  }

  private inspect(table: string): TableInspection {
    const db = this.connection;
    const exists = db.prepare(`SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = ?`).get(table) !== undefined;
    const row = db.prepare(`SELECT shape FROM ${quote(METADATA_TABLE)} WHERE table_name = ?`).get(table) as { shape: string } | undefined;
    const physicalColumns = exists ? (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((c) => c.name) : [];
    const hasRows = exists && db.prepare(`SELECT 1 FROM ${quote(table)} LIMIT 1`).get() !== undefined;
    return { exists, hasRows, physicalColumns, ...(row ? { stored: JSON.parse(row.shape) as StoredShape } : {}) };
  }

  private createIndexes(table: string, shape: StoredShape): void {
    for (const index of shape.indexes) {
      this.connection.exec(`CREATE INDEX IF NOT EXISTS ${quote(index.name)} ON ${quote(table)} (${index.columns.map(quote).join(', ')})`);
    }
  }

  private apply(table: string, step: MigrationStep, shape: StoredShape, rebuilt: Set<string>): void {
    const db = this.connection;
    switch (step.kind) {
      case 'recreate':
      case 'create':
        // A table recreated held no row: it is simply made anew.
        if (step.kind === 'recreate') db.exec(`DROP TABLE ${quote(table)}`);
        db.exec(createTableSql(table, shape));
        this.createIndexes(table, shape);
        return;
      case 'add_column':
        // A table rebuilt earlier in this migration was made from the final shape: it has the column.
        if (rebuilt.has(table)) return;
        db.exec(`ALTER TABLE ${quote(table)} ADD COLUMN ${columnDefinition(step.column.name, step.column.type, true)}`);
        return;
      case 'drop_not_null':
        // SQLite cannot alter a column: the table is copied into one made from the new shape.
        if (rebuilt.has(table)) return;
        rebuilt.add(table);
        this.rebuild(table, shape);
        return;
      case 'create_index':
        db.exec(`CREATE INDEX IF NOT EXISTS ${quote(step.name)} ON ${quote(table)} (${step.columns.map(quote).join(', ')})`);
        return;
      case 'drop_index':
        db.exec(`DROP INDEX IF EXISTS ${quote(step.name)}`);
        return;
    }
  }

  private rebuild(table: string, shape: StoredShape): void {
    const db = this.connection;
    const temporary = `${table}__ledgersync_rebuild`;
    const physical = (db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{ name: string }>).map((c) => c.name);
    const copied = [...shape.columns.map((c) => c.name), DELETED_AT].filter((c) => physical.includes(c)).map(quote);
    db.exec(createTableSql(temporary, shape));
    db.exec(`INSERT INTO ${quote(temporary)} (${copied.join(', ')}) SELECT ${copied.join(', ')} FROM ${quote(table)}`);
    db.exec(`DROP TABLE ${quote(table)}`);
    db.exec(`ALTER TABLE ${quote(temporary)} RENAME TO ${quote(table)}`);
    this.createIndexes(table, shape);
  }

  async write(operations: readonly RowOperation[]): Promise<RowOutcome[]> {
    const db = this.connection;
    const outcomes: RowOutcome[] = [];
    try {
      db.exec('BEGIN IMMEDIATE');
      for (const op of operations) outcomes.push(this.applyRow(op));
      db.exec('COMMIT');
    } catch (error) {
      if (db.inTransaction) db.exec('ROLLBACK');
      throw databaseFailure(error, this.description);
    }
    return outcomes;
  }

  /** One row: looked up by key, then inserted, updated or left alone. A failed statement undoes only itself. */
  private applyRow(op: RowOperation): RowOutcome {
    const table = quote(op.table.name);
    const key = op.table.primaryKey;
    const where = key.map((k) => `${quote(k)} = ?`).join(' AND ');
    const keyValues = key.map((k) => bound(op.values.get(k)!));
    const columns = writtenColumns(op);
    const values = columns.map((c) => bound(op.values.get(c)!));
    try {
      const existing = this.statement(`SELECT * FROM ${table} WHERE ${where}`)
        .safeIntegers(true)
        .get(...keyValues) as Record<string, unknown> | undefined;
      if (!existing) {
        const names = [...columns, DELETED_AT].map(quote).join(', ');
        const marks = [...columns, DELETED_AT].map(() => '?').join(', ');
        this.statement(`INSERT INTO ${table} (${names}) VALUES (${marks})`).run(...values, op.deleted ? op.deletedAt : null);
        return 'created';
      }
      const wasDeletedAt = (existing[DELETED_AT] ?? null) as string | null;
      const deletedAt = op.deleted ? (wasDeletedAt ?? op.deletedAt) : null;
      const same = columns.every((c, i) => (existing[c] ?? null) === values[i]) && deletedAt === wasDeletedAt;
      if (same) return 'skipped';
      const assignments = [...columns, DELETED_AT].map((c) => `${quote(c)} = ?`).join(', ');
      this.statement(`UPDATE ${table} SET ${assignments} WHERE ${where}`).run(...values, deletedAt, ...keyValues);
      return 'updated';
    } catch (error) {
      if (isRowError(error)) return rowRefused(op, error.message, error.code);
      throw error;
    }
  }

  async readTables(tables: readonly TableSpec[]): Promise<PortableRow[][]> {
    // One read transaction: on a WAL database it sees one snapshot, whatever a sync commits meanwhile.
    return this.connection.transaction(() => tables.map((table) => this.readRows(table)))();
  }

  private readRows(table: TableSpec): PortableRow[] {
    const physical = (this.connection.prepare(`SELECT name FROM pragma_table_info(?)`).all(table.name) as Array<{ name: string }>).map((c) => c.name);
    const missing = notWrittenYet(table, this.description, physical);
    if (missing) throw missing;
    const order = table.primaryKey.map(quote).join(', ');
    const columns = [...table.columns, { name: DELETED_AT, type: 'timestamp' as const }];
    // Rows as arrays, each turned once into its object: a report reads hundreds of thousands.
    const rows = this.connection
      .prepare(`SELECT ${columns.map((c) => quote(c.name)).join(', ')} FROM ${quote(table.name)} ORDER BY ${order}`)
      .safeIntegers(true)
      .raw(true)
      .all() as unknown[][];
    return rows.map((row) => {
      const out: PortableRow = {};
      columns.forEach((column, i) => {
        const value = row[i] ?? null;
        out[column.name] = value === null ? null : column.type === 'boolean' ? value === 1n : column.type === 'json' ? JSON.parse(String(value)) : value;
      });
      return out;
    });
  }

  async close(): Promise<void> {
    this.statements.clear();
    this.db?.close();
    this.db = undefined;
  }
}
