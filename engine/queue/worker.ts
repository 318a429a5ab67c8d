/**
 * `ledgersync worker`: takes run jobs from the queue, N at a time, and runs each pipeline in this
 * process against the shared PostgreSQL state. The run lock keeps one run per pipeline across all
 * workers, `enqueue` and `run`; a worker that dies leaves its job to pg-boss's expiry and its lock
 * to the lease's, after which another worker runs the job again from the last checkpoint (the ledger
 * keeps it from writing anything twice). It also seeds the next slot of every schedule, and gives
 * webhook jobs that used up their retries one more try while their event still waits.
 */
import type { ConnectorRegistry } from '../connector/registry.js';
import type { Logger } from '../log.js';
import { StateStore } from '../state/store.js';
import { keepIdleStateConnections } from '../state/postgres-driver.js';
import { openQueue, type OpenQueue, type QueueOptions } from './boss.js';
import { RUN_QUEUE } from './jobs.js';
import type { WorkerMetrics } from './metrics.js';
import { RunJobHandler, type JobEvent } from './run-job.js';
import { ScheduleSeeder } from './schedule-seeder.js';
import { WebhookRearmer } from './webhook-rearm.js';

export type { JobEvent } from './run-job.js';

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
  /** How often failed webhook jobs whose event still waits get one more try (webhook-rearm.ts). Default 60 s. */
  rearmIntervalMs?: number;
  /** On stop, how long running jobs may go on before they are aborted. Default 20 s. */
  graceMs?: number;
  queue?: QueueOptions;
  log: Logger;
  metrics: WorkerMetrics;
  /** One call per job this worker finished or refused (the CLI prints it as a JSON line). */
  onJob?: (event: JobEvent) => void;
}

export interface RunningWorker {
  queue: OpenQueue;
  /** Stops taking jobs, lets running ones finish for the grace period, aborts the rest (they resume elsewhere), closes. */
  stop(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const concurrency = options.concurrency ?? 1;
  // Every job opens the state: keep a connection per concurrent job instead of a new one each time.
  keepIdleStateConnections(concurrency + 1);
  const queue = await openQueue(options.stateUrl, options.queue);
  const { boss } = queue;
  const jobs = new RunningJobs();
  let stopping = false;
  const schedules = new ScheduleSeeder(StateStore.open(options.stateUrl), boss, options.log);
  await schedules.seed();
  schedules.reseedEvery(options.seedIntervalMs ?? 1000);
  const rearmer = new WebhookRearmer(queue, options.log);
  rearmer.every(options.rearmIntervalMs ?? 60_000);
  const handler = new RunJobHandler({ ...options, boss, schedules, signal: jobs.signal, stopping: () => stopping });
  const workerIds: string[] = [];
  const work = { batchSize: 1, includeMetadata: true, pollingIntervalSeconds: options.pollingIntervalSeconds ?? 2 } as const;
  for (let i = 0; i < concurrency; i++) {
    workerIds.push(await boss.work<unknown>(RUN_QUEUE, work, (batch) => jobs.track(handler.handle(batch))));
  }
  return {
    queue,
    async stop() {
      if (stopping) return;
      stopping = true;
      schedules.stopReseeding();
      await rearmer.stop();
      for (const id of workerIds) await boss.offWork({ id });
      await jobs.finish(options.graceMs ?? 20_000);
      await queue.close();
      schedules.close();
    },
  };
}

/** The jobs this worker is running, so that stopping can wait for them, then abort the rest. */
class RunningJobs {
  private readonly running = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();

  get signal(): AbortSignal {
    return this.abort.signal;
  }

  async track(job: Promise<unknown>): Promise<unknown> {
    this.running.add(job);
    try {
      return await job;
    } finally {
      this.running.delete(job);
    }
  }

  /** Lets the running jobs finish for `graceMs`, then aborts the rest (they resume elsewhere) and waits for them to end. */
  async finish(graceMs: number): Promise<void> {
    if (this.running.size) {
      const timer = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
      await Promise.race([Promise.allSettled([...this.running]), timer]);
    }
    if (this.running.size) this.abort.abort(new Error('worker stopping'));
    await Promise.allSettled([...this.running]);
  }
}
