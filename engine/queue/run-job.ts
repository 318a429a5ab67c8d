/**
 * One run job taken from the queue: checked (a run job, still scheduled, the pipeline file in the
 * job's version), run, counted in the metrics and reported; then settled with pg-boss here: completed,
 * or failed (pg-boss gives it again after its retry delay).
 */
import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import type { ConnectorRegistry } from '../connector/registry.js';
import { asLedgersyncError } from '../errors.js';
import type { Logger } from '../log.js';
import { silentProgress } from '../run/progress.js';
import { runPipeline, type RunSummary } from '../run/runner.js';
import { runWebhookJob, type WebhookJobResult } from './webhook-job.js';
import { RUN_QUEUE, verifyJobFile, type RunJob } from './jobs.js';
import { countingRateLimits, type WorkerMetrics } from './metrics.js';
import type { ScheduleSeeder } from './schedule-seeder.js';

export interface JobEvent {
  event: 'job';
  id: string;
  pipeline: string;
  reason: string;
  slot?: string;
  /** For a webhook job: the event it was sent for. */
  eventId?: string;
  worker: string;
  retry: number;
  startedAt: string;
  finishedAt: string;
  /** success, partial, failed, locked, invalid, refused, unscheduled, abandoned; for a webhook job also already_synced, unknown_event. */
  status: string;
  exitCode?: number;
  runId?: string;
  error?: { code: string; message: string };
}

export interface RunJobOptions {
  connectors: ConnectorRegistry;
  /** The PostgreSQL state URL the pipelines run against. */
  stateUrl: string;
  /** The folder jobs' pipeline files are relative to. */
  dir: string;
  log: Logger;
  metrics: WorkerMetrics;
  /** One call per job finished or refused. */
  onJob?: ((event: JobEvent) => void) | undefined;
  boss: PgBoss;
  schedules: ScheduleSeeder;
  /** Aborts the running pipelines when the worker stops and the grace period is over. */
  signal: AbortSignal;
  /** Whether the worker is stopping: a run aborted then is abandoned, to resume elsewhere. */
  stopping: () => boolean;
}

type Job = PgBoss.JobWithMetadata<unknown>;
type Report = (status: string, extra?: Partial<JobEvent>) => void;

const WORKER = `${hostname()}:${process.pid}`;

export class RunJobHandler {
  constructor(private readonly options: RunJobOptions) {}

  async handle([job]: Job[]): Promise<unknown> {
    if (!job) return undefined;
    const startedAt = new Date();
    const report = jobReporter(job, startedAt, this.options.onJob);
    const { data } = job;
    const { metrics } = this.options;
    if (!isRunJob(data)) {
      metrics.refused.add({ reason: 'invalid_job' });
      report('refused', { error: { code: 'invalid_job', message: 'the job carries no pipeline, file and sha256 (and a webhook job no event id)' } });
      return { refused: 'invalid_job' };
    }
    if (data.reason === 'schedule' && !this.options.schedules.isScheduled(data)) {
      metrics.refused.add({ reason: 'unscheduled' });
      report('unscheduled');
      return { skipped: 'unscheduled' };
    }
    const pipelinePath = this.verifiedFile(job.id, data, report);
    const { summary, skipped } = await this.run(data, pipelinePath, startedAt);
    const abandoned = this.options.stopping() && summary.error?.code === 'run_aborted';
    const status = abandoned ? 'abandoned' : (skipped ?? summary.status);
    countOutcome(metrics, data.pipeline, summary, status);
    report(status, {
      exitCode: summary.exitCode,
      ...(summary.runId ? { runId: summary.runId } : {}),
      ...(summary.error ? { error: { code: summary.error.code, message: summary.error.message } } : {}),
    });
    if (data.reason === 'enqueue' && summary.error?.code === 'run_locked' && !abandoned) return this.requeue(job, data, summary);
    return this.settle(job.id, summary, abandoned);
  }

  /**
   * An enqueued run that found its pipeline locked (a backfill, a long scheduled run) waits for it
   * without spending the job's retries, which would give out after ten (two and a half minutes)
   * and drop a run a person asked for: a copy is sent to start after the retry delay, and this job
   * completes saying so.
   */
  private async requeue(job: Job, data: RunJob, summary: RunSummary): Promise<unknown> {
    const startAfter = new Date(Date.now() + (job.retryDelay || DEFAULT_RETRY_DELAY_SECONDS) * 1000);
    let copy: string | null = null;
    await this.untilStored(job.id, async () => {
      copy = await this.options.boss.send(RUN_QUEUE, data as unknown as object, { startAfter });
    });
    // No copy sent (the database gone for good): the job itself is failed and retried, as before.
    if (!copy) return this.settle(job.id, summary, false);
    const output = { requeued: copy, code: 'run_locked', message: summary.error?.message ?? 'locked', startAfter: startAfter.toISOString() };
    await this.untilStored(job.id, () => this.options.boss.complete(RUN_QUEUE, job.id, output));
    return output;
  }

  /** The pipeline file, in the version the job names; else the job fails (pg-boss retries it, maybe on a worker that has the version). */
  private verifiedFile(jobId: string, data: RunJob, report: Report): string {
    try {
      return verifyJobFile(data, this.options.dir);
    } catch (error) {
      const e = asLedgersyncError(error);
      this.options.metrics.refused.add({ reason: e.code });
      this.options.log.warn(`job ${jobId}: ${e.message}`);
      report('refused', { error: { code: e.code, message: e.message } });
      throw e;
    }
  }

  /** A run of the pipeline, or for a `webhook` job the sync of its event (and of the others due), under the same run lock. */
  private async run(data: RunJob, pipelinePath: string, startedAt: Date): Promise<WebhookJobResult> {
    const { metrics, log } = this.options;
    const jobLog = countingRateLimits(log.child(data.pipeline), metrics, data.pipeline);
    const common = { connectors: this.options.connectors, pipelinePath, log: jobLog, signal: this.options.signal };
    metrics.busy.add({}, 1);
    try {
      if (data.reason === 'webhook' && data.event) return await runWebhookJob({ ...common, stateUrl: this.options.stateUrl, eventId: data.event.id });
      return { summary: await runPipeline({ ...common, statePath: this.options.stateUrl, progress: silentProgress }) };
    } finally {
      metrics.busy.add({}, -1);
      metrics.runSeconds.add({ pipeline: data.pipeline }, (Date.now() - startedAt.getTime()) / 1000);
    }
  }

  /**
   * Locked (another run of the pipeline holds it), transient (state, network) or abandoned: fail,
   * so pg-boss gives the job again after its retry delay. A config error or records in the
   * dead-letter table will not get better by retrying: the job is done, the run says what failed.
   */
  private async settle(jobId: string, summary: RunSummary, abandoned: boolean): Promise<unknown> {
    // Failed here, not by pg-boss after the handler returns: its own call is neither awaited nor
    // caught, so with the database gone at that moment (a restart, the reason the run stopped) the
    // worker would die of an unhandled rejection and the job stay active until its timeout. pg-boss's
    // later `complete` of a job no longer active changes nothing.
    if (abandoned) {
      await this.untilStored(jobId, () => this.options.boss.fail(RUN_QUEUE, jobId, { abandoned: true, runId: summary.runId }));
      return undefined;
    }
    if (summary.exitCode === 3 || summary.exitCode === 4) {
      const code = summary.error?.code === 'run_locked' ? 'run_locked' : 'run_aborted';
      const output = { code, cause: summary.error?.code ?? null, message: summary.error?.message ?? summary.status, runId: summary.runId };
      await this.untilStored(jobId, () => this.options.boss.fail(RUN_QUEUE, jobId, output));
      return undefined;
    }
    const output = { runId: summary.runId, status: summary.status, exitCode: summary.exitCode };
    await this.untilStored(jobId, () => this.options.boss.complete(RUN_QUEUE, jobId, output));
    return output;
  }

  /**
   * Records a job's outcome, trying again every few seconds while the database cannot be reached
   * (at most SETTLE_ATTEMPTS); after that, or once the worker stops, the job is left active and is
   * given again after its timeout, as for a worker that died.
   */
  private async untilStored(jobId: string, store: () => Promise<unknown>): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await store();
        return;
      } catch (error) {
        const reason = asLedgersyncError(error).message;
        if (attempt >= SETTLE_ATTEMPTS || this.options.stopping()) {
          this.options.log.error(`job ${jobId}: its outcome could not be recorded (${reason}); it is given again after its timeout`);
          return;
        }
        if (attempt === 1) this.options.log.warn(`job ${jobId}: its outcome could not be recorded (${reason}); trying again every ${SETTLE_RETRY_MS / 1000} s`);
        await new Promise((resolve) => setTimeout(resolve, SETTLE_RETRY_MS));
      }
    }
  }
}

/** Tries to record a job's outcome while the database is unreachable (two minutes at SETTLE_RETRY_MS). */
const SETTLE_ATTEMPTS = 60;
const SETTLE_RETRY_MS = 2000;
/** The queue's default retry delay, for a job that does not carry its own. */
const DEFAULT_RETRY_DELAY_SECONDS = 15;

function isRunJob(data: unknown): data is RunJob {
  const d = data as Partial<RunJob> | null;
  if (!d || typeof d.pipeline !== 'string' || typeof d.file !== 'string' || typeof d.sha256 !== 'string' || typeof d.reason !== 'string') return false;
  return d.reason !== 'webhook' || typeof d.event?.id === 'string';
}

/** Reports the job's end to `onJob`, with what the job says of itself (`?` when it is no run job). */
function jobReporter(job: Job, startedAt: Date, onJob: RunJobOptions['onJob']): Report {
  const data = job.data;
  return (status, extra = {}) =>
    onJob?.({
      event: 'job',
      id: job.id,
      pipeline: isRunJob(data) ? data.pipeline : '?',
      reason: isRunJob(data) ? data.reason : '?',
      ...(isRunJob(data) && data.slot ? { slot: data.slot } : {}),
      ...(isRunJob(data) && data.event ? { eventId: data.event.id } : {}),
      worker: WORKER,
      retry: job.retryCount,
      startedAt: startedAt.toISOString(),
      finishedAt: new Date().toISOString(),
      status,
      ...extra,
    });
}

/** The run's outcome, its records per stream and result, and its error code in the worker's metrics. */
function countOutcome(metrics: WorkerMetrics, pipeline: string, summary: RunSummary, status: string): void {
  metrics.runs.add({ pipeline, outcome: status });
  for (const [stream, counts] of Object.entries(summary.streams)) {
    for (const result of ['read', 'created', 'updated', 'skipped', 'failed'] as const) {
      if (counts[result]) metrics.records.add({ pipeline, stream, result }, counts[result]);
    }
  }
  if (summary.error && summary.status !== 'locked') metrics.failures.add({ pipeline, code: summary.error.code });
}
