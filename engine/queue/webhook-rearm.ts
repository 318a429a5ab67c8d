/**
 * Webhook jobs that used up their retries while their event still waits. pg-boss retries a failed
 * job `retryLimit` times (10 × 15 s by default) and then leaves it failed for good, which for a
 * `webhook` job would strand its event in webhook_events as `queued`: a scheduled run of longer than
 * the retries holds the pipeline's lock, or the target is down for a few minutes. Every worker looks
 * for such jobs now and then and gives each one more try (pg-boss's own `retry`, which only takes a
 * job still failed, so two workers re-arming at once re-arm it once). An event that is done or
 * dropped leaves its failed job alone.
 */
import type { Logger } from '../log.js';
import { LedgersyncError, asLedgersyncError } from '../errors.js';
import type { OpenQueue } from './boss.js';
import { RUN_QUEUE } from './jobs.js';

export interface RearmedJob {
  jobId: string;
  pipeline: string;
  eventId: string;
}

/** How often a worker re-arms: `LEDGERSYNC_QUEUE_REARM_SECONDS`, default 60. */
export function rearmIntervalMs(env: NodeJS.ProcessEnv = process.env): number {
  const text = env['LEDGERSYNC_QUEUE_REARM_SECONDS'];
  if (text === undefined || text === '') return 60_000;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds < 0.1) {
    throw new LedgersyncError('invalid_arguments', 'config', `LEDGERSYNC_QUEUE_REARM_SECONDS must be a number of seconds ≥ 0.1, got '${text}'`, {
      fix: 'unset it (60 s) or set e.g. LEDGERSYNC_QUEUE_REARM_SECONDS=300',
    });
  }
  return seconds * 1000;
}

/** Re-arms the failed webhook jobs whose event is still queued (or was being synced by a worker that died), at most `limit` per call. */
export async function rearmStrandedWebhookJobs(queue: OpenQueue, limit = 500): Promise<RearmedJob[]> {
  const { rows } = await queue.boss.getDb().executeSql(
    `SELECT j.id::text AS "jobId", e.pipeline, e.event_id AS "eventId"
       FROM ${queue.schema}.job j
       JOIN ${queue.stateSchema}.webhook_events e ON e.pipeline = j.data->>'pipeline' AND e.event_id = j.data->'event'->>'id'
      WHERE j.name = $1 AND j.state = 'failed' AND j.data->>'reason' = 'webhook' AND e.status IN ('queued', 'processing')
      ORDER BY j.completed_on
      LIMIT $2`,
    [RUN_QUEUE, limit],
  );
  const stranded = rows as RearmedJob[];
  if (stranded.length)
    await queue.boss.retry(
      RUN_QUEUE,
      stranded.map((job) => job.jobId),
    );
  return stranded;
}

/** A worker's periodic re-arming. Never throws: a failure is logged and the next round tries again. */
export class WebhookRearmer {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly queue: OpenQueue,
    private readonly log: Logger,
  ) {}

  async rearm(): Promise<void> {
    try {
      for (const job of await rearmStrandedWebhookJobs(this.queue)) {
        this.log.info(`${job.pipeline}: event ${job.eventId} still waits after its job's retries: one more try (job ${job.jobId})`);
      }
    } catch (error) {
      this.log.warn(`cannot re-arm stranded webhook jobs: ${asLedgersyncError(error).message}`);
    }
  }

  /** Re-arms every `intervalMs`, skipping a round while the last one is still at it. */
  every(intervalMs: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.rearm().finally(() => (this.running = undefined));
    }, intervalMs);
    this.timer.unref();
  }

  /** Stops the rounds and waits for one in progress, so the queue's pool may close after. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
