/**
 * The durable queue of webhook deliveries. An event is stored before its delivery is acknowledged,
 * and its row is kept for good: a second delivery of the same event id is recognised however late
 * it comes. `queued` → `processing` → `done` (its records synced) or `dropped` (the source does not
 * know the event); a transient failure puts it back to `queued` with a time for the next attempt.
 */
import type { StatementSource } from './audit-trail.js';
import { byteOrder } from './part-range.js';

export type WebhookEventStatus = 'queued' | 'processing' | 'done' | 'dropped';

export interface QueuedEvent {
  pipeline: string;
  eventId: string;
  /** The type the delivery claimed (never trusted: the event is fetched again from the source). */
  eventType: string | null;
  /** Unix milliseconds of the first delivery. */
  receivedAt: number;
  deliveries: number;
  attempts: number;
  status: WebhookEventStatus;
  /** Unix milliseconds. */
  nextAttemptAt: number;
  finishedAt: number | null;
  runId: string | null;
  outcome: Record<string, unknown> | null;
  error: Record<string, unknown> | null;
}

export type QueueCounts = Record<WebhookEventStatus, number> & { retrying: number };

function eventOf(row: Record<string, unknown>): QueuedEvent {
  const json = (value: unknown) => (typeof value === 'string' ? (JSON.parse(value) as Record<string, unknown>) : null);
  return {
    pipeline: String(row['pipeline']),
    eventId: String(row['event_id']),
    eventType: row['event_type'] == null ? null : String(row['event_type']),
    receivedAt: Number(row['received_at']),
    deliveries: Number(row['deliveries']),
    attempts: Number(row['attempts']),
    status: String(row['status']) as WebhookEventStatus,
    nextAttemptAt: Number(row['next_attempt_at']),
    finishedAt: row['finished_at'] == null ? null : Number(row['finished_at']),
    runId: row['run_id'] == null ? null : String(row['run_id']),
    outcome: json(row['outcome_json']),
    error: json(row['error_json']),
  };
}

export class WebhookQueue {
  constructor(private readonly db: StatementSource) {}

  /** Stores a delivery (synchronously, before it is acknowledged); a known event id only counts the delivery. */
  enqueue(pipeline: string, eventId: string, eventType: string | undefined, nowMs: number): 'queued' | 'duplicate' {
    return this.db.transaction(() => {
      const inserted = this.db
        .sql(
          `INSERT OR IGNORE INTO webhook_events (pipeline, event_id, event_type, received_at, status, next_attempt_at)
           VALUES (?, ?, ?, ?, 'queued', ?)`,
        )
        .run(pipeline, eventId, eventType ?? null, nowMs, nowMs).changes;
      if (inserted) return 'queued';
      this.db.sql('UPDATE webhook_events SET deliveries = deliveries + 1 WHERE pipeline = ? AND event_id = ?').run(pipeline, eventId);
      return 'duplicate';
    });
  }

  /** Queued events whose time has come, oldest delivery first. */
  due(pipeline: string, nowMs: number, limit: number): QueuedEvent[] {
    const rows = this.db
      .sql(
        `SELECT * FROM webhook_events WHERE pipeline = ? AND status = 'queued' AND next_attempt_at <= ? ORDER BY received_at, ${byteOrder(this.db.dialect, 'event_id')} LIMIT ?`,
      )
      .all(pipeline, nowMs, limit) as Array<Record<string, unknown>>;
    return rows.map(eventOf);
  }

  /** When the earliest queued event may be attempted (unix ms), if any is queued. */
  nextAttemptAt(pipeline: string): number | undefined {
    const row = this.db.sql("SELECT MIN(next_attempt_at) AS at FROM webhook_events WHERE pipeline = ? AND status = 'queued'").get(pipeline) as {
      at: number | null;
    };
    return row.at ?? undefined;
  }

  markProcessing(pipeline: string, eventIds: readonly string[], runId: string): void {
    const update = this.db.sql("UPDATE webhook_events SET status = 'processing', attempts = attempts + 1, run_id = ? WHERE pipeline = ? AND event_id = ?");
    this.db.transaction(() => {
      for (const id of eventIds) update.run(runId, pipeline, id);
    });
  }

  finish(pipeline: string, eventId: string, status: 'done' | 'dropped', outcome: Record<string, unknown>, nowMs: number): void {
    this.db
      .sql('UPDATE webhook_events SET status = ?, outcome_json = ?, error_json = NULL, finished_at = ? WHERE pipeline = ? AND event_id = ?')
      .run(status, JSON.stringify(outcome), nowMs, pipeline, eventId);
  }

  /** Back to the queue after a failure that a later attempt may not have (the source or the target unreachable). */
  /**
   * Puts an event the drain `runId` holds back in the queue. Only while that drain holds it: after a
   * lost lease another run may have taken the event over, or finished it.
   */
  retryLater(pipeline: string, eventId: string, runId: string, error: Record<string, unknown>, atMs: number): void {
    this.db
      .sql(
        "UPDATE webhook_events SET status = 'queued', next_attempt_at = ?, error_json = ? WHERE pipeline = ? AND event_id = ? AND status = 'processing' AND run_id = ?",
      )
      .run(atMs, JSON.stringify(error), pipeline, eventId, runId);
  }

  /**
   * Events left `processing` go back to the queue: by a stopped process (at serve's start), or by a
   * drain that failed and could not put them back (serve's worker, at its next turn). The ledger
   * keeps their records from being written twice.
   */
  recover(pipeline: string): number {
    return this.db.sql("UPDATE webhook_events SET status = 'queued' WHERE pipeline = ? AND status = 'processing'").run(pipeline).changes;
  }

  get(pipeline: string, eventId: string): QueuedEvent | undefined {
    const row = this.db.sql('SELECT * FROM webhook_events WHERE pipeline = ? AND event_id = ?').get(pipeline, eventId) as Record<string, unknown> | undefined;
    return row ? eventOf(row) : undefined;
  }

  all(pipeline: string): QueuedEvent[] {
    return (
      this.db.sql(`SELECT * FROM webhook_events WHERE pipeline = ? ORDER BY received_at, ${byteOrder(this.db.dialect, 'event_id')}`).all(pipeline) as Array<
        Record<string, unknown>
      >
    ).map(eventOf);
  }

  counts(pipeline: string): QueueCounts {
    const counts: QueueCounts = { queued: 0, processing: 0, done: 0, dropped: 0, retrying: 0 };
    const rows = this.db
      .sql('SELECT status, attempts > 0 AS retried, COUNT(*) AS n FROM webhook_events WHERE pipeline = ? GROUP BY status, attempts > 0')
      .all(pipeline) as Array<{ status: WebhookEventStatus; retried: number; n: number }>;
    for (const row of rows) {
      counts[row.status] += row.n;
      if (row.status === 'queued' && row.retried) counts.retrying += row.n;
    }
    return counts;
  }
}
