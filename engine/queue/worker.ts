/**
 * `ledgersync worker`: takes run jobs from the queue, N at a time, and runs each pipeline in this
 * process against the shared PostgreSQL state. The run lock keeps one run per pipeline across all
 * workers, `enqueue` and `run`; a worker that dies leaves its job to pg-boss's expiry and its lock
 * to the lease's, after which another worker runs the job again from the last checkpoint (the ledger
 * keeps it from writing anything twice). It also seeds the next slot of every schedule.
 */
import { hostname } from 'node:os';
import type PgBoss from 'pg-boss';
import type { ConnectorRegistry } from '../connector/registry.js';
import { LedgersyncError, asLedgersyncError } from '../errors.js';
import type { Logger } from '../log.js';
import { silentProgress } from '../run/progress.js';
import { runPipeline, type RunSummary } from '../run/runner.js';
import { StateStore } from '../state/store.js';
import { keepIdleStateConnections } from '../state/postgres-driver.js';
import { openQueue, type OpenQueue, type QueueOptions } from './boss.js';
import { RUN_QUEUE, verifyJobFile, type RunJob } from './jobs.js';
import { countingRateLimits, type WorkerMetrics } from './metrics.js';
import { listSchedules, slotJob, stillScheduled, type Schedule } from './schedules.js';

export interface WorkerOptions {
  /** The PostgreSQL state (and queue) URL. */
  stateUrl: string;
  connectors: ConnectorRegistry;
  /** The folder jobs' pipeline files are relative to. */
  dir: string;
  /** Jobs run at once. Default 1. */
  concurrency?: number;
  /** How often an idle worker asks for a job. Default 2 s (pg-boss's least is 0.5). */
  pollingIntervalSeconds?: number;
  /** How often schedules are re-read and their next slots seeded. Default 1000 ms. */
  seedIntervalMs?: number;
  /** On stop, how long running jobs may go on before they are aborted. Default 20 s. */
  graceMs?: number;
  queue?: QueueOptions;
  log: Logger;
  metrics: WorkerMetrics;
  /** One call per job this worker finished or refused (the CLI prints it as a JSON line). */
  onJob?: (event: JobEvent) => void;
}

export interface JobEvent {
  event: 'job';
  id: string;
  pipeline: string;
  reason: string;
  slot?: string;
  worker: string;
  retry: number;
  startedAt: string;
  finishedAt: string;
  /** success, partial, failed, locked, invalid, refused, unscheduled, abandoned. */
  status: string;
  exitCode?: number;
  runId?: string;
  error?: { code: string; message: string };
}

export interface RunningWorker {
  queue: OpenQueue;
  /** Stops taking jobs, lets running ones finish for the grace period, aborts the rest (they resume elsewhere), closes. */
  stop(): Promise<void>;
}

const WORKER = `${hostname()}:${process.pid}`;

function isRunJob(data: unknown): data is RunJob {
  const d = data as Partial<RunJob> | null;
  return !!d && typeof d.pipeline === 'string' && typeof d.file === 'string' && typeof d.sha256 === 'string' && typeof d.reason === 'string';
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { log, metrics } = options;
  // Every job opens the state: keep a connection per concurrent job instead of a new one each time.
  keepIdleStateConnections((options.concurrency ?? 1) + 1);
  const queue = await openQueue(options.stateUrl, options.queue);
  const { boss } = queue;
  const abort = new AbortController();
  const running = new Set<Promise<unknown>>();
  let stopping = false;

  // Schedules: read from the state database, the next slot of each sent once per change.
  const scheduleStore = StateStore.open(options.stateUrl);
  let schedules: Schedule[] = [];
  const seeded = new Map<string, string>();
  const seed = async () => {
    try {
      schedules = listSchedules(scheduleStore);
      const now = new Date();
      for (const schedule of schedules) {
        const job = slotJob(schedule, now);
        if (seeded.get(schedule.pipeline) === job.id) continue;
        await boss.send(RUN_QUEUE, job.data as unknown as object, { id: job.id, startAfter: job.startAfter });
        seeded.set(schedule.pipeline, job.id);
      }
    } catch (error) {
      log.warn(`cannot seed schedules: ${asLedgersyncError(error).message}`);
    }
  };
  await seed();
  let seeding = false;
  const seeder = setInterval(() => {
    if (seeding || stopping) return;
    seeding = true;
    void seed().finally(() => (seeding = false));
  }, options.seedIntervalMs ?? 1000);

  const handle = async ([job]: Array<PgBoss.JobWithMetadata<unknown>>): Promise<unknown> => {
    if (!job) return undefined;
    const startedAt = new Date();
    const data = job.data;
    const report = (status: string, extra: Partial<JobEvent> = {}) =>
      options.onJob?.({
        event: 'job',
        id: job.id,
        pipeline: isRunJob(data) ? data.pipeline : '?',
        reason: isRunJob(data) ? data.reason : '?',
        ...(isRunJob(data) && data.slot ? { slot: data.slot } : {}),
        worker: WORKER,
        retry: job.retryCount,
        startedAt: startedAt.toISOString(),
        finishedAt: new Date().toISOString(),
        status,
        ...extra,
      });
    if (!isRunJob(data)) {
      metrics.refused.add({ reason: 'invalid_job' });
      report('refused', { error: { code: 'invalid_job', message: 'the job carries no pipeline, file and sha256' } });
      return { refused: 'invalid_job' };
    }
    // A schedule saved within the last second may not be in this worker's copy yet: read it again before skipping.
    if (data.reason === 'schedule' && !stillScheduled(schedules, data)) schedules = listSchedules(scheduleStore);
    if (data.reason === 'schedule' && !stillScheduled(schedules, data)) {
      metrics.refused.add({ reason: 'unscheduled' });
      report('unscheduled');
      return { skipped: 'unscheduled' };
    }
    let pipelinePath: string;
    try {
      pipelinePath = verifyJobFile(data, options.dir);
    } catch (error) {
      const e = asLedgersyncError(error);
      metrics.refused.add({ reason: e.code });
      log.warn(`job ${job.id}: ${e.message}`);
      report('refused', { error: { code: e.code, message: e.message } });
      throw e; // failed: pg-boss retries it, maybe on a worker that has the version
    }
    metrics.busy.add({}, 1);
    let summary: RunSummary;
    try {
      summary = await runPipeline({
        connectors: options.connectors,
        pipelinePath,
        statePath: options.stateUrl,
        log: countingRateLimits(log.child(data.pipeline), metrics, data.pipeline),
        progress: silentProgress,
        signal: abort.signal,
      });
    } finally {
      metrics.busy.add({}, -1);
      metrics.runSeconds.add({ pipeline: data.pipeline }, (Date.now() - startedAt.getTime()) / 1000);
    }
    const abandoned = stopping && summary.error?.code === 'run_aborted';
    const status = abandoned ? 'abandoned' : summary.status;
    metrics.runs.add({ pipeline: data.pipeline, outcome: status });
    for (const [stream, counts] of Object.entries(summary.streams)) {
      for (const result of ['read', 'created', 'updated', 'skipped', 'failed'] as const) {
        if (counts[result]) metrics.records.add({ pipeline: data.pipeline, stream, result }, counts[result]);
      }
    }
    if (summary.error && summary.status !== 'locked') metrics.failures.add({ pipeline: data.pipeline, code: summary.error.code });
    report(status, {
      exitCode: summary.exitCode,
      ...(summary.runId ? { runId: summary.runId } : {}),
      ...(summary.error ? { error: { code: summary.error.code, message: summary.error.message } } : {}),
    });
    // Locked (another run of the pipeline holds it), transient (state, network) or abandoned: fail,
    // so pg-boss gives the job again after its retry delay. A config error or records in the
    // dead-letter table will not get better by retrying: the job is done, the run says what failed.
    if (abandoned) {
      // Failed here, not by pg-boss after the handler returns: the queue's pool closes as this worker stops.
      await boss.fail(RUN_QUEUE, job.id, { abandoned: true, runId: summary.runId });
      return undefined;
    }
    if (summary.exitCode === 3 || summary.exitCode === 4) {
      throw new LedgersyncError(summary.error?.code === 'run_locked' ? 'run_locked' : 'run_aborted', 'transient', summary.error?.message ?? summary.status);
    }
    return { runId: summary.runId, status: summary.status, exitCode: summary.exitCode };
  };

  const tracked = async (jobs: Array<PgBoss.JobWithMetadata<unknown>>) => {
    const promise = handle(jobs);
    running.add(promise);
    try {
      return await promise;
    } finally {
      running.delete(promise);
    }
  };

  const concurrency = options.concurrency ?? 1;
  const workerIds: string[] = [];
  for (let i = 0; i < concurrency; i++) {
    workerIds.push(
      await boss.work<unknown>(RUN_QUEUE, { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 }, tracked),
    );
  }

  return {
    queue,
    async stop() {
      if (stopping) return;
      stopping = true;
      clearInterval(seeder);
      for (const id of workerIds) await boss.offWork({ id });
      const grace = options.graceMs ?? 20_000;
      if (running.size) {
        const timer = new Promise((resolve) => setTimeout(resolve, grace).unref());
        await Promise.race([Promise.allSettled([...running]), timer]);
      }
      if (running.size) abort.abort(new Error('worker stopping'));
      await Promise.allSettled([...running]);
      await queue.close();
      scheduleStore.close();
    },
  };
}
