/**
 * One pipeline's webhook worker: drains the durable queue under the pipeline's run lock, as a short
 * run each time. Every event is fetched again from the source (an id the source does not know is
 * dropped), the records it names are fetched by id and written through the same streams, ledger and
 * audit trail as a scheduled run. An event is marked done only after its records' outcomes are in
 * the ledger; a process stopped in between processes it again, and the ledger drops what was written.
 */
import { asLedgersyncError, errorSummary, type LedgersyncError } from '../errors.js';
import { exitCodeFor } from '../exit-codes.js';
import type { Logger } from '../log.js';
import type { Plan } from '../config/plan.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { SourceEvent } from '../connector/webhook.js';
import type { StateStore } from '../state/store.js';
import type { QueuedEvent } from '../state/webhook-queue.js';
import { withRunLockOn } from '../run/lifecycle.js';
import { RecordSync } from '../run/record-sync.js';
import type { StreamCounts } from '../run/progress.js';
import { recordOutcomes, type RecordOutcome } from '../run/record-outcome.js';

export interface WorkerOptions {
  plan: Plan;
  connectors: ConnectorRegistry;
  state: StateStore;
  log: Logger;
  /** LEDGERSYNC_SECRET_KEY for the sink's stored tokens. */
  secretKey: string | undefined;
  /** Events per drain. Default 50. */
  batchSize?: number;
  /** Wait before trying the run lock again while a scheduled run holds it. Default 1000 ms. */
  lockRetryMs?: number;
  /** Wait before the n-th attempt of an event that failed (n ≥ 2). Default 5 s doubling, at most 10 min. */
  retryDelayMs?: (attempt: number) => number;
}

export interface WorkerStatus {
  lastDrainAt?: string;
  lastError?: string;
  /** A scheduled run holds the lock: the queue waits for it. */
  waitingForLock?: boolean;
}

const defaultRetryDelay = (attempt: number) => Math.min(5_000 * 2 ** Math.max(0, attempt - 2), 600_000);
const IDLE_MS = 30_000;

function describeOutcome(r: RecordOutcome): string {
  const what = `${r.stream} ${r.sourceId}`;
  if (r.outcome === 'not_found') return `${what} not returned by the source (deleted, or outside what the stream reads)`;
  if (r.outcome === 'failed') return `${what} failed (${r.error?.code ?? 'error'}: dead-lettered, retried by the next run)`;
  return `${what} ${r.outcome}${r.targetIds.length ? ` → ${r.targetIds.join(', ')}` : ''}`;
}

export class WebhookWorker {
  readonly status: WorkerStatus = {};
  private readonly controller = new AbortController();
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private running: Promise<void> | undefined;

  constructor(private readonly options: WorkerOptions) {}

  get pipeline(): string {
    return this.options.plan.name;
  }

  start(): void {
    this.running ??= this.loop().catch((error: unknown) => {
      this.status.lastError = asLedgersyncError(error).message;
      this.options.log.error(`${this.pipeline}: the webhook worker stopped: ${this.status.lastError}`);
    });
  }

  /** A new event was queued. */
  wake(): void {
    this.wakeUp?.();
  }

  /** Finishes what is queued and due, then ends (`done()` resolves). */
  stop(): void {
    this.stopping = true;
    this.wake();
  }

  /** Stops the write in flight (a second SIGTERM); what is left stays queued for the next start. */
  abort(): void {
    this.stopping = true;
    this.controller.abort(new Error('stopped'));
    this.wake();
  }

  done(): Promise<void> {
    return this.running ?? Promise.resolve();
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, Math.max(0, ms));
      function finish() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = finish;
    });
  }

  private async loop(): Promise<void> {
    const { state } = this.options;
    while (!this.controller.signal.aborted) {
      const now = Date.now();
      const due = state.webhooks.due(this.pipeline, now, this.options.batchSize ?? 50);
      if (!due.length) {
        if (this.stopping) return;
        const next = state.webhooks.nextAttemptAt(this.pipeline);
        const wait = next === undefined ? IDLE_MS : Math.min(next - now, IDLE_MS);
        this.options.log.debug(`${this.pipeline}: queue empty, next look in ${wait} ms or on a delivery`);
        await this.sleep(wait);
        continue;
      }
      this.options.log.debug(`${this.pipeline}: draining ${due.length} event(s)`);
      const drained = await this.drain(due);
      if (drained === 'locked') await this.sleep(this.options.lockRetryMs ?? 1000);
      if (drained === 'failed') {
        // The events wait for their retry, queued: a stopping process leaves them for the next start,
        // and a failure before they were even marked must not spin.
        if (this.stopping) return;
        await this.sleep(1000);
      }
    }
  }

  /** One short run: the due events, under the run lock. */
  private async drain(due: QueuedEvent[]): Promise<'drained' | 'locked' | 'failed'> {
    const { plan, state, log } = this.options;
    try {
      const result = await withRunLockOn(state, plan.name, async ({ runId }) => {
        const counts = await this.process(due, runId);
        const failed = Object.values(counts).reduce((n, c) => n + c.failed, 0);
        const exitCode = exitCodeFor({ failedRecords: failed });
        return {
          result: counts,
          // Stream counts, as a run records them, so that `ledgersync status` adds them up the same way.
          outcome: { status: failed ? 'partial' : 'success', exitCode, counts },
        };
      });
      if ('locked' in result) {
        if (!this.status.waitingForLock) log.info(`${plan.name}: ${result.locked.message}; the webhook queue waits for it`);
        this.status.waitingForLock = true;
        return 'locked';
      }
      this.status.waitingForLock = false;
      this.status.lastDrainAt = new Date().toISOString();
      delete this.status.lastError;
      return 'drained';
    } catch (error) {
      const e = asLedgersyncError(error);
      this.status.waitingForLock = false;
      this.status.lastError = errorSummary(e).message;
      log.error(`${plan.name}: webhook events could not be synced and stay queued: ${e.actionable}`);
      return 'failed';
    }
  }

  private async process(due: QueuedEvent[], runId: string): Promise<Record<string, StreamCounts>> {
    const { plan, state, log } = this.options;
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
        signal: this.controller.signal,
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
          if (error.code !== 'unexpected_response' || this.controller.signal.aborted) throw thrown;
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
      const synced = await this.syncReferences(sync, events, runId);
      open = undefined;
      await sync.finish();
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
      return Object.fromEntries(Object.entries(sync.counts).filter(([, c]) => c.read > 0 || c.failed > 0));
    } catch (error) {
      await open?.abandon();
      this.retryLater(pending, asLedgersyncError(error));
      throw error;
    }
  }

  /** Every record the events name, through every stream that reads its endpoint, in pipeline order. */
  private async syncReferences(sync: RecordSync, events: readonly SourceEvent[], runId: string): Promise<Map<string, RecordOutcome[]>> {
    const { plan, state } = this.options;
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
      state.webhooks.retryLater(plan.name, queued.eventId, { ...errorSummary(error) }, Date.now() + (this.controller.signal.aborted ? 0 : delay(attempt + 1)));
    }
  }
}
