/** Error codes of the SQL sink; see engine/error-codes.ts. */
import type { ErrorCatalogue } from '../../engine/error-codes.js';

export const sqlErrorCodes = {
  codes: {
    invalid_sql_tables: { kind: 'config', meaning: "the sink's tables: block is not a valid table declaration" },
    sql_invalid_url: { kind: 'config', meaning: 'the sql sink url is not a postgres:// URL, or both path and url are given' },
    sql_schema_without_postgres: { kind: 'config', meaning: 'a PostgreSQL schema name is given for a SQLite database' },
    sql_target_ambiguous: { kind: 'config', meaning: 'a stream targets a table the sink declares ambiguously (name it in target.object)' },
    sql_login_failed: { kind: 'auth', meaning: 'PostgreSQL refused the user name or password of the sink url' },
    sql_connection_failed: { kind: ['auth', 'transient'], meaning: 'the PostgreSQL server of the sink url cannot be reached, or dropped the connection' },
    sql_database_unavailable: { kind: 'config', meaning: 'the SQLite file of the sink cannot be created or opened' },
    sql_database_unusable: { kind: 'config', meaning: 'the database of the sink url does not exist or the user may not use it' },
    sql_database_busy: { kind: 'transient', meaning: 'another program holds a write lock on the SQLite file for too long' },
    sql_database_failed: {
      kind: 'system',
      meaning: 'the database failed a statement for a reason other than one row (disk, corruption); the batch was rolled back',
    },
    sql_not_open: { kind: 'system', meaning: 'the sink was written to before it was opened (a bug)' },
    sql_migration_refused: {
      kind: 'config',
      meaning: 'a declared table changes a column type, the primary key, or adds a NOT NULL column to a table that holds rows',
    },
    sql_table_foreign: { kind: 'config', meaning: 'a declared table exists in the database but was not created by ledgersync' },
    sql_table_altered: { kind: 'config', meaning: 'a table ledgersync created was changed outside ledgersync' },
    sql_tables_replaced: {
      kind: 'config',
      meaning: 'a table the ledger says was written is gone (dropped, or the database file replaced): the ledger and the database disagree',
    },
    sql_database_missing: { kind: 'config', meaning: 'the SQLite file of the sink does not exist yet, so there is nothing to read: run the pipeline first' },
    sql_table_missing: {
      kind: 'config',
      meaning: 'a declared table or column is not in the database yet (the pipeline has not run since it was declared), so it cannot be read',
    },
    sql_row_refused: { kind: 'record', meaning: 'the database refused one row (a constraint or a type); the rest of the batch landed' },
    sql_unknown_table: { kind: 'record', meaning: 'a record targets a table the sink does not declare' },
    sql_unknown_column: { kind: 'record', meaning: 'a mapped record carries a field that is not a declared column' },
    sql_value_invalid: { kind: 'record', meaning: "a mapped value does not fit its column's declared type" },
    sql_value_required: { kind: 'record', meaning: 'a mapped record lacks a value for a NOT NULL column or a primary-key column' },
    sql_void_unsupported: { kind: 'record', meaning: 'the mapping asks to void a row; a SQL table has no void (use _action: delete)' },
  },
} as const satisfies ErrorCatalogue;

declare module '../../engine/error-codes.js' {
  interface ErrorCatalogues {
    sql: typeof sqlErrorCodes;
  }
}
