/**
 * The state of every pipeline: checkpoints, the record ledger, write operations, dead letters, runs,
 * the run lock (a lease), a small key/value store and encrypted secrets. On SQLite (one WAL file,
 * the default) or PostgreSQL (`postgres://…`), behind the synchronous driver seam of driver.ts.
 */
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LedgersyncError } from '../errors.js';
import { oneLine, redact, redactJson } from '../log.js';
import type { KeyValueStore, LedgerEntry, SecretStore } from '../connector/types.js';
import { MIGRATIONS } from './schema.js';
import { isPostgresUrl, type PreparedStatement, type StateDriver, type TransactionOptions } from './driver.js';
import { SqliteDriver } from './sqlite-driver.js';
import { PostgresDriver } from './postgres-driver.js';
import { RunLease, leaseLostError, leaseTtlSeconds } from './lease.js';
import { open as openSealed, requireSecretKey, seal } from './crypto.js';
import { AuditTrail, redactDeep } from './audit-trail.js';
import { stableStringify } from '../transform/hash.js';
import { WebhookQueue } from './webhook-queue.js';
import { NO_PARTS, byteOrder, partsRow, partsTable, recordOrParts } from './part-range.js';

/** The process holding a pipeline's run lock, and its lease. */
export interface RunLockHolder {
  runId: string;
  pid: number;
  hostname: string;
  /** Unix seconds. */
  since: number;
  /** When the lease runs out unless renewed (unix seconds); null for a lock taken before leases. */
  expiresAt?: number | null;
  /** The last renewal (unix seconds). */
  heartbeatAt?: number | null;
}

/** A run lock taken: the new run, and the holder it was taken over from, if any. */
export interface BegunRun {
  runId: string;
  tookOver?: { holder: RunLockHolder; reason: LockVacancy };
}

/** Why a held lock may be released without its holder: its lease expired, or its process is gone from this host. */
export type LockVacancy = 'expired' | 'gone';

/**
 * Runs this process began and has not finished. A lock naming this process's pid on this host but
 * none of them was left by an earlier process that had the same pid: a container restarted, whose
 * program is pid 1 again.
 */
const runsOfThisProcess = new Set<string>();

export function lockVacancy(holder: RunLockHolder, nowSeconds: number): LockVacancy | undefined {
  if (holder.expiresAt !== undefined && holder.expiresAt !== null && holder.expiresAt <= nowSeconds) return 'expired';
  if (holder.hostname !== hostname()) return undefined;
  const alive = holder.pid === process.pid ? runsOfThisProcess.has(holder.runId) : isAlive(holder.pid);
  return alive ? undefined : 'gone';
}

export interface RunRecord {
  id: string;
  pipeline: string;
  startedAt: number;
  finishedAt: number | null;
  status: string;
  exitCode: number | null;
  counts: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
}

export interface DeadLetter {
  stream: string;
  sourceId: string;
  sourceVersion: string | null;
  record: Record<string, unknown>;
  deleted: boolean;
  errorCode: string;
  errorKind: string;
  message: string;
  fix: string | null;
  /** The error's details (`reference_not_synced`: the stream and sourceId of the record waited for). */
  details: Record<string, unknown>;
  attempts: number;
  lastRunId: string;
  updatedAt: number;
}

export interface WriteOutcome {
  stream: string;
  sourceId: string;
  sourceVersion: string | null;
  contentHash: string | null;
  status: 'created' | 'updated' | 'skipped' | 'failed';
  targetId?: string | undefined;
  targetVersion?: string | undefined;
  /** For failed writes that may have been applied: keep the record flagged for a look-up. */
  mayHaveSucceeded?: boolean;
  error?: Record<string, unknown> | undefined;
  /** The fingerprint of the stream's mapping that produced the record (engine/transform/fingerprint.ts). */
  mappingFingerprint?: string | undefined;
  /**
   * The mapped record handed to the sink, as the canonical JSON its content hash was computed from
   * (no second serialisation), kept for `show` and `plan`'s diffs when it was written.
   */
  payloadJson?: string | undefined;
}

/** What the ledger holds of one target record, for `ledgersync show`. */
export interface LedgerRecordView extends LedgerEntry {
  stream: string;
  mappingFingerprint: string | null;
  /** Unix seconds of the last create or update. */
  writtenAt: number | null;
  payload: unknown;
}

export interface OperationRecord {
  id: number;
  runId: string;
  stream: string;
  sourceId: string;
  action: string;
  status: string;
  outcome: string | null;
  targetId: string | null;
  error: Record<string, unknown> | null;
  startedAt: number;
  finishedAt: number | null;
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
const numberOrNull = (value: number | string | null) => (value === null ? null : Number(value));

/** The lengths an `IN (…)` list is padded to; the last is the chunk size. */
const IN_CHUNK_SIZES = [1, 10, 100, 500] as const;
const IN_PLACEHOLDERS: Record<number, string> = {};

/** Compares two source versions; numeric strings compare as integers. */
export function compareVersions(a: string, b: string): number {
  if (/^\d+$/.test(a) && /^\d+$/.test(b)) {
    const x = BigInt(a);
    const y = BigInt(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }
  return a < b ? -1 : a > b ? 1 : 0;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A payload kept in the ledger, with every registered secret masked (a secret typed into a record must not reach the state file). */
export function maskedPayload(canonical: string): string {
  return redactJson(canonical) ?? stableStringify(redactDeep(JSON.parse(canonical)));
}

/** A part's ledger entry and the payload last written for it (`{ action, data, object }`, secrets masked). */
export interface PartEntry extends LedgerEntry {
  payloadJson: string | null;
}

function ledgerEntryOf(r: Record<string, unknown>): LedgerEntry {
  return {
    sourceId: String(r['source_id']),
    sourceVersion: (r['source_version'] as string | null) ?? null,
    contentHash: (r['content_hash'] as string | null) ?? null,
    targetId: (r['target_id'] as string | null) ?? null,
    targetVersion: (r['target_version'] as string | null) ?? null,
    pendingWrite: Number(r['pending_write']) === 1,
    updatedAt: Number(r['updated_at']),
    mappingFingerprint: (r['mapping_fingerprint'] as string | null) ?? null,
  };
}

/** Where the digest a connector's secrets descend from is kept: a kv scope no connector uses. */
const originScope = (scope: string) => `${scope}#secrets`;
const ORIGIN_KEY = 'origin';

export class StateStore {
  /** The SQLite file, or the PostgreSQL URL without its password. */
  readonly path: string;
  /** The database underneath; modules that read across pipelines (overview, state migrate) query it directly. */
  readonly driver: StateDriver;
  private readonly statements = new Map<string, PreparedStatement>();
  /** The run leases this store holds, by pipeline; renewed while the run lasts. */
  private readonly leases = new Map<string, RunLease>();
  /** Every write attempt, chained by hash (engine/state/audit-trail.ts). */
  readonly audit: AuditTrail;
  /** Webhook deliveries waiting to be synced, and every event id ever received (engine/state/webhook-queue.ts). */
  readonly webhooks: WebhookQueue;

  private constructor(driver: StateDriver) {
    this.path = driver.location;
    this.driver = driver;
    const statements = { dialect: driver.dialect, sql: (text: string) => this.sql(text), transaction: <T>(fn: () => T) => this.transaction(fn) };
    this.audit = new AuditTrail(statements);
    this.webhooks = new WebhookQueue(statements);
  }

  /** Prepared once per SQL text: preparing is far dearer than running on the per-record paths. */
  private sql(text: string): PreparedStatement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.driver.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /**
   * Opens (creating if needed) and migrates a state file. Anything wrong with it is one error naming
   * the file and the fix (engine/state/trouble.ts): not a database or damaged, read-only, locked by
   * another program, written by a newer ledgersync, a damaged write-ahead log.
   */
  static open(location: string, options: { write?: boolean; busyTimeoutMs?: number } = {}): StateStore {
    if (!isPostgresUrl(location)) return new StateStore(SqliteDriver.openState(location, MIGRATIONS, options.write ?? true, options.busyTimeoutMs));
    const driver = PostgresDriver.open(location);
    try {
      driver.migrate(MIGRATIONS);
    } catch (error) {
      driver.close();
      throw error;
    }
    return new StateStore(driver);
  }

  /**
   * Opens a state database only to read it (`state migrate --from`, `report`), changing nothing in it:
   * a SQLite file read-only, a PostgreSQL database without creating its schema or applying migrations.
   * Its schema may be older than this ledgersync's (`driver.schemaVersion()`, 0: no state there yet);
   * a newer one is refused as by `open`.
   */
  static openReadOnly(location: string): StateStore {
    if (!isPostgresUrl(location)) return new StateStore(SqliteDriver.openReadOnly(location, MIGRATIONS));
    const driver = PostgresDriver.open(location, { createSchema: false });
    try {
      // At this version's schema or above there is nothing to apply: migrate only learns the row-id columns, or refuses a newer schema.
      if (driver.schemaVersion() >= MIGRATIONS.length) driver.migrate(MIGRATIONS);
    } catch (error) {
      driver.close();
      throw error;
    }
    return new StateStore(driver);
  }

  close(): void {
    for (const lease of this.leases.values()) lease.stop();
    this.leases.clear();
    this.driver.close();
  }

  /** See TransactionOptions: `durable: false` only where a lost commit costs work done again, never a write sent twice. */
  transaction<T>(fn: () => T, options?: TransactionOptions): T {
    return this.driver.transaction(fn, options);
  }

  /** `column` compared and sorted byte by byte on either database (part-range.ts). */
  private byteOrder(column: string): string {
    return byteOrder(this.driver.dialect, column);
  }

  /** Runs `statement` (whose `IN (…)` is written `IN (%)`) over `ids` in chunks (inChunks), with `before` as the leading parameters. */
  private allIn(statement: string, before: readonly unknown[], ids: readonly string[]): Array<Record<string, unknown>> {
    return this.inChunks(ids, (chunk) => {
      const text = statement.replace('%', (IN_PLACEHOLDERS[chunk.length] ??= Array.from({ length: chunk.length }, () => '?').join(', ')));
      return this.sql(text).all(...before, ...chunk) as Array<Record<string, unknown>>;
    });
  }

  /**
   * What `query` returns for each chunk of `ids`. Chunks are padded (repeating the last id) to a few
   * fixed sizes, so a handful of statements is prepared however the pages are sized, and both
   * databases stay far below their parameter limits (SQLite 32,766, PostgreSQL 65,535).
   */
  private inChunks<T>(ids: readonly string[], query: (chunk: readonly string[]) => T[]): T[] {
    const results: T[] = [];
    for (let start = 0; start < ids.length; start += IN_CHUNK_SIZES[IN_CHUNK_SIZES.length - 1]!) {
      const chunk = ids.slice(start, start + IN_CHUNK_SIZES[IN_CHUNK_SIZES.length - 1]!);
      const size = IN_CHUNK_SIZES.find((s) => s >= chunk.length)!;
      while (chunk.length < size) chunk.push(chunk[chunk.length - 1]!);
      results.push(...query(chunk));
    }
    return results;
  }

  // ---- runs and the lock ----

  /**
   * Takes the pipeline's run lock (a lease of `ttlSeconds`, renewed while this store is open) and
   * records a new run. Returns who holds the lock while its holder lives. A lock whose lease expired
   * (its holder stopped renewing: killed, cut off, on any machine) or whose holder is a process of
   * this host that no longer exists is taken over, and its run marked crashed.
   */
  beginRun(pipeline: string, options: { ttlSeconds?: number } = {}): BegunRun | { heldBy: RunLockHolder } {
    const ttl = options.ttlSeconds ?? leaseTtlSeconds();
    const host = hostname();
    const holder = () =>
      this.sql('SELECT run_id, pid, hostname, acquired_at, expires_at, heartbeat_at FROM locks WHERE pipeline = ?').get(pipeline) as
        | { run_id: string; pid: number; hostname: string; acquired_at: number; expires_at: number | null; heartbeat_at: number | null }
        | undefined;
    const heldBy = (lock: NonNullable<ReturnType<typeof holder>>) => ({
      heldBy: {
        runId: lock.run_id,
        pid: lock.pid,
        hostname: lock.hostname,
        since: lock.acquired_at,
        expiresAt: numberOrNull(lock.expires_at),
        heartbeatAt: numberOrNull(lock.heartbeat_at),
      },
    });
    const begun = this.transaction((): BegunRun | { heldBy: RunLockHolder } => {
      const now = this.clockSeconds();
      const lock = holder();
      let tookOver: BegunRun['tookOver'];
      if (lock) {
        const vacancy = lockVacancy(heldBy(lock).heldBy, now);
        if (!vacancy) return heldBy(lock);
        const deadHere = vacancy === 'gone';
        // Conditional, so a holder that renewed meanwhile keeps its lock (PostgreSQL re-checks the row).
        const taken = this.sql('DELETE FROM locks WHERE pipeline = ? AND run_id = ? AND (expires_at <= ? OR ? = 1)').run(
          pipeline,
          lock.run_id,
          now,
          deadHere ? 1 : 0,
        ).changes;
        if (taken === 0) {
          const current = holder();
          if (current) return heldBy(current);
        }
        this.sql("UPDATE runs SET status = 'crashed', finished_at = ? WHERE id = ? AND finished_at IS NULL").run(now, lock.run_id);
        tookOver = { holder: heldBy(lock).heldBy, reason: vacancy };
      }
      const runId = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomUUID().slice(0, 8)}`;
      const inserted = this.sql(
        'INSERT INTO locks (pipeline, run_id, pid, hostname, acquired_at, expires_at, heartbeat_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (pipeline) DO NOTHING',
      ).run(pipeline, runId, process.pid, host, now, now + ttl, now).changes;
      if (inserted === 0) {
        const current = holder();
        if (current) return heldBy(current);
      }
      this.sql("INSERT INTO runs (id, pipeline, started_at, status, pid, hostname) VALUES (?, ?, ?, 'running', ?, ?)").run(
        runId,
        pipeline,
        now,
        process.pid,
        host,
      );
      return { runId, ...(tookOver ? { tookOver } : {}) };
    });
    if ('runId' in begun) {
      runsOfThisProcess.add(begun.runId);
      this.leases.get(pipeline)?.stop();
      this.leases.set(pipeline, new RunLease(() => this.renewRunLock(pipeline, begun.runId, ttl), ttl));
    }
    return begun;
  }

  /** The clock leases are judged by: the database's (StateDriver.clockSeconds). */
  clockSeconds(): number {
    return this.driver.clockSeconds();
  }

  /** Who holds the pipeline's run lock now, with its lease; undefined when no one does. */
  lockHolder(pipeline: string): RunLockHolder | undefined {
    const row = this.sql('SELECT run_id, pid, hostname, acquired_at, expires_at, heartbeat_at FROM locks WHERE pipeline = ?').get(pipeline) as
      | { run_id: string; pid: number; hostname: string; acquired_at: number; expires_at: number | null; heartbeat_at: number | null }
      | undefined;
    if (!row) return undefined;
    return {
      runId: row.run_id,
      pid: Number(row.pid),
      hostname: row.hostname,
      since: Number(row.acquired_at),
      expiresAt: numberOrNull(row.expires_at),
      heartbeatAt: numberOrNull(row.heartbeat_at),
    };
  }

  /**
   * Releases the lock held by `runId` (`ledgersync unlock`) and records its unfinished run as
   * `status`; false when that run no longer holds it. The run, if still alive, finds its lease gone at
   * its next renewal or write and stops (`run_lease_lost`).
   */
  releaseLock(pipeline: string, runId: string, status: 'crashed' | 'unlocked'): boolean {
    return this.transaction(() => {
      const released = this.sql('DELETE FROM locks WHERE pipeline = ? AND run_id = ?').run(pipeline, runId).changes > 0;
      if (released) this.sql('UPDATE runs SET status = ?, finished_at = ? WHERE id = ? AND finished_at IS NULL').run(status, nowSeconds(), runId);
      return released;
    });
  }

  /**
   * Fencing: renews the run's lease, or throws `run_lease_lost` when the lock is no longer this run's
   * (taken over after the lease expired, or released by `unlock --force`). A no-op for a run this
   * store holds no lease for.
   */
  assertLease(pipeline: string, runId: string): void {
    const lease = this.leases.get(pipeline);
    if (lease && !lease.renewNow()) throw leaseLostError(pipeline, runId);
  }

  /** `listener` runs once when the run's lease is lost: taken over, or not renewed for as long as it lasts. */
  whenLeaseLost(pipeline: string, listener: () => void): void {
    this.leases.get(pipeline)?.whenLost(listener);
  }

  /** Pushes the run's lease forward by `ttlSeconds`; false when the lock is no longer this run's. */
  renewRunLock(pipeline: string, runId: string, ttlSeconds = leaseTtlSeconds()): boolean {
    const now = this.clockSeconds();
    return (
      this.sql('UPDATE locks SET expires_at = ?, heartbeat_at = ? WHERE pipeline = ? AND run_id = ?').run(now + ttlSeconds, now, pipeline, runId).changes > 0
    );
  }

  finishRun(pipeline: string, runId: string, status: string, exitCode: number, counts: unknown, error?: unknown): void {
    this.leases.get(pipeline)?.stop();
    this.leases.delete(pipeline);
    runsOfThisProcess.delete(runId);
    this.transaction(() => {
      // A run whose lock was released by hand (`unlock`) or taken over keeps that status: it says why the run ended.
      this.sql(
        "UPDATE runs SET finished_at = ?, status = CASE WHEN status IN ('unlocked', 'crashed') THEN status ELSE ? END, exit_code = ?, counts_json = ?, error_json = ? WHERE id = ?",
      ).run(nowSeconds(), status, exitCode, JSON.stringify(counts ?? null), error === undefined ? null : redact(JSON.stringify(error)), runId);
      this.sql('DELETE FROM locks WHERE pipeline = ? AND run_id = ?').run(pipeline, runId);
    });
  }

  recentRuns(pipeline: string, limit = 10): RunRecord[] {
    const rows = this.sql('SELECT * FROM runs WHERE pipeline = ? ORDER BY started_at DESC, rowid DESC LIMIT ?').all(pipeline, limit) as Array<
      Record<string, unknown>
    >;
    return rows.map((r) => ({
      id: String(r['id']),
      pipeline: String(r['pipeline']),
      startedAt: Number(r['started_at']),
      finishedAt: r['finished_at'] == null ? null : Number(r['finished_at']),
      status: String(r['status']),
      exitCode: r['exit_code'] == null ? null : Number(r['exit_code']),
      counts: r['counts_json'] ? (JSON.parse(String(r['counts_json'])) as Record<string, unknown>) : null,
      error: r['error_json'] ? (JSON.parse(String(r['error_json'])) as Record<string, unknown>) : null,
    }));
  }

  // ---- checkpoints ----

  getCheckpoint(pipeline: string, stream: string): unknown {
    return this.readCheckpoint(pipeline, stream)?.value;
  }

  /** A stream's checkpoint and the read scope it was saved under (null: saved before scopes were kept). */
  readCheckpoint(pipeline: string, stream: string): { value: unknown; scope: string | null } | undefined {
    const row = this.sql('SELECT value_json, read_scope FROM checkpoints WHERE pipeline = ? AND stream = ?').get(pipeline, stream) as
      | { value_json: string; read_scope: string | null }
      | undefined;
    return row ? { value: JSON.parse(row.value_json), scope: row.read_scope ?? null } : undefined;
  }

  /**
   * Fenced like a write: a run whose lease was taken over moves no checkpoint. `scope` says what the
   * stream was read with (engine/run/read-scope.ts), so a cursor is never applied to another read.
   */
  saveCheckpoint(pipeline: string, stream: string, value: unknown, runId: string, scope: string | null = null): void {
    this.transaction(() => {
      this.assertLease(pipeline, runId);
      this.sql(
        `INSERT INTO checkpoints (pipeline, stream, value_json, run_id, updated_at, read_scope) VALUES (?, ?, ?, ?, ?, ?)
           ON CONFLICT (pipeline, stream) DO UPDATE SET value_json = excluded.value_json, run_id = excluded.run_id, updated_at = excluded.updated_at, read_scope = excluded.read_scope`,
      ).run(pipeline, stream, JSON.stringify(value), runId, nowSeconds(), scope);
    });
  }

  listCheckpoints(pipeline: string): Array<{ stream: string; value: unknown; updatedAt: number }> {
    const rows = this.sql(`SELECT stream, value_json, updated_at FROM checkpoints WHERE pipeline = ? ORDER BY ${this.byteOrder('stream')}`).all(
      pipeline,
    ) as Array<{
      stream: string;
      value_json: string;
      updated_at: number;
    }>;
    return rows.map((r) => ({ stream: r.stream, value: JSON.parse(r.value_json), updatedAt: r.updated_at }));
  }

  /** Forgets cursors (all streams, or one). The ledger stays, so nothing is written twice afterwards. */
  resetCheckpoints(pipeline: string, stream?: string): number {
    const result = stream
      ? this.sql('DELETE FROM checkpoints WHERE pipeline = ? AND stream = ?').run(pipeline, stream)
      : this.sql('DELETE FROM checkpoints WHERE pipeline = ?').run(pipeline);
    return result.changes;
  }

  // ---- the ledger ----

  getLedger(pipeline: string, stream: string, sourceId: string): LedgerEntry | undefined {
    const r = this.sql(
      'SELECT source_id, source_version, content_hash, target_id, target_version, pending_write, updated_at, mapping_fingerprint FROM ledger WHERE pipeline = ? AND stream = ? AND source_id = ?',
    ).get(pipeline, stream, sourceId) as Record<string, unknown> | undefined;
    return r ? ledgerEntryOf(r) : undefined;
  }

  /** The ledger entries of many source ids of a stream (a page), read in one statement per 500 ids. */
  ledgerEntries(pipeline: string, stream: string, sourceIds: readonly string[]): Map<string, LedgerEntry> {
    const entries = new Map<string, LedgerEntry>();
    if (!sourceIds.length) return entries;
    const rows = this.allIn(
      'SELECT source_id, source_version, content_hash, target_id, target_version, pending_write, updated_at, mapping_fingerprint FROM ledger WHERE pipeline = ? AND stream = ? AND source_id IN (%)',
      [pipeline, stream],
      sourceIds,
    );
    for (const row of rows) entries.set(String(row['source_id']), ledgerEntryOf(row));
    return entries;
  }

  /**
   * The parts (`<id>#<part>`) the ledger holds for each of `recordIds`, with the payload last written
   * for each; for one whose first write is in doubt (no payload written yet), the payload of its last
   * attempt in the audit trail, so it can still be looked up by its natural key. One statement per
   * 500 records.
   */
  partEntries(pipeline: string, stream: string, recordIds: readonly string[]): Map<string, PartEntry[]> {
    const ids = [...new Set(recordIds)];
    const owned = this.inChunks(ids, (chunk) => {
      const parts = partsTable(this.driver.dialect, chunk.length);
      // The chunk's padding (its last id again) would read that record's parts twice: its rows match nothing.
      const real = new Set(chunk).size;
      return this.sql(
        `WITH ${parts.with}
         SELECT part_of.owner, source_id, source_version, content_hash, target_id, target_version, pending_write, updated_at, mapping_fingerprint, payload_json
         FROM part_of CROSS JOIN ledger WHERE pipeline = ? AND stream = ? AND ${parts.on}`,
      ).all(...chunk.flatMap((id, i) => (i < real ? partsRow(id) : NO_PARTS)), pipeline, stream) as Array<Record<string, unknown>>;
    });
    const byRecord = new Map<string, PartEntry[]>();
    for (const row of owned) {
      const entry = ledgerEntryOf(row);
      const payloadJson =
        (row['payload_json'] as string | null) ?? (entry.pendingWrite ? this.audit.lastMappedAttempt(pipeline, stream, entry.sourceId) : null);
      const owner = String(row['owner']);
      const own = byRecord.get(owner);
      if (own) own.push({ ...entry, payloadJson });
      else byRecord.set(owner, [{ ...entry, payloadJson }]);
    }
    // In the order asked, each record's parts in the order of their ids, byte by byte, as SQLite keeps them.
    const parts = new Map<string, PartEntry[]>();
    for (const id of ids) {
      const own = byRecord.get(id);
      if (own)
        parts.set(
          id,
          own.sort((a, b) => Buffer.compare(Buffer.from(a.sourceId), Buffer.from(b.sourceId))),
        );
    }
    return parts;
  }

  targetIdOf(pipeline: string, stream: string, sourceId: string): string | undefined {
    const r = this.sql('SELECT target_id FROM ledger WHERE pipeline = ? AND stream = ? AND source_id = ? AND target_id IS NOT NULL').get(
      pipeline,
      stream,
      sourceId,
    ) as { target_id: string } | undefined;
    return r?.target_id;
  }

  /** Records that a source version was seen and needs no write (filtered, unchanged). */
  markSeen(pipeline: string, stream: string, sourceId: string, sourceVersion: string | null): void {
    this.sql(
      `INSERT INTO ledger (pipeline, stream, source_id, source_version, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (pipeline, stream, source_id) DO UPDATE SET source_version = excluded.source_version, updated_at = excluded.updated_at`,
    ).run(pipeline, stream, sourceId, sourceVersion, nowSeconds());
  }

  /** Before a sink is called: operation rows (pending) and the ledger flag that says "may have been written". */
  beginWrites(pipeline: string, runId: string, writes: ReadonlyArray<{ stream: string; sourceId: string; action: string }>): number[] {
    const insertOp = this.sql("INSERT INTO operations (run_id, pipeline, stream, source_id, action, status, started_at) VALUES (?, ?, ?, ?, ?, 'pending', ?)");
    const flag = this.sql(
      `INSERT INTO ledger (pipeline, stream, source_id, pending_write, updated_at) VALUES (?, ?, ?, 1, ?)
       ON CONFLICT (pipeline, stream, source_id) DO UPDATE SET pending_write = 1, updated_at = excluded.updated_at`,
    );
    return this.transaction(() => {
      const now = nowSeconds();
      // Fencing: a run whose lease was taken over must not write; renewing here also covers a
      // heartbeat that could not run (a blocked event loop).
      this.assertLease(pipeline, runId);
      const inserted = writes.map((w) => {
        flag.run(pipeline, w.stream, w.sourceId, now);
        return insertOp.run(runId, pipeline, w.stream, w.sourceId, w.action, now);
      });
      // The ids are read once every row is queued: on PostgreSQL the first read sends the whole batch
      // in one round trip, where reading each at once cost a round trip per record.
      return inserted.map((result) => Number(result.lastInsertRowid));
    });
  }

  /** After the sink answered: ledger, operations and dead letters in one transaction. */
  finishWrites(pipeline: string, _runId: string, operationIds: readonly number[], outcomes: readonly WriteOutcome[]): void {
    const finishOp = this.sql('UPDATE operations SET status = ?, outcome = ?, target_id = ?, error_json = ?, finished_at = ? WHERE id = ?');
    const upsertLedger = this.sql(
      `INSERT INTO ledger (pipeline, stream, source_id, source_version, content_hash, target_id, target_version, pending_write, updated_at,
                          mapping_fingerprint, payload_json, written_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?)
       ON CONFLICT (pipeline, stream, source_id) DO UPDATE SET
         source_version = excluded.source_version, content_hash = excluded.content_hash,
         target_id = COALESCE(excluded.target_id, ledger.target_id),
         target_version = COALESCE(excluded.target_version, ledger.target_version),
         pending_write = 0, updated_at = excluded.updated_at,
         mapping_fingerprint = COALESCE(excluded.mapping_fingerprint, ledger.mapping_fingerprint),
         payload_json = COALESCE(excluded.payload_json, ledger.payload_json),
         written_at = COALESCE(excluded.written_at, ledger.written_at)`,
    );
    const clearPending = this.sql('UPDATE ledger SET pending_write = 0, updated_at = ? WHERE pipeline = ? AND stream = ? AND source_id = ?');
    const resolveDead = this.sql('DELETE FROM dead_letters WHERE pipeline = ? AND stream = ? AND source_id = ?');
    this.transaction(() => {
      const now = nowSeconds();
      // Dead letters are rare: find the few to resolve in one read instead of a DELETE per record.
      const streams = new Set(outcomes.map((o) => o.stream));
      const lettered = new Map<string, Set<string>>();
      for (const stream of streams)
        lettered.set(
          stream,
          this.deadLetterIdsAmong(
            pipeline,
            stream,
            outcomes.filter((o) => o.stream === stream && o.status !== 'failed').map((o) => o.sourceId),
          ),
        );
      outcomes.forEach((o, i) => {
        const opId = operationIds[i];
        const succeeded = o.status !== 'failed';
        if (opId !== undefined)
          finishOp.run(succeeded ? 'succeeded' : 'failed', o.status, o.targetId ?? null, o.error ? redact(JSON.stringify(o.error)) : null, now, opId);
        if (succeeded) {
          // Only a create or an update sent the payload; an adopted or skipped record keeps what was sent before.
          const wrote = o.status === 'created' || o.status === 'updated';
          upsertLedger.run(
            pipeline,
            o.stream,
            o.sourceId,
            o.sourceVersion,
            o.contentHash,
            o.targetId ?? null,
            o.targetVersion ?? null,
            now,
            o.mappingFingerprint ?? null,
            wrote && o.payloadJson !== undefined ? maskedPayload(o.payloadJson) : null,
            wrote ? now : null,
          );
          if (lettered.get(o.stream)?.has(o.sourceId)) resolveDead.run(pipeline, o.stream, o.sourceId);
        } else if (!o.mayHaveSucceeded) {
          clearPending.run(now, pipeline, o.stream, o.sourceId);
        }
      });
    });
  }

  /** Operations left pending by a run that died between a request and its ledger write. */
  pendingOperations(pipeline: string): Array<{ id: number; runId: string; stream: string; sourceId: string; action: string }> {
    return this.sql(
      "SELECT id, run_id AS runId, stream, source_id AS sourceId, action FROM operations WHERE pipeline = ? AND status = 'pending' ORDER BY id",
    ).all(pipeline) as Array<{ id: number; runId: string; stream: string; sourceId: string; action: string }>;
  }

  /** Marks operations of dead runs as interrupted; the ledger keeps their `pending_write` flag for the look-up. */
  abandonPendingOperations(pipeline: string, exceptRunId: string): number {
    this.audit.sealInterrupted(pipeline, exceptRunId);
    return this.sql("UPDATE operations SET status = 'interrupted', finished_at = ? WHERE pipeline = ? AND status = 'pending' AND run_id != ?").run(
      nowSeconds(),
      pipeline,
      exceptRunId,
    ).changes;
  }

  countLedger(pipeline: string, stream?: string): number {
    const r = (
      stream
        ? this.sql('SELECT COUNT(*) AS n FROM ledger WHERE pipeline = ? AND stream = ? AND target_id IS NOT NULL').get(pipeline, stream)
        : this.sql('SELECT COUNT(*) AS n FROM ledger WHERE pipeline = ? AND target_id IS NOT NULL').get(pipeline)
    ) as { n: number };
    return r.n;
  }

  // ---- mapping fingerprints and what the ledger knows of one record ----

  /** Remembers the parts of a stream's fingerprint the first time a run uses it. */
  recordFingerprint(pipeline: string, stream: string, fingerprint: string, components: unknown, runId: string | null): void {
    this.sql(
      'INSERT OR IGNORE INTO mapping_fingerprints (pipeline, stream, fingerprint, components_json, first_run_id, created_at) VALUES (?, ?, ?, ?, ?, ?)',
    ).run(pipeline, stream, fingerprint, JSON.stringify(components), runId, nowSeconds());
  }

  fingerprintComponents(pipeline: string, stream: string, fingerprint: string): unknown {
    const r = this.sql('SELECT components_json FROM mapping_fingerprints WHERE pipeline = ? AND stream = ? AND fingerprint = ?').get(
      pipeline,
      stream,
      fingerprint,
    ) as { components_json: string } | undefined;
    return r ? JSON.parse(r.components_json) : undefined;
  }

  /** Records of a stream in the target that were written with another mapping than `fingerprint`, by fingerprint (most first). */
  otherMappings(pipeline: string, stream: string, fingerprint: string): Array<{ fingerprint: string; count: number }> {
    return this.sql(
      `SELECT mapping_fingerprint AS fingerprint, COUNT(*) AS count FROM ledger
       WHERE pipeline = ? AND stream = ? AND target_id IS NOT NULL AND mapping_fingerprint IS NOT NULL AND mapping_fingerprint != ?
       GROUP BY mapping_fingerprint ORDER BY count DESC`,
    ).all(pipeline, stream, fingerprint) as Array<{ fingerprint: string; count: number }>;
  }

  /** The record's output under the current mapping equals what was written: it now counts as written with this mapping. */
  confirmMapping(pipeline: string, stream: string, sourceId: string, fingerprint: string): void {
    this.sql(
      `UPDATE ledger SET mapping_fingerprint = ? WHERE pipeline = ? AND stream = ? AND source_id = ? AND target_id IS NOT NULL
       AND (mapping_fingerprint IS NULL OR mapping_fingerprint != ?)`,
    ).run(fingerprint, pipeline, stream, sourceId, fingerprint);
  }

  /** The mapped record last written for a source record (undefined: none kept). */
  lastPayload(pipeline: string, stream: string, sourceId: string): unknown {
    const r = this.sql('SELECT payload_json FROM ledger WHERE pipeline = ? AND stream = ? AND source_id = ?').get(pipeline, stream, sourceId) as
      | { payload_json: string | null }
      | undefined;
    return r?.payload_json ? JSON.parse(r.payload_json) : undefined;
  }

  /** Every ledger entry of a source record (and of its parts, `<id>#<part>`), in any stream or in one. */
  recordHistory(pipeline: string, sourceId: string, stream?: string): LedgerRecordView[] {
    const ofRecord = recordOrParts(this.driver.dialect);
    const order = `${this.byteOrder('stream')}, ${this.byteOrder('source_id')}`;
    const rows = (
      stream === undefined
        ? this.sql(`SELECT * FROM ledger WHERE pipeline = ? AND ${ofRecord.sql} ORDER BY ${order}`).all(pipeline, ...ofRecord.params(sourceId))
        : this.sql(`SELECT * FROM ledger WHERE pipeline = ? AND stream = ? AND ${ofRecord.sql} ORDER BY ${order}`).all(
            pipeline,
            stream,
            ...ofRecord.params(sourceId),
          )
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      ...ledgerEntryOf(r),
      stream: String(r['stream']),
      mappingFingerprint: (r['mapping_fingerprint'] as string | null) ?? null,
      writtenAt: r['written_at'] == null ? null : Number(r['written_at']),
      payload: r['payload_json'] ? JSON.parse(String(r['payload_json'])) : undefined,
    }));
  }

  /** Write operations of a source record (and its parts), oldest first. */
  operationsOf(pipeline: string, stream: string, sourceId: string): OperationRecord[] {
    const ofRecord = recordOrParts(this.driver.dialect);
    const rows = this.sql(`SELECT * FROM operations WHERE pipeline = ? AND stream = ? AND ${ofRecord.sql} ORDER BY id`).all(
      pipeline,
      stream,
      ...ofRecord.params(sourceId),
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      id: Number(r['id']),
      runId: String(r['run_id']),
      stream: String(r['stream']),
      sourceId: String(r['source_id']),
      action: String(r['action']),
      status: String(r['status']),
      outcome: (r['outcome'] as string | null) ?? null,
      targetId: (r['target_id'] as string | null) ?? null,
      error: r['error_json'] ? (JSON.parse(String(r['error_json'])) as Record<string, unknown>) : null,
      startedAt: Number(r['started_at']),
      finishedAt: r['finished_at'] == null ? null : Number(r['finished_at']),
    }));
  }

  /** Streams in which the state knows this source id (ledger or dead letters). */
  streamsHolding(pipeline: string, sourceId: string): string[] {
    const ofRecord = recordOrParts(this.driver.dialect);
    const rows = this.sql(
      `SELECT stream FROM (SELECT stream FROM ledger WHERE pipeline = ? AND ${ofRecord.sql}
       UNION SELECT stream FROM dead_letters WHERE pipeline = ? AND source_id = ?) AS held ORDER BY ${this.byteOrder('stream')}`,
    ).all(pipeline, ...ofRecord.params(sourceId), pipeline, sourceId) as Array<{ stream: string }>;
    return rows.map((r) => r.stream);
  }

  /** Ids written to a stream next to `sourceId` in sort order (two before, two after), and how many the stream holds: for "no such record". */
  neighbourIds(pipeline: string, stream: string, sourceId: string): { ids: string[]; count: number } {
    const id = this.byteOrder('source_id');
    const before = this.sql(`SELECT source_id FROM ledger WHERE pipeline = ? AND stream = ? AND ${id} < ? ORDER BY ${id} DESC LIMIT 2`).all(
      pipeline,
      stream,
      sourceId,
    ) as Array<{ source_id: string }>;
    const after = this.sql(`SELECT source_id FROM ledger WHERE pipeline = ? AND stream = ? AND ${id} > ? ORDER BY ${id} LIMIT 2`).all(
      pipeline,
      stream,
      sourceId,
    ) as Array<{ source_id: string }>;
    const { n } = this.sql('SELECT COUNT(*) AS n FROM ledger WHERE pipeline = ? AND stream = ?').get(pipeline, stream) as { n: number };
    return { ids: [...before.reverse(), ...after].map((r) => r.source_id), count: n };
  }

  /**
   * Proves the state file can be written now (a run about to receive a rotated token must be able to
   * keep it), without changing anything: an immediate transaction takes the write lock and rolls back.
   */
  assertWritable(): void {
    try {
      this.driver.assertWritable();
    } catch (error) {
      throw new LedgersyncError('state_unreadable', 'config', `the state file ${this.path} cannot be written: ${(error as Error).message}`, {
        fix: 'check the --state path, its permissions and the free disk space; a rotated token could not be kept',
        cause: error,
      });
    }
  }

  /** Decrypts every secret kept for a pipeline's connector, so a wrong LEDGERSYNC_SECRET_KEY is found before any token is spent. */
  verifySecrets(pipeline: string, scope: string, secretKey: string): number {
    const rows = this.sql('SELECT salt, iv, tag, ciphertext FROM secrets WHERE pipeline = ? AND scope = ?').all(pipeline, scope) as Array<{
      salt: Buffer;
      iv: Buffer;
      tag: Buffer;
      ciphertext: Buffer;
    }>;
    for (const row of rows) openSealed(row, secretKey);
    return rows.length;
  }

  /**
   * The SHA-256 of the configured token a pipeline's connector's stored secrets descend from, kept in
   * clear beside them (a digest, never a token), so a lost LEDGERSYNC_SECRET_KEY can be told from a wrong one.
   */
  secretsOrigin(pipeline: string, scope: string): string | undefined {
    return this.keyValue(pipeline, originScope(scope)).get<string>(ORIGIN_KEY);
  }

  recordSecretsOrigin(pipeline: string, scope: string, digest: string): void {
    this.keyValue(pipeline, originScope(scope)).set(ORIGIN_KEY, digest);
  }

  /** Deletes every secret kept for a pipeline's connector and the origin recorded for them; returns how many secrets. */
  forgetSecrets(pipeline: string, scope: string): number {
    return this.transaction(() => {
      this.keyValue(pipeline, originScope(scope)).delete(ORIGIN_KEY);
      return this.sql('DELETE FROM secrets WHERE pipeline = ? AND scope = ?').run(pipeline, scope).changes;
    });
  }

  // ---- dead letters ----

  putDeadLetter(
    pipeline: string,
    runId: string,
    letter: { stream: string; sourceId: string; sourceVersion: string | null; record: unknown; deleted: boolean; error: LedgersyncError },
  ): void {
    const now = nowSeconds();
    const e = letter.error;
    this.sql(
      `INSERT INTO dead_letters (pipeline, stream, source_id, source_version, record_json, deleted, error_code, error_kind, message, fix, details_json, attempts, first_run_id, last_run_id, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?)
         ON CONFLICT (pipeline, stream, source_id) DO UPDATE SET
           source_version = excluded.source_version, record_json = excluded.record_json, deleted = excluded.deleted,
           error_code = excluded.error_code, error_kind = excluded.error_kind, message = excluded.message, fix = excluded.fix,
           details_json = excluded.details_json, attempts = dead_letters.attempts + 1, last_run_id = excluded.last_run_id, updated_at = excluded.updated_at`,
    ).run(
      pipeline,
      letter.stream,
      letter.sourceId,
      letter.sourceVersion,
      JSON.stringify(letter.record),
      letter.deleted ? 1 : 0,
      e.code,
      e.kind,
      // Escaped as log lines are: a message quotes record values as they are, and PostgreSQL text cannot hold U+0000.
      oneLine(redact(e.message)),
      e.fix ? oneLine(redact(e.fix)) : null,
      redact(JSON.stringify(e.details ?? {})),
      runId,
      runId,
      now,
      now,
    );
  }

  /** Which of these source ids of a stream have a dead letter (one statement per 500 ids). */
  deadLetterIdsAmong(pipeline: string, stream: string, sourceIds: readonly string[]): Set<string> {
    if (!sourceIds.length) return new Set();
    const rows = this.allIn('SELECT source_id FROM dead_letters WHERE pipeline = ? AND stream = ? AND source_id IN (%)', [pipeline, stream], sourceIds);
    return new Set(rows.map((r) => String(r['source_id'])));
  }

  resolveDeadLetter(pipeline: string, stream: string, sourceId: string): void {
    this.sql('DELETE FROM dead_letters WHERE pipeline = ? AND stream = ? AND source_id = ?').run(pipeline, stream, sourceId);
  }

  /** Dead letters of a stream not already retried (or written) by this run. */
  deadLettersBefore(pipeline: string, stream: string, runId: string): DeadLetter[] {
    return this.deadLetters(pipeline, stream).filter((d) => d.lastRunId !== runId);
  }

  deadLetters(pipeline: string, stream?: string): DeadLetter[] {
    const id = this.byteOrder('source_id');
    const rows = (
      stream
        ? this.sql(`SELECT * FROM dead_letters WHERE pipeline = ? AND stream = ? ORDER BY updated_at, ${id}`).all(pipeline, stream)
        : this.sql(`SELECT * FROM dead_letters WHERE pipeline = ? ORDER BY ${this.byteOrder('stream')}, updated_at, ${id}`).all(pipeline)
    ) as Array<Record<string, unknown>>;
    return rows.map((r) => ({
      stream: String(r['stream']),
      sourceId: String(r['source_id']),
      sourceVersion: (r['source_version'] as string | null) ?? null,
      record: JSON.parse(String(r['record_json'])) as Record<string, unknown>,
      deleted: Number(r['deleted']) === 1,
      errorCode: String(r['error_code']),
      errorKind: String(r['error_kind']),
      message: String(r['message']),
      fix: (r['fix'] as string | null) ?? null,
      details: r['details_json'] ? (JSON.parse(String(r['details_json'])) as Record<string, unknown>) : {},
      attempts: Number(r['attempts']),
      lastRunId: String(r['last_run_id']),
      updatedAt: Number(r['updated_at']),
    }));
  }

  // ---- key/value and secrets, scoped to a pipeline and a connector ----

  keyValue(pipeline: string, scope: string): KeyValueStore {
    const get = this.sql('SELECT value_json FROM kv WHERE pipeline = ? AND scope = ? AND key = ?');
    const set = this.sql(
      `INSERT INTO kv (pipeline, scope, key, value_json, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (pipeline, scope, key) DO UPDATE SET value_json = excluded.value_json, updated_at = excluded.updated_at`,
    );
    const del = this.sql('DELETE FROM kv WHERE pipeline = ? AND scope = ? AND key = ?');
    const inTransaction = (fn: () => void) => this.transaction(fn);
    return {
      transaction: inTransaction,
      get<T>(key: string): T | undefined {
        const r = get.get(pipeline, scope, key) as { value_json: string } | undefined;
        return r ? (JSON.parse(r.value_json) as T) : undefined;
      },
      set(key: string, value: unknown) {
        set.run(pipeline, scope, key, JSON.stringify(value), nowSeconds());
      },
      delete(key: string) {
        del.run(pipeline, scope, key);
      },
    };
  }

  secretStore(pipeline: string, scope: string, secretKey: string | undefined): SecretStore {
    const get = this.sql('SELECT salt, iv, tag, ciphertext FROM secrets WHERE pipeline = ? AND scope = ? AND name = ?');
    const set = this.sql(
      `INSERT INTO secrets (pipeline, scope, name, salt, iv, tag, ciphertext, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (pipeline, scope, name) DO UPDATE SET salt = excluded.salt, iv = excluded.iv, tag = excluded.tag, ciphertext = excluded.ciphertext, updated_at = excluded.updated_at`,
    );
    return {
      get(name: string) {
        const r = get.get(pipeline, scope, name) as { salt: Buffer; iv: Buffer; tag: Buffer; ciphertext: Buffer } | undefined;
        return r ? openSealed(r, requireSecretKey(secretKey)) : undefined;
      },
      set(name: string, value: string) {
        const sealed = seal(value, requireSecretKey(secretKey));
        set.run(pipeline, scope, name, sealed.salt, sealed.iv, sealed.tag, sealed.ciphertext, nowSeconds());
      },
    };
  }
}
