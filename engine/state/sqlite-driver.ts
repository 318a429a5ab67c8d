/**
 * The embedded default: one SQLite file, WAL, `synchronous=FULL` (a confirmed write survives a power
 * cut); a transaction that records nothing a vendor acknowledged may commit with `synchronous=NORMAL`.
 */
import type Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { LedgersyncError } from '../errors.js';
import { requireCjs } from '../require-cjs.js';
import type { PreparedStatement, StateDriver, TransactionOptions } from './driver.js';
import { notAStateFile, stateFailure, stateTooNew, walDamaged, walProblem } from './trouble.js';

const BUSY_TIMEOUT_MS = 5000;

/** better-sqlite3, loaded when a state file is first opened: commands that open none (help, validate) never pay for it. */
const sqlite = (): typeof Database => requireCjs('better-sqlite3') as typeof Database;

function openFailure(path: string, error: unknown): LedgersyncError {
  if (error instanceof LedgersyncError) return error;
  return (
    stateFailure(path, error) ??
    new LedgersyncError('state_unreadable', 'config', `cannot open the state file ${path}: ${(error as Error).message}`, {
      fix: 'check the --state path and its permissions',
      cause: error,
    })
  );
}

export class SqliteDriver implements StateDriver {
  readonly dialect = 'sqlite' as const;
  readonly location: string;
  private readonly db: Database.Database;
  /** Transaction wrappers for the driver's life: better-sqlite3 prepares BEGIN/COMMIT per wrapper. */
  private readonly inTransaction: (fn: () => unknown) => unknown;
  /** A deferred transaction: reads from one snapshot, takes no write lock. */
  private readonly inReadTransaction: (fn: () => unknown) => unknown;

  private constructor(path: string, db: Database.Database) {
    this.location = path;
    this.db = db;
    // BEGIN IMMEDIATE: the write lock is taken at the start, waiting out another writer (busy_timeout).
    // A deferred BEGIN that read first could not take it later once another process (`status`, a
    // second worker, `serve`'s receiver) had committed: SQLITE_BUSY_SNAPSHOT, the transaction lost.
    const transaction = db.transaction((fn: () => unknown) => fn());
    this.inTransaction = transaction.immediate;
    this.inReadTransaction = transaction.deferred;
  }

  static open(path: string): SqliteDriver {
    let db: Database.Database;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new (sqlite())(path);
    } catch (error) {
      throw new LedgersyncError('state_unreadable', 'config', `cannot open the state file ${path}: ${(error as Error).message}`, {
        fix: 'check the --state path and its permissions',
        cause: error,
      });
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    return new SqliteDriver(path, db);
  }

  /**
   * Opens (creating if needed) and migrates a state file. Anything wrong with it is one error naming
   * the file and the fix (engine/state/trouble.ts): not a database or damaged, read-only, locked by
   * another program, written by a newer ledgersync, a damaged write-ahead log. `write` proves now,
   * not mid-run, that the file can be written. `busyTimeoutMs`: how long a statement waits for
   * another writer's lock (default 5 s); the wait blocks the thread.
   */
  static openState(path: string, migrations: readonly string[], write: boolean, busyTimeoutMs = BUSY_TIMEOUT_MS): SqliteDriver {
    if (path !== ':memory:') {
      const wal = walProblem(path);
      if (wal) throw walDamaged(path, wal);
    }
    let db: Database.Database | undefined;
    try {
      if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
      db = new (sqlite())(path);
      db.pragma(`busy_timeout = ${Math.max(0, Math.round(busyTimeoutMs))}`);
      const driver = new SqliteDriver(path, db);
      // Refused before anything is written to it, WAL mode included.
      const version = driver.checkedVersion(migrations.length);
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      if (version < migrations.length) driver.applyMissing(migrations);
      // Proves the file can be written without committing anything: runs opening it together do not queue for an fsync.
      if (write) driver.assertWritable();
      return driver;
    } catch (error) {
      db?.close();
      throw openFailure(path, error);
    }
  }

  /**
   * Opens an existing state file to read it only: nothing in it changes, its schema version
   * included, and a file on a read-only mount can be read. The caller checks `schemaVersion()`:
   * a file of an older schema is not migrated.
   */
  static openReadOnly(path: string, migrations: readonly string[]): SqliteDriver {
    const wal = walProblem(path);
    if (wal) throw walDamaged(path, wal);
    let db: Database.Database | undefined;
    try {
      db = new (sqlite())(path, { readonly: true, fileMustExist: true });
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
      const driver = new SqliteDriver(path, db);
      driver.checkedVersion(migrations.length);
      return driver;
    } catch (error) {
      db?.close();
      throw openFailure(path, error);
    }
  }

  /** Writes a consistent copy of the whole database to a new file at `path` (the source may be read-only). */
  snapshotTo(path: string): void {
    this.db.prepare('VACUUM INTO ?').run(path);
  }

  prepare(text: string): PreparedStatement {
    const statement = this.db.prepare(text);
    return {
      run: (...params) => {
        const result = statement.run(...params);
        return { changes: result.changes, lastInsertRowid: Number(result.lastInsertRowid) };
      },
      get: (...params) => statement.get(...params),
      all: (...params) => statement.all(...params),
    };
  }

  exec(text: string): void {
    this.db.exec(text);
  }

  transaction<T>(fn: () => T, options: TransactionOptions = {}): T {
    if (options.durable !== false || this.db.inTransaction) return this.inTransaction(fn) as T;
    // In WAL mode NORMAL skips only the fsync at commit; the next FULL commit syncs this one with it.
    this.db.pragma('synchronous = NORMAL');
    try {
      return this.inTransaction(fn) as T;
    } finally {
      this.db.pragma('synchronous = FULL');
    }
  }

  clockSeconds(): number {
    return Math.floor(Date.now() / 1000);
  }

  schemaVersion(): number {
    return this.db.pragma('user_version', { simple: true }) as number;
  }

  /**
   * Applies the migrations the file lacks, each in its own transaction. Processes opening a file
   * together (a scheduler's tick, the first runs after an upgrade) decide what to apply only under
   * the write lock, reading the version again there: the one that gets it first migrates, the others
   * wait (busy_timeout) and find nothing left. A file already at this version takes no lock at all.
   */
  migrate(migrations: readonly string[]): void {
    if (this.checkedVersion(migrations.length) < migrations.length) this.applyMissing(migrations);
  }

  /** What `migrate` does once the file was found behind: under the write lock, the version read again. */
  private applyMissing(migrations: readonly string[]): void {
    for (;;) {
      const applied = this.inTransaction(() => {
        const version = this.checkSchema(migrations.length);
        if (version === migrations.length) return false;
        this.db.exec(migrations[version]!);
        this.db.pragma(`user_version = ${version + 1}`);
        return true;
      });
      if (!applied) return;
    }
  }

  /**
   * The file's schema version, refusing one written by a newer ledgersync, and an SQLite database
   * at version 0 that already holds tables (another program's). Called inside a transaction, so the
   * version and the tables are read from one snapshot.
   */
  private checkSchema(known: number): number {
    const version = this.schemaVersion();
    if (version > known) throw stateTooNew(this.location, version, known);
    if (version === 0) {
      const tables = (this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
      if (tables.length) throw notAStateFile(this.location, tables);
    }
    return version;
  }

  /** checkSchema outside a write lock: in a deferred transaction, which reads from one snapshot. */
  private checkedVersion(known: number): number {
    return this.inReadTransaction(() => this.checkSchema(known)) as number;
  }

  assertWritable(): void {
    try {
      this.db.exec('BEGIN IMMEDIATE');
      this.db.exec('ROLLBACK');
    } catch (error) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw error;
    }
  }

  tables(): Array<{ name: string; columns: string[] }> {
    const names = this.db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY rowid").all() as Array<{
      name: string;
    }>;
    return names.map(({ name }) => ({
      name,
      columns: (this.db.prepare('SELECT name FROM pragma_table_info(?) ORDER BY cid').all(name) as Array<{ name: string }>).map((c) => c.name),
    }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
