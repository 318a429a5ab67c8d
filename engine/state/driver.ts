/**
 * The seam between the state store and its database. The store writes SQLite-flavoured SQL with `?`
 * placeholders and calls it synchronously; a driver runs it on SQLite (better-sqlite3) or on
 * PostgreSQL (a `pg` client in a worker thread, the caller blocked until the answer arrives), so
 * the store and every caller stay synchronous whichever database holds the state.
 */
import { existsSync } from 'node:fs';

/**
 * What `run` reports, as better-sqlite3 does. On PostgreSQL inside a transaction it is read lazily:
 * reading it sends every statement held back, so a caller inserting a batch reads the results after
 * queuing all of it (one round trip), not each one as it goes (a round trip per row).
 */
export interface RunResult {
  /** Rows inserted, updated or deleted. */
  changes: number;
  /** The row id an INSERT created (PostgreSQL: through `RETURNING`); 0 when none. */
  lastInsertRowid: number;
}

export interface PreparedStatement {
  run(...params: unknown[]): RunResult;
  get(...params: unknown[]): unknown;
  all(...params: unknown[]): unknown[];
}

export type Dialect = 'sqlite' | 'postgres';

export interface TransactionOptions {
  /**
   * False when losing this commit to a power cut costs only work done again, never an acknowledged
   * write: the commit then returns without waiting for the disk (SQLite `synchronous=NORMAL`, PostgreSQL
   * `synchronous_commit=off` for this transaction). Later durable commits make it durable too; a lost
   * one is always the last ones, never one in the middle. Ignored in a nested transaction. Default true.
   */
  durable?: boolean;
}

export interface StateDriver {
  readonly dialect: Dialect;
  /** The file path, or the PostgreSQL URL without its password: safe to print. */
  readonly location: string;
  /** A statement with `?` placeholders; prepared once per text by the caller. */
  prepare(text: string): PreparedStatement;
  /** DDL or several statements without parameters. */
  exec(text: string): void;
  /** Runs `fn` in a transaction; nested calls become savepoints. A throw rolls back and goes on. */
  transaction<T>(fn: () => T, options?: TransactionOptions): T;
  /** The schema version the database is at (0 when new). */
  schemaVersion(): number;
  /**
   * The database's clock, unix seconds: leases are judged by it, so machines whose clocks disagree
   * still agree on whether a lease is live (PostgreSQL's; a SQLite file has only this host's).
   */
  clockSeconds(): number;
  /**
   * Applies `migrations[from…]` each in its own transaction, recording the version after each; one
   * process at a time (PostgreSQL: an advisory lock, so workers starting together migrate once).
   */
  migrate(migrations: readonly string[]): void;
  /** Throws when the database cannot be written now (read-only, locked), changing nothing. */
  assertWritable(): void;
  /** The tables of the state schema and their columns, in creation order (for `state migrate`). */
  tables(): Array<{ name: string; columns: string[] }>;
  close(): void;
}

/** True for a `--state` / `LEDGERSYNC_STATE` value that names a PostgreSQL database. */
export function isPostgresUrl(location: string): boolean {
  return /^postgres(ql)?:\/\//i.test(location);
}

/** A SQLite file that does not exist yet holds no state; a PostgreSQL database is asked. */
export function noStateAt(location: string): boolean {
  return !isPostgresUrl(location) && !existsSync(location);
}

/** Query parameters of a PostgreSQL URL that carry a password (`?password=`, `?sslpassword=`), which node-postgres accepts. */
const PASSWORD_PARAMETER = /pass/i;

/** The passwords a PostgreSQL URL carries, in the user part or as query parameters: to register as secrets. */
export function postgresSecrets(location: string): string[] {
  if (!isPostgresUrl(location)) return [];
  try {
    const url = new URL(location);
    const fromQuery = [...url.searchParams].filter(([name]) => PASSWORD_PARAMETER.test(name)).map(([, value]) => value);
    return [decodeURIComponent(url.password), ...fromQuery].filter((secret) => secret !== '');
  } catch {
    return [];
  }
}

/** A PostgreSQL URL with its passwords masked, for messages and `status`. */
export function printableLocation(location: string): string {
  if (!isPostgresUrl(location)) return location;
  try {
    const url = new URL(location);
    if (url.password) url.password = '***';
    for (const name of [...url.searchParams.keys()]) if (PASSWORD_PARAMETER.test(name)) url.searchParams.set(name, '***');
    return url.toString();
  } catch {
    return 'postgres://(unparsable URL)';
  }
}
