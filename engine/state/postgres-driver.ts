/**
 * PostgreSQL behind the synchronous driver seam. A `pg` client lives in a worker thread; each call
 * posts the statement to it and blocks this thread with Atomics.wait until the answer is there (the
 * pattern synckit uses; better-sqlite3 blocks the caller the same way on its file). The store and
 * its callers stay synchronous, so the same store code runs on both databases.
 *
 * One connection per store. After a dropped connection the next statement outside a transaction
 * reconnects; inside one it fails, since the transaction is gone with the connection.
 *
 * Inside a transaction, statements whose answer nobody has asked for yet (BEGIN, a `run` whose
 * `changes` is not read) are held back and sent with the next statement that needs an answer, or
 * with COMMIT, in one round trip to the thread, which sends them to the server as one query string
 * (engine/state/postgres-worker-source.ts). PostgreSQL aborts a transaction at its first failed
 * statement anyway, so a failure found later still fails the transaction, and it rolls back.
 */
import { createRequire } from 'node:module';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { LedgersyncError } from '../errors.js';
import { oneLine, redact } from '../log.js';
import { type PreparedStatement, type RunResult, type StateDriver, type TransactionOptions, printableLocation } from './driver.js';
import { parameterTarget, rowidColumns, toPostgresDdl, toPostgresQuery, type RowidColumns } from './postgres-dialect.js';
import { POSTGRES_WORKER_SOURCE } from './postgres-worker-source.js';

/** The schema the state tables live in when the URL names none (`?schema=`). */
export const DEFAULT_STATE_SCHEMA = 'ledgersync';
const VERSION_TABLE = 'state_schema_version';
/** Any number: it only has to be the same in every ledgersync process. */
const MIGRATION_LOCK_KEY = 7_105_311;

/**
 * `CREATE … IF NOT EXISTS` is not safe against itself: two workers starting together on a new
 * database both pass the check and one fails on a catalog's unique index. Run under the migration
 * lock, in one statement (a DO block is its own transaction), the second finds it there.
 */
function serialised(ddl: string): string {
  return `DO $ledgersync$ BEGIN PERFORM pg_advisory_xact_lock(${MIGRATION_LOCK_KEY}); ${ddl}; END $ledgersync$`;
}
/** A thread that has not started by then never will (it failed to load). */
const THREAD_START_MS = 15_000;

export interface PostgresDriverOptions {
  /** How long one statement may take before the driver gives up on the database. Default 60 s. */
  queryTimeoutMs?: number;
  /** How long connecting may take. Default 10 s. */
  connectTimeoutMs?: number;
  /** false: a reader that creates nothing, not even the state's schema (default true). */
  createSchema?: boolean;
}

interface QueryResult {
  rows?: Array<Record<string, unknown>>;
  rowCount?: number;
}

interface Reply extends QueryResult {
  /** The request this answers. */
  id?: number;
  /** Queries the connection's thread sent to the server for it. */
  queries?: number;
  results?: QueryResult[];
  error?: { message: string; code?: string; connection: boolean; index?: number };
}

interface Statement {
  text: string;
  params: unknown[];
  prepare: boolean;
}

type Request = ({ op: 'query'; reconnect: boolean } & Statement) | { op: 'batch'; statements: Statement[]; reconnect: boolean } | { op: 'close' };

/** A statement held back inside a transaction, and where its result goes once sent. */
interface Deferred extends Statement {
  done?: (result: QueryResult) => void;
}

/** Drivers closed while pooling is on, by URL, ready to be opened again without a new thread and connection. */
const idle = new Map<string, PostgresDriver[]>();
let idleLimit = 0;

/**
 * Keeps up to `perDatabase` closed drivers per URL for the next `open` (a worker opens the state for
 * every job: a thread, a connection with SCRAM authentication and a migration check cost 80-400 ms).
 * Off (0) by default: a one-shot command closes its connection.
 */
export function keepIdleStateConnections(perDatabase: number): void {
  idleLimit = perDatabase;
}

/** The URL without our own `schema` parameter, and that schema. */
export function parseStateUrl(location: string): { url: string; schema: string } {
  let parsed: URL;
  try {
    parsed = new URL(location);
  } catch {
    throw new LedgersyncError('state_unreadable', 'config', `the state URL ${printableLocation(location)} is not a valid URL`, {
      fix: 'write it as postgres://user:password@host:port/database (percent-encode special characters in the password)',
    });
  }
  const schema = parsed.searchParams.get('schema') ?? DEFAULT_STATE_SCHEMA;
  parsed.searchParams.delete('schema');
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new LedgersyncError('state_unreadable', 'config', `the state URL's schema '${schema}' is not a plain lower-case PostgreSQL name`, {
      fix: 'use letters, digits and _ only, e.g. ?schema=acme_state',
    });
  }
  return { url: parsed.toString(), schema };
}

/** Values that crossed the thread boundary come back as Uint8Array; the store expects Buffers, as from SQLite. */
function restoreBuffers(row: Record<string, unknown>): Record<string, unknown> {
  for (const key of Object.keys(row)) {
    const value = row[key];
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) row[key] = Buffer.from(value.buffer, value.byteOffset, value.byteLength);
  }
  return row;
}

/** The statement a failure names: the one that failed, or, for statements sent as one query, all of them. */
function failedText(request: Request, index: number | undefined): string {
  if (request.op === 'query') return request.text;
  if (request.op === 'close') return 'close';
  return index === undefined ? request.statements.map((s) => s.text).join('; ') : (request.statements[index]?.text ?? 'batch');
}

export class PostgresDriver implements StateDriver {
  readonly dialect = 'postgres' as const;
  readonly location: string;
  readonly schema: string;
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly signal: Int32Array;
  private readonly waitMs: number;
  private rowids: RowidColumns = new Map();
  private depth = 0;
  private closed = false;
  /** The server clock's offset from this host's (clockSeconds). */
  private clock: { offsetMs: number; measuredAt: number } | undefined;
  /** The URL as given, the key of the idle pool. */
  private readonly key: string;
  /** How many migrations this driver has seen applied (a pooled driver skips the check). */
  private migrated = 0;
  /** Whether open created the schema if missing: only such a driver is pooled, the next open may expect it. */
  private schemaCreated = false;
  /** Numbers requests, so that a late answer to one given up on is never taken for the next one's. */
  private lastRequestId = 0;
  /** Round trips to connection threads and statements sent, by every driver of this process (the benchmark reports them per record). */
  static totalRoundTrips = 0;
  static totalStatements = 0;
  /** Queries those threads sent on to the server: a batch of single statements goes as one. */
  static totalServerQueries = 0;
  /** Statements held back inside the current transaction, in order. */
  private pending: Deferred[] = [];

  private constructor(location: string, options: PostgresDriverOptions) {
    this.location = printableLocation(location);
    this.key = location;
    const { url, schema } = parseStateUrl(location);
    this.schema = schema;
    const queryTimeoutMs = options.queryTimeoutMs ?? 60_000;
    const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
    this.waitMs = queryTimeoutMs + connectTimeoutMs + 5_000;
    const shared = new SharedArrayBuffer(8);
    this.signal = new Int32Array(shared);
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.worker = new Worker(POSTGRES_WORKER_SOURCE, {
      eval: true,
      workerData: {
        pgPath: createRequire(import.meta.url).resolve('pg'),
        signal: shared,
        port: port2,
        url,
        schema,
        applicationName: `ledgersync pid ${process.pid}`,
        connectTimeoutMs,
        queryTimeoutMs,
      },
      transferList: [port2],
      // The process's flags are not the thread's: `--input-type=module` would make this CommonJS code ESM.
      execArgv: [],
      stdout: false,
      stderr: false,
    });
    // The thread never keeps the process alive: a command that forgets close() still exits.
    this.worker.unref();
    this.port.unref();
  }

  static open(location: string, options: PostgresDriverOptions = {}): PostgresDriver {
    const pooled = idle.get(location)?.pop();
    if (pooled) {
      pooled.closed = false;
      return pooled;
    }
    const driver = new PostgresDriver(location, options);
    if (options.createSchema === false) return driver;
    try {
      driver.call({ op: 'query', text: serialised(`CREATE SCHEMA IF NOT EXISTS "${driver.schema}"`), params: [], prepare: false, reconnect: true });
      driver.schemaCreated = true;
    } catch (error) {
      driver.close();
      throw error;
    }
    return driver;
  }

  private call(request: Request): Reply {
    if (this.closed) throw new LedgersyncError('state_unavailable', 'transient', `the state database ${this.location} was already closed`);
    PostgresDriver.totalRoundTrips++;
    PostgresDriver.totalStatements += request.op === 'batch' ? request.statements.length : 1;
    const id = ++this.lastRequestId;
    Atomics.store(this.signal, 0, 0);
    this.port.postMessage({ ...request, id });
    const started = Date.now();
    for (;;) {
      // Reset before draining: an answer that lands after the drain sets it again and ends the wait at once.
      Atomics.store(this.signal, 0, 0);
      // An answer to a request given up on earlier (it timed out) may still arrive: it is skipped,
      // never taken for this request's.
      for (let received = receiveMessageOnPort(this.port); received; received = receiveMessageOnPort(this.port)) {
        const reply = received.message as Reply;
        PostgresDriver.totalServerQueries += reply.queries ?? 0;
        if (reply.id !== id) continue;
        if (reply.error) {
          throw this.describe(reply.error, failedText(request, reply.error.index));
        }
        return reply;
      }
      if (Atomics.wait(this.signal, 0, 0, 1000) !== 'timed-out') continue;
      const waited = Date.now() - started;
      if (Atomics.load(this.signal, 1) === 0 && waited > THREAD_START_MS) {
        throw new LedgersyncError('state_unavailable', 'system', `the thread that talks to the state database ${this.location} did not start`, {
          fix: 'please report it, with the node version and the flags node was started with',
        });
      }
      if (waited > this.waitMs) {
        throw new LedgersyncError(
          'state_unavailable',
          'transient',
          `the state database ${this.location} did not answer within ${Math.round(this.waitMs / 1000)} s`,
          {
            fix: 'check that PostgreSQL is up and reachable from this machine',
          },
        );
      }
    }
  }

  private describe(error: NonNullable<Reply['error']>, text: string): LedgersyncError {
    if (error.code === '28P01' || error.code === '28000' || error.code === '3D000') {
      return new LedgersyncError('state_unreadable', 'config', `cannot open the state database ${this.location}: ${error.message}`, {
        fix: 'check the user, password and database name in --state / LEDGERSYNC_STATE',
      });
    }
    if (error.connection) {
      return new LedgersyncError('state_unavailable', 'transient', `the state database ${this.location} is unreachable: ${error.message}`, {
        fix: 'check that PostgreSQL is up; the next run resumes from the last checkpoint',
        details: { code: error.code ?? null },
      });
    }
    return new LedgersyncError('state_query_failed', 'system', `the state database refused a statement: ${error.message}`, {
      details: { code: error.code ?? null, statement: text.slice(0, 200) },
    });
  }

  /** Sends what is held back, then `statement` if any, in one round trip; returns the statement's result. */
  private query(text: string, params: unknown[], prepare: boolean): QueryResult {
    if (!this.pending.length) return this.call({ op: 'query', text, params, prepare, reconnect: this.depth === 0 });
    const statements = [...this.pending, { text, params, prepare }];
    return this.sendBatch(statements).at(-1) ?? {};
  }

  private flush(): void {
    if (this.pending.length) this.sendBatch([...this.pending]);
  }

  private sendBatch(statements: Deferred[]): QueryResult[] {
    this.pending = [];
    // A batch that opens the transaction may go on a new connection; one inside it may not.
    const reconnect = statements[0]?.text === 'BEGIN';
    const reply = this.call({ op: 'batch', statements: statements.map(({ text, params, prepare }) => ({ text, params, prepare })), reconnect });
    const results = reply.results ?? [];
    for (const [i, s] of statements.entries()) s.done?.(results[i] ?? {});
    return results;
  }

  /** Inside a transaction, held back until someone reads its result; outside, sent at once. */
  private defer(statement: Deferred): void {
    if (this.depth === 0) this.query(statement.text, statement.params, statement.prepare);
    else this.pending.push(statement);
  }

  /**
   * The server's clock, without a round trip per call (a lease is renewed on every write batch): its
   * offset from this host's clock is measured at most once a minute, and again when this clock steps back.
   */
  clockSeconds(): number {
    const now = Date.now();
    if (this.clock === undefined || now - this.clock.measuredAt > 60_000 || now < this.clock.measuredAt) {
      const row = this.prepare('SELECT (extract(epoch from clock_timestamp()) * 1000)::bigint AS now').get() as { now: number | string | bigint } | undefined;
      this.clock = { offsetMs: Number(row?.now) - now, measuredAt: now };
    }
    return Math.floor((now + this.clock.offsetMs) / 1000);
  }

  /**
   * PostgreSQL's text cannot hold U+0000 (SQLite's can). Refused here, naming the column and the
   * value: sent on, it is a refused statement at best and, written into a batch's query string, a
   * protocol error that reads like a lost connection.
   */
  private refuseNul(sql: string, params: readonly unknown[]): void {
    const at = params.findIndex((p) => typeof p === 'string' && p.includes('\u0000'));
    if (at < 0) return;
    const value = oneLine(redact(params[at] as string));
    const target = parameterTarget(sql, at + 1) ?? `parameter $${at + 1}`;
    throw new LedgersyncError(
      'state_query_failed',
      'system',
      `the state database ${this.location} cannot take ${target} '${value.length > 120 ? `${value.slice(0, 120)}…` : value}': PostgreSQL text cannot hold the character U+0000 (NUL)`,
      {
        fix: "remove the U+0000 from that value where it comes from (the source record), or keep this pipeline's state in SQLite, which can hold it",
        details: { code: '22021', statement: sql.slice(0, 200), parameter: at + 1 },
      },
    );
  }

  prepare(text: string): PreparedStatement {
    const { text: sql, returnsRowid } = toPostgresQuery(text, this.rowids);
    const rows = (params: unknown[]) => {
      this.refuseNul(sql, params);
      return (this.query(sql, params, true).rows ?? []).map(restoreBuffers);
    };
    const runResult = (result: QueryResult): RunResult => {
      const id = returnsRowid ? result.rows?.[0]?.['__rowid'] : undefined;
      return { changes: result.rowCount ?? 0, lastInsertRowid: typeof id === 'number' ? id : Number(id ?? 0) };
    };
    return {
      run: (...params): RunResult => {
        this.refuseNul(sql, params);
        if (this.depth === 0) return runResult(this.query(sql, params, true));
        let result: RunResult | undefined;
        this.pending.push({ text: sql, params, prepare: true, done: (r) => (result = runResult(r)) });
        const settled = (): RunResult => {
          if (!result) this.flush();
          return result ?? { changes: 0, lastInsertRowid: 0 };
        };
        return {
          get changes() {
            return settled().changes;
          },
          get lastInsertRowid() {
            return settled().lastInsertRowid;
          },
        };
      },
      get: (...params) => rows(params)[0],
      all: (...params) => rows(params),
    };
  }

  exec(text: string): void {
    this.defer({ text, params: [], prepare: false });
  }

  transaction<T>(fn: () => T, options: TransactionOptions = {}): T {
    const depth = this.depth;
    const begin: Deferred = { text: depth === 0 ? 'BEGIN' : `SAVEPOINT ledgersync_${depth}`, params: [], prepare: false };
    this.pending.push(begin);
    if (depth === 0 && options.durable === false) this.pending.push({ text: 'SET LOCAL synchronous_commit TO OFF', params: [], prepare: false });
    this.depth++;
    try {
      const result = fn();
      this.pending.push({ text: depth === 0 ? 'COMMIT' : `RELEASE SAVEPOINT ledgersync_${depth}`, params: [], prepare: false });
      // A commit is confirmed before the caller goes on; a savepoint's release can wait for it.
      if (depth === 0) this.flush();
      return result;
    } catch (error) {
      const at = this.pending.indexOf(begin);
      if (at >= 0) {
        // Never sent: the server has nothing to undo.
        this.pending.length = at;
      } else {
        this.pending = [];
        try {
          if (depth === 0) this.call({ op: 'query', text: 'ROLLBACK', params: [], prepare: false, reconnect: false });
          else this.pending.push({ text: `ROLLBACK TO SAVEPOINT ledgersync_${depth}`, params: [], prepare: false });
        } catch {
          // the connection is gone, and the transaction with it
        }
      }
      throw error;
    } finally {
      this.depth = depth;
    }
  }

  /** 0 where the state holds nothing yet: nothing is created to find out. */
  schemaVersion(): number {
    if (!this.query(`SELECT to_regclass('${VERSION_TABLE}') IS NOT NULL AS present`, [], false).rows?.[0]?.['present']) return 0;
    const row = this.query(`SELECT max(version) AS version FROM ${VERSION_TABLE}`, [], false).rows?.[0];
    return Number(row?.['version'] ?? 0);
  }

  migrate(migrations: readonly string[]): void {
    if (this.migrated === migrations.length) return;
    this.rowids = rowidColumns(migrations);
    this.exec(serialised(`CREATE TABLE IF NOT EXISTS ${VERSION_TABLE} (version BIGINT NOT NULL)`));
    this.transaction(() => {
      // Workers starting together: one migrates, the others wait here and then find nothing to do.
      this.query(`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`, [], false);
      const version = Number(this.query(`SELECT max(version) AS version FROM ${VERSION_TABLE}`, [], false).rows?.[0]?.['version'] ?? 0);
      if (version > migrations.length) {
        throw new LedgersyncError(
          'state_unreadable',
          'config',
          `the state database ${this.location} is at schema version ${version}, newer than this ledgersync knows (${migrations.length})`,
          { fix: 'upgrade ledgersync on this machine to the version the other workers run' },
        );
      }
      for (let i = version; i < migrations.length; i++) {
        this.exec(toPostgresDdl(migrations[i]!));
        this.query(`INSERT INTO ${VERSION_TABLE} (version) VALUES ($1)`, [i + 1], false);
      }
    });
    this.migrated = migrations.length;
  }

  assertWritable(): void {
    const row = this.query("SELECT current_setting('transaction_read_only') AS read_only", [], false).rows?.[0];
    if (row?.['read_only'] === 'on')
      throw new Error(`the PostgreSQL server behind ${this.location} accepts only reads (a standby, or default_transaction_read_only)`);
  }

  tables(): Array<{ name: string; columns: string[] }> {
    const rows = (this.query(
      `SELECT c.table_name AS table_name, c.column_name AS column_name
         FROM information_schema.columns c JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
        WHERE c.table_schema = $1 AND t.table_type = 'BASE TABLE' AND c.table_name <> $2 AND c.column_name <> 'rowid'
        ORDER BY c.table_name, c.ordinal_position`,
      [this.schema, VERSION_TABLE],
      false,
    ).rows ?? []) as Array<{ table_name: string; column_name: string }>;
    const tables = new Map<string, string[]>();
    for (const r of rows) tables.set(r.table_name, [...(tables.get(r.table_name) ?? []), r.column_name]);
    return [...tables].map(([name, columns]) => ({ name, columns }));
  }

  /** The column that holds `table`'s row id (its integer key, or the `rowid` column added for SQLite parity). */
  rowidColumnOf(table: string): string | undefined {
    return this.rowids.get(table.toLowerCase());
  }

  close(): void {
    if (this.closed) return;
    const pool = idle.get(this.key) ?? [];
    if (pool.length < idleLimit && this.depth === 0 && this.schemaCreated) {
      this.pending = [];
      this.closed = true;
      pool.push(this);
      idle.set(this.key, pool);
      return;
    }
    try {
      this.call({ op: 'close' });
    } catch {
      // closing a connection that is already gone
    }
    this.closed = true;
    void this.worker.terminate();
    this.port.close();
  }
}
