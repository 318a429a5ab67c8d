/**
 * The only module that touches SQLite: checkpoints, the record ledger, write operations, dead
 * letters, runs, the run lock, a small key/value store and encrypted secrets. WAL mode, one file.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { hostname } from 'node:os';
import { randomUUID } from 'node:crypto';
import { LedgersyncError } from '../errors.js';
import { redact } from '../log.js';
import type { KeyValueStore, LedgerEntry, SecretStore } from '../connector/types.js';
import { MIGRATIONS } from './schema.js';
import { open as openSealed, requireSecretKey, seal } from './crypto.js';
import { AuditTrail } from './audit-trail.js';
import { WebhookQueue } from './webhook-queue.js';

/** The process holding a pipeline's run lock. */
export interface RunLockHolder {
  runId: string;
  pid: number;
  hostname: string;
  /** Unix seconds. */
  since: number;
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
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

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

export class StateStore {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();
  /** One transaction wrapper for the store's life: better-sqlite3 prepares BEGIN/COMMIT per wrapper. */
  private readonly inTransaction: (fn: () => unknown) => unknown;
  /** Every write attempt, chained by hash (engine/state/audit-trail.ts). */
  readonly audit: AuditTrail;
  /** Webhook deliveries waiting to be synced, and every event id ever received (engine/state/webhook-queue.ts). */
  readonly webhooks: WebhookQueue;

  private constructor(path: string, db: Database.Database) {
    this.path = path;
    this.db = db;
    this.inTransaction = db.transaction((fn: () => unknown) => fn());
    const statements = { sql: (text: string) => this.sql(text), transaction: <T>(fn: () => T) => this.transaction(fn) };
    this.audit = new AuditTrail(statements);
    this.webhooks = new WebhookQueue(statements);
  }

  /** Prepared once per SQL text: preparing is far dearer than running on the per-record paths. */
  private sql(text: string): Database.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.db.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  static open(path: string): StateStore {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    let db: Database.Database;
    try {
      db = new Database(path);
    } catch (error) {
      throw new LedgersyncError('state_unreadable', 'config', `cannot open the state file ${path}: ${(error as Error).message}`, {
        fix: 'check the --state path and its permissions',
        cause: error,
      });
    }
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    const version = db.pragma('user_version', { simple: true }) as number;
    for (let i = version; i < MIGRATIONS.length; i++) {
      db.transaction(() => {
        db.exec(MIGRATIONS[i]!);
        db.pragma(`user_version = ${i + 1}`);
      })();
    }
    return new StateStore(path, db);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  transaction<T>(fn: () => T): T {
    return this.inTransaction(fn) as T;
  }

  // ---- runs and the lock ----

  /**
   * Takes the pipeline's run lock and records a new run. Returns who holds the lock when a live
   * process does. A lock left by a process that no longer exists (killed) is taken over.
   */
  beginRun(pipeline: string): { runId: string } | { heldBy: RunLockHolder } {
    const host = hostname();
    return this.transaction(() => {
      const lock = this.sql('SELECT run_id, pid, hostname, acquired_at FROM locks WHERE pipeline = ?').get(pipeline) as
        | { run_id: string; pid: number; hostname: string; acquired_at: number }
        | undefined;
      if (lock) {
        const stale = lock.hostname === host && !isAlive(lock.pid);
        if (!stale) return { heldBy: { runId: lock.run_id, pid: lock.pid, hostname: lock.hostname, since: lock.acquired_at } };
        this.sql("UPDATE runs SET status = 'crashed', finished_at = ? WHERE id = ? AND finished_at IS NULL").run(nowSeconds(), lock.run_id);
        this.sql('DELETE FROM locks WHERE pipeline = ?').run(pipeline);
      }
      const runId = `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomUUID().slice(0, 8)}`;
      const now = nowSeconds();
      this.sql('INSERT INTO locks (pipeline, run_id, pid, hostname, acquired_at) VALUES (?, ?, ?, ?, ?)').run(pipeline, runId, process.pid, host, now);
      this.sql("INSERT INTO runs (id, pipeline, started_at, status, pid, hostname) VALUES (?, ?, ?, 'running', ?, ?)").run(
        runId,
        pipeline,
        now,
        process.pid,
        host,
      );
      return { runId };
    });
  }

  finishRun(pipeline: string, runId: string, status: string, exitCode: number, counts: unknown, error?: unknown): void {
    this.transaction(() => {
      this.sql('UPDATE runs SET finished_at = ?, status = ?, exit_code = ?, counts_json = ?, error_json = ? WHERE id = ?').run(
        nowSeconds(),
        status,
        exitCode,
        JSON.stringify(counts ?? null),
        error === undefined ? null : redact(JSON.stringify(error)),
        runId,
      );
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
    const row = this.sql('SELECT value_json FROM checkpoints WHERE pipeline = ? AND stream = ?').get(pipeline, stream) as { value_json: string } | undefined;
    return row ? JSON.parse(row.value_json) : undefined;
  }

  saveCheckpoint(pipeline: string, stream: string, value: unknown, runId: string): void {
    this.sql(
      `INSERT INTO checkpoints (pipeline, stream, value_json, run_id, updated_at) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (pipeline, stream) DO UPDATE SET value_json = excluded.value_json, run_id = excluded.run_id, updated_at = excluded.updated_at`,
    ).run(pipeline, stream, JSON.stringify(value), runId, nowSeconds());
  }

  listCheckpoints(pipeline: string): Array<{ stream: string; value: unknown; updatedAt: number }> {
    const rows = this.sql('SELECT stream, value_json, updated_at FROM checkpoints WHERE pipeline = ? ORDER BY stream').all(pipeline) as Array<{
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
      'SELECT source_id, source_version, content_hash, target_id, target_version, pending_write, updated_at FROM ledger WHERE pipeline = ? AND stream = ? AND source_id = ?',
    ).get(pipeline, stream, sourceId) as Record<string, unknown> | undefined;
    if (!r) return undefined;
    return {
      sourceId: String(r['source_id']),
      sourceVersion: (r['source_version'] as string | null) ?? null,
      contentHash: (r['content_hash'] as string | null) ?? null,
      targetId: (r['target_id'] as string | null) ?? null,
      targetVersion: (r['target_version'] as string | null) ?? null,
      pendingWrite: Number(r['pending_write']) === 1,
      updatedAt: Number(r['updated_at']),
    };
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
      return writes.map((w) => {
        flag.run(pipeline, w.stream, w.sourceId, now);
        return Number(insertOp.run(runId, pipeline, w.stream, w.sourceId, w.action, now).lastInsertRowid);
      });
    });
  }

  /** After the sink answered: ledger, operations and dead letters in one transaction. */
  finishWrites(pipeline: string, _runId: string, operationIds: readonly number[], outcomes: readonly WriteOutcome[]): void {
    const finishOp = this.sql('UPDATE operations SET status = ?, outcome = ?, target_id = ?, error_json = ?, finished_at = ? WHERE id = ?');
    const upsertLedger = this.sql(
      `INSERT INTO ledger (pipeline, stream, source_id, source_version, content_hash, target_id, target_version, pending_write, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, 0, ?)
       ON CONFLICT (pipeline, stream, source_id) DO UPDATE SET
         source_version = excluded.source_version, content_hash = excluded.content_hash,
         target_id = COALESCE(excluded.target_id, ledger.target_id),
         target_version = COALESCE(excluded.target_version, ledger.target_version),
         pending_write = 0, updated_at = excluded.updated_at`,
    );
    const clearPending = this.sql('UPDATE ledger SET pending_write = 0, updated_at = ? WHERE pipeline = ? AND stream = ? AND source_id = ?');
    const resolveDead = this.sql('DELETE FROM dead_letters WHERE pipeline = ? AND stream = ? AND source_id = ?');
    this.transaction(() => {
      const now = nowSeconds();
      outcomes.forEach((o, i) => {
        const opId = operationIds[i];
        const succeeded = o.status !== 'failed';
        if (opId !== undefined)
          finishOp.run(succeeded ? 'succeeded' : 'failed', o.status, o.targetId ?? null, o.error ? JSON.stringify(o.error) : null, now, opId);
        if (succeeded) {
          upsertLedger.run(pipeline, o.stream, o.sourceId, o.sourceVersion, o.contentHash, o.targetId ?? null, o.targetVersion ?? null, now);
          resolveDead.run(pipeline, o.stream, o.sourceId);
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
      redact(e.message),
      e.fix ? redact(e.fix) : null,
      redact(JSON.stringify(e.details ?? {})),
      runId,
      runId,
      now,
      now,
    );
  }

  resolveDeadLetter(pipeline: string, stream: string, sourceId: string): void {
    this.sql('DELETE FROM dead_letters WHERE pipeline = ? AND stream = ? AND source_id = ?').run(pipeline, stream, sourceId);
  }

  /** Dead letters of a stream not already retried (or written) by this run. */
  deadLettersBefore(pipeline: string, stream: string, runId: string): DeadLetter[] {
    return this.deadLetters(pipeline, stream).filter((d) => d.lastRunId !== runId);
  }

  deadLetters(pipeline: string, stream?: string): DeadLetter[] {
    const rows = (
      stream
        ? this.sql('SELECT * FROM dead_letters WHERE pipeline = ? AND stream = ? ORDER BY updated_at, source_id').all(pipeline, stream)
        : this.sql('SELECT * FROM dead_letters WHERE pipeline = ? ORDER BY stream, updated_at, source_id').all(pipeline)
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
