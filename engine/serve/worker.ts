/**
 * One pipeline's webhook worker in `ledgersync serve` (SQLite state): drains the durable queue under
 * the pipeline's run lock, as a short run each time (engine/serve/event-sync.ts, which a queue
 * worker's `webhook` job runs too). It waits for a scheduled run that holds the lock, and retries a
 * failed event after its back-off. It is the pipeline's only drainer in the process (one `serve` per
 * state file), so between its drains an event still `processing` is one a failed drain could not put
 * back in the queue: the next turn queues it again.
 */
import { asLedgersyncError, errorSummary } from '../errors.js';
import type { Logger } from '../log.js';
import type { Plan } from '../config/plan.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { StateStore } from '../state/store.js';
import type { QueuedEvent } from '../state/webhook-queue.js';
import { syncEventsUnderLock } from './event-sync.js';

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

type Turn = 'stop' | 'idle' | 'drained' | 'locked' | 'failed';

const IDLE_MS = 30_000;
/** Wait before reading the queue again after a failure to read it, or after a failed drain. */
const QUEUE_RETRY_MS = 1000;

export class WebhookWorker {
  readonly status: WorkerStatus = {};
  private readonly controller = new AbortController();
  private stopping = false;
  private wakeUp: (() => void) | undefined;
  private running: Promise<void> | undefined;
  /** A drain failed: events it could not put back in the queue may be left `processing`. */
  private mayHaveLeftProcessing = false;

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
    while (!this.controller.signal.aborted) {
      let next: Turn;
      try {
        next = await this.turn();
      } catch (error) {
        // The queue itself could not be read or written (the state file busy past its timeout, a disk
        // error): the worker waits and looks again, as deliveries keep being queued meanwhile.
        this.status.lastError = asLedgersyncError(error).message;
        this.options.log.warn(
          `${this.pipeline}: the webhook queue could not be read or written (${this.status.lastError}); trying again in ${QUEUE_RETRY_MS / 1000} s`,
        );
        next = 'failed';
      }
      if (next === 'stop') return;
      if (next === 'idle') continue;
      // Events left waiting (for the lock, or for their retry) stay queued: a stopping process leaves
      // them for the next start rather than outwaiting a scheduled run or a back-off.
      if (next !== 'drained' && this.stopping) return;
      if (next === 'locked') await this.sleep(this.options.lockRetryMs ?? 1000);
      if (next === 'failed') await this.sleep(QUEUE_RETRY_MS);
    }
  }

  /** Drains what is due, or sleeps until something may be ('idle'); 'stop' when stopping with nothing due. */
  private async turn(): Promise<Turn> {
    const { state } = this.options;
    if (this.mayHaveLeftProcessing) this.requeueLeftProcessing();
    const now = Date.now();
    const due = state.webhooks.due(this.pipeline, now, this.options.batchSize ?? 50);
    if (!due.length) {
      if (this.stopping) return 'stop';
      const next = state.webhooks.nextAttemptAt(this.pipeline);
      const wait = next === undefined ? IDLE_MS : Math.min(next - now, IDLE_MS);
      this.options.log.debug(`${this.pipeline}: queue empty, next look in ${wait} ms or on a delivery`);
      await this.sleep(wait);
      return 'idle';
    }
    this.options.log.debug(`${this.pipeline}: draining ${due.length} event(s)`);
    return this.drain(due);
  }

  /** Queues again what a failed drain left `processing`; throws while the state cannot be written, and the loop tries again a second later until it can. */
  private requeueLeftProcessing(): void {
    const requeued = this.options.state.webhooks.recover(this.pipeline);
    this.mayHaveLeftProcessing = false;
    if (requeued) this.options.log.info(`${this.pipeline}: ${requeued} event(s) a failed drain left processing are queued again`);
  }

  /** One short run: the due events, under the run lock. */
  private async drain(due: QueuedEvent[]): Promise<'drained' | 'locked' | 'failed'> {
    const { plan, state, log } = this.options;
    try {
      const result = await syncEventsUnderLock(
        {
          plan,
          connectors: this.options.connectors,
          state,
          log,
          signal: this.controller.signal,
          secretKey: this.options.secretKey,
          retryDelayMs: this.options.retryDelayMs,
        },
        due,
      );
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
      this.mayHaveLeftProcessing = true;
      this.status.waitingForLock = false;
      this.status.lastError = errorSummary(e).message;
      log.error(`${plan.name}: webhook events could not be synced: ${e.actionable}; they are tried again`);
      return 'failed';
    }
  }
}
