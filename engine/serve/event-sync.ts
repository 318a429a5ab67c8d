/**
 * What a batch of queued webhook events does, wherever it runs: `ledgersync serve`'s own drain
 * (SQLite state) and a queue worker's `webhook` job (PostgreSQL state) both call
 * `syncEventsUnderLock`. Under the pipeline's run lock, every event is fetched again from the
 * source (an id the source does not know is dropped), the records it names are fetched by id and
 * written through the same streams, ledger and audit trail as a scheduled run. An event is marked
 * done only after its records' outcomes are in the ledger; a process stopped in between processes
 * it again, and the ledger drops what was written.
 */
import { setMaxListeners } from 'node:events';
import { LedgersyncError, asLedgersyncError, errorSummary } from '../errors.js';
import { exitCodeFor } from '../exit-codes.js';
import type { Logger } from '../log.js';
import type { Plan } from '../config/plan.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { WaitingWork } from '../connector/types.js';
import type { SourceEvent } from '../connector/webhook.js';
import { leaseLostError } from '../state/lease.js';
import type { StateStore } from '../state/store.js';
import type { QueuedEvent } from '../state/webhook-queue.js';
import { tookOverMessage, withRunLockOn, type RunLockResult } from '../run/lifecycle.js';
import { RecordSync } from '../run/record-sync.js';
import type { StreamCounts } from '../run/progress.js';
import { recordOutcomes, type RecordOutcome } from '../run/record-outcome.js';

export interface EventSyncOptions {
  plan: Plan;
  connectors: ConnectorRegistry;
  state: StateStore;
  log: Logger;
  /** Stops the writes in flight; the events left are queued again at once (a lost lease stops them too, but they wait for their back-off). */
  signal: AbortSignal;
  /** LEDGERSYNC_SECRET_KEY for the sink's stored tokens. */
  secretKey: string | undefined;
  /** Wait before the n-th attempt of an event that failed (n ≥ 2). Default 5 s doubling, at most 10 min. */
  retryDelayMs?: ((attempt: number) => number) | undefined;
}

/** Stream counts of the streams the events touched. */
export type EventCounts = Record<string, StreamCounts>;

/** What a drain did: the counts of the streams it touched, and the work its sink keeps waiting for a person. */
export interface EventSyncResult {
  counts: EventCounts;
  waiting: readonly WaitingWork[];
}

const defaultRetryDelay = (attempt: number) => Math.min(5_000 * 2 ** Math.max(0, attempt - 2), 600_000);

/**
 * One short run: the events, under the pipeline's run lock (the lock of scheduled runs, `run` and
 * queue workers alike), recorded in the runs table like any run. `locked` when another run holds it:
 * the events stay as they are, for the caller to try again.
 */
export async function syncEventsUnderLock(options: EventSyncOptions, due: readonly QueuedEvent[]): Promise<RunLockResult<EventSyncResult>> {
  const { plan, state, log } = options;
  return withRunLockOn(state, plan.name, async ({ runId, tookOver }) => {
    if (tookOver) log.warn(tookOverMessage(plan.name, tookOver));
    const drain = drainSignal(options.signal, state, plan.name, runId);
    try {
      const { counts, waiting } = await new EventBatch(options, runId, drain.signal).process(due);
      // Work the sink keeps in retry (a period journal a locked period refused) counts like a dead letter, as in a run.
      const failed = Object.values(counts).reduce((n, c) => n + c.failed, 0) + waiting.length;
      const exitCode = exitCodeFor({ failedRecords: failed });
      return {
        result: { counts, waiting },
        // Stream counts, as a run records them, so that `ledgersync status` adds them up the same way.
        outcome: { status: failed ? 'partial' : 'success', exitCode, counts },
      };
    } finally {
      drain.end();
    }
  });
}

/**
 * The drain's own signal, as a run has: aborted by the caller's stop, and by the loss of the run's
 * lease (taken over, released by `unlock --force`, or not renewed for as long as it lasts) with
 * `run_lease_lost`, so that no write goes on, or is retried, without the lock.
 */
function drainSignal(stop: AbortSignal, state: StateStore, pipeline: string, runId: string): { signal: AbortSignal; end(): void } {
  const controller = new AbortController();
  // Every request in flight and every wait listens to it, as many at once as the connections allow.
  setMaxListeners(256, controller.signal);
  const forwardStop = () => controller.abort(stop.reason);
  if (stop.aborted) forwardStop();
  else stop.addEventListener('abort', forwardStop, { once: true });
  state.whenLeaseLost(pipeline, () => controller.abort(leaseLostError(pipeline, runId)));
  return {
    signal: controller.signal,
    end: () => {
      stop.removeEventListener('abort', forwardStop);
      if (!controller.signal.aborted) controller.abort(new Error('the drain has ended'));
    },
  };
}

function describeOutcome(r: RecordOutcome): string {
  const what = `${r.stream} ${r.sourceId}`;
  if (r.outcome === 'not_found') return `${what} not returned by the source (deleted, or outside what the stream reads)`;
  if (r.outcome === 'failed') return `${what} failed (${r.error?.code ?? 'error'}: dead-lettered, retried by the next run)`;
  return `${what} ${r.outcome}${r.targetIds.length ? ` → ${r.targetIds.join(', ')}` : ''}`;
}

class EventBatch {
  constructor(
    private readonly options: EventSyncOptions,
    private readonly runId: string,
    /** The drain's signal: the caller's stop or the lost lease. */
    private readonly signal: AbortSignal,
  ) {}

  async process(due: readonly QueuedEvent[]): Promise<EventSyncResult> {
    const { plan, state, log } = this.options;
    const { runId } = this;
    const pending = new Map(due.map((q) => [q.eventId, q]));
    state.abandonPendingOperations(plan.name, runId);
    state.webhooks.markProcessing(plan.name, [...pending.keys()], runId);
    let open: RecordSync | undefined;
    try {
      const sync = await RecordSync.open({
        plan,
        connectors: this.options.connectors,
        state,
        runId,
        log,
        signal: this.signal,
        now: () => Math.floor(Date.now() / 1000),
        secretKey: this.options.secretKey,
      });
      open = sync;
      const events: SourceEvent[] = [];
      for (const queued of due) {
        let event: SourceEvent | undefined;
        try {
          event = await sync.fetchEvent(queued.eventId);
        } catch (thrown) {
          const error = asLedgersyncError(thrown);
          // An answer of an unexpected shape concerns this event alone: it waits for its retry and the
          // others go on. Anything else (network, credentials) would fail them all: the drain stops.
          if (error.code !== 'unexpected_response' || this.signal.aborted) throw thrown;
          log.warn(`${plan.name}: event ${queued.eventId} could not be read (${error.message}); it is tried again later`);
          this.retryLater(new Map([[queued.eventId, queued]]), error);
          pending.delete(queued.eventId);
          continue;
        }
        if (event) {
          events.push(event);
          continue;
        }
        log.warn(`${plan.name}: event ${queued.eventId} is unknown to the source: dropped, nothing written`);
        state.webhooks.finish(plan.name, queued.eventId, 'dropped', { reason: 'unknown to the source' }, Date.now());
        pending.delete(queued.eventId);
      }
      const synced = await this.syncReferences(sync, events);
      const waiting = await sync.finish();
      for (const event of events) {
        const records = synced.get(event.id) ?? [];
        log.info(
          `${plan.name}: event ${event.id} (${event.type}): ${records.length ? records.map(describeOutcome).join('; ') : 'names nothing this pipeline reads'}`,
        );
        state.webhooks.finish(
          plan.name,
          event.id,
          'done',
          {
            type: event.type,
            records: records.map((r) => ({
              stream: r.stream,
              id: r.sourceId,
              outcome: r.outcome,
              target_ids: r.targetIds,
              ...(r.error ? { error: r.error } : {}),
            })),
          },
          Date.now(),
        );
        pending.delete(event.id);
      }
      return { counts: Object.fromEntries(Object.entries(sync.counts).filter(([, c]) => c.read > 0 || c.failed > 0)), waiting };
    } catch (thrown) {
      await open?.abandon();
      // What stopped the drain (a lost lease) is its error, whatever the request it cut off threw.
      const lost = this.signal.aborted && this.signal.reason instanceof LedgersyncError ? this.signal.reason : undefined;
      this.putBack(pending, lost ?? asLedgersyncError(thrown));
      throw lost ?? thrown;
    }
  }

  /** Back to the queue after a failed drain; when even that fails (the state file locked), the events stay `processing` until taken again. */
  private putBack(pending: Map<string, QueuedEvent>, error: LedgersyncError): void {
    try {
      this.retryLater(pending, error);
    } catch (thrown) {
      const { plan, log } = this.options;
      log.error(
        `${plan.name}: the events of the failed drain could not all be put back in the queue (${asLedgersyncError(thrown).message}); those left processing wait until they are taken again`,
      );
    }
  }

  /** Every record the events name, through every stream that reads its endpoint, in pipeline order. */
  private async syncReferences(sync: RecordSync, events: readonly SourceEvent[]): Promise<Map<string, RecordOutcome[]>> {
    const { plan, state } = this.options;
    const { runId } = this;
    const byStream = new Map<string, Map<string, string[]>>();
    for (const event of events) {
      for (const reference of event.references) {
        for (const stream of plan.streams.filter((s) => s.endpoint === reference.endpoint)) {
          const ids = byStream.get(stream.name) ?? new Map<string, string[]>();
          ids.set(reference.id, [...(ids.get(reference.id) ?? []), event.id]);
          byStream.set(stream.name, ids);
        }
      }
    }
    const byEvent = new Map<string, RecordOutcome[]>();
    for (const stream of plan.streams) {
      const ids = byStream.get(stream.name);
      if (!ids) continue;
      const result = await sync.sync(stream, [...ids.keys()], { trigger: (id) => `webhook ${(ids.get(id) ?? []).join(' ')}`.trim() });
      const missing = new Set(result.missing);
      const outcomes = recordOutcomes(
        state,
        plan.name,
        runId,
        stream.name,
        [...ids.keys()].map((id) => ({ sourceId: id, found: !missing.has(id) })),
      );
      for (const outcome of outcomes) {
        for (const eventId of ids.get(outcome.sourceId) ?? []) byEvent.set(eventId, [...(byEvent.get(eventId) ?? []), outcome]);
      }
    }
    return byEvent;
  }

  private retryLater(pending: Map<string, QueuedEvent>, error: LedgersyncError): void {
    const { plan, state } = this.options;
    const delay = this.options.retryDelayMs ?? defaultRetryDelay;
    for (const queued of pending.values()) {
      const attempt = queued.attempts + 1;
      // Stopped by the caller, the events are left for the next start at once; any other failure, a lost lease included, waits its back-off.
      const wait = this.options.signal.aborted ? 0 : delay(attempt + 1);
      state.webhooks.retryLater(plan.name, queued.eventId, this.runId, { ...errorSummary(error) }, Date.now() + wait);
    }
  }
}
