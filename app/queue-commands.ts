/**
 * The commands of a PostgreSQL deployment run by workers: `schedule`, `unschedule`, `enqueue`,
 * `worker` and `workers` (see README "Many customers, several machines").
 */
import { onStopSignal } from './stop-signals.js';
import { Option, type Command } from 'commander';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { resolve } from 'node:path';
import type { ConnectorRegistry } from '../engine/connector/registry.js';
import { LedgersyncError, formatProblem } from '../engine/errors.js';
import { EXIT } from '../engine/exit-codes.js';
import { createLogger, type Logger } from '../engine/log.js';
import { withSnakeCaseKeys } from '../engine/json-keys.js';
import type { QueueOptions } from '../engine/queue/boss.js';
import { RUN_QUEUE, jobFileName, sha256Of, type RunJob } from '../engine/queue/jobs.js';
import type { WorkerMetrics } from '../engine/queue/metrics.js';
import type { RunningWorker } from '../engine/queue/worker.js';
import { statePath } from './state-path.js';

/** pg-boss, cron-parser and the worker load only for the commands that use the queue: every other command starts as fast as before. */
const queueModule = () => import('../engine/queue/boss.js');
const stateModule = () => import('../engine/state/store.js');

/** The pipeline's name and the job fields naming its file, or the file's problems (exit 2). */
async function describePipeline(connectors: ConnectorRegistry, file: string, dir: string): Promise<Omit<RunJob, 'reason'>> {
  const path = resolve(file);
  const { loadPipeline } = await import('../engine/config/load.js');
  const { plan, problems } = await loadPipeline(path, { env: process.env, mode: 'validate', connectorsDir: connectors.descriptorsDir });
  if (!plan) {
    for (const p of problems) process.stderr.write(formatProblem(p) + '\n');
    throw new LedgersyncError('invalid_configuration', 'config', `${file} has problems; nothing was queued`);
  }
  return { pipeline: plan.name, file: jobFileName(path, dir), sha256: sha256Of(readFileSync(path)) };
}

const stateOption = () => new Option('--state <url>', 'the PostgreSQL state (default LEDGERSYNC_STATE)');
const dirOption = () => new Option('--dir <folder>', "the pipeline repository's root on every machine (default: the working directory)");

export function addQueueCommands(program: Command, connectors: ConnectorRegistry): void {
  addScheduleCommand(program, connectors);
  addUnscheduleCommand(program);
  addEnqueueCommand(program, connectors);
  addWorkerCommand(program, connectors);
  addWorkersCommand(program);
}

function addScheduleCommand(program: Command, connectors: ConnectorRegistry): void {
  program
    .command('schedule')
    .description('register pipelines to run on a cron schedule by the workers (again after changing a pipeline file: jobs carry its version)')
    .argument('<pipelines...>', 'pipeline YAML files')
    .requiredOption('--cron <expression>', "when to run: five fields, e.g. '*/15 * * * *' (six with seconds first)")
    .option('--tz <zone>', 'the time zone the cron is read in', 'UTC')
    .addOption(dirOption())
    .addOption(stateOption())
    .action(async (files: string[], opts: ScheduleCommandOptions) => {
      await schedulePipelines(connectors, files, opts);
      process.exitCode = EXIT.ok;
    });
}

interface ScheduleCommandOptions {
  cron: string;
  tz: string;
  dir?: string;
  state?: string;
}

/** Saves each pipeline's schedule, then queues its next slot (the workers seed the ones after). */
async function schedulePipelines(connectors: ConnectorRegistry, files: readonly string[], opts: ScheduleCommandOptions): Promise<void> {
  const { openQueue, requirePostgresState } = await queueModule();
  const { saveSchedule, slotJob } = await import('../engine/queue/schedules.js');
  const url = statePath(opts.state);
  requirePostgresState(url, 'schedule');
  const dir = resolve(opts.dir ?? '.');
  const described = [];
  for (const file of files) described.push(await describePipeline(connectors, file, dir));
  const { StateStore } = await stateModule();
  const store = StateStore.open(url);
  try {
    for (const d of described) saveSchedule(store, { ...d, cron: opts.cron, timezone: opts.tz });
  } finally {
    store.close();
  }
  const queue = await openQueue(url, { supervise: false });
  try {
    for (const d of described) {
      const job = slotJob({ ...d, cron: opts.cron, timezone: opts.tz, updatedAt: 0 }, new Date());
      await queue.boss.send(RUN_QUEUE, job.data as unknown as object, { id: job.id, startAfter: job.startAfter });
      process.stdout.write(`scheduled ${d.pipeline} (${d.file}) '${opts.cron}' ${opts.tz}: next run ${job.startAfter.toISOString()}\n`);
    }
  } finally {
    await queue.close();
  }
}

function addUnscheduleCommand(program: Command): void {
  program
    .command('unschedule')
    .description('stop running pipelines on their schedule (queued slots are skipped by the workers)')
    .argument('<pipelines...>', "pipeline names (their name:), as 'ledgersync workers' lists them")
    .addOption(stateOption())
    .action(async (names: string[], opts: { state?: string }) => {
      const { requirePostgresState } = await queueModule();
      const { removeSchedule } = await import('../engine/queue/schedules.js');
      const url = statePath(opts.state);
      requirePostgresState(url, 'unschedule');
      const { StateStore } = await stateModule();
      const store = StateStore.open(url);
      try {
        for (const name of names) process.stdout.write(removeSchedule(store, name) ? `unscheduled ${name}\n` : `${name} was not scheduled\n`);
      } finally {
        store.close();
      }
      process.exitCode = EXIT.ok;
    });
}

function addEnqueueCommand(program: Command, connectors: ConnectorRegistry): void {
  program
    .command('enqueue')
    .description('queue one run of a pipeline now; a worker runs it (after the run in progress, if any: runs of a pipeline never overlap)')
    .argument('<pipeline>', 'pipeline YAML file')
    .addOption(dirOption())
    .addOption(stateOption())
    .option('--json', 'print {job, pipeline, file, sha256}', false)
    .action(async (file: string, opts: { dir?: string; state?: string; json: boolean }) => {
      const { openQueue, requirePostgresState } = await queueModule();
      const url = statePath(opts.state);
      requirePostgresState(url, 'enqueue');
      const d = await describePipeline(connectors, file, resolve(opts.dir ?? '.'));
      const queue = await openQueue(url, { supervise: false });
      try {
        const id = await queue.boss.send(RUN_QUEUE, { ...d, reason: 'enqueue' } satisfies RunJob);
        process.stdout.write(opts.json ? JSON.stringify({ job: id, ...d }) + '\n' : `queued a run of ${d.pipeline} (${d.file}) as job ${id}\n`);
      } finally {
        await queue.close();
      }
      process.exitCode = EXIT.ok;
    });
}

function addWorkerCommand(program: Command, connectors: ConnectorRegistry): void {
  program
    .command('worker')
    .description('run queued and scheduled pipeline runs until SIGTERM/SIGINT, then finish or safely abandon the current ones and exit 0')
    .option('--concurrency <n>', 'runs at once', '1')
    .addOption(dirOption())
    .addOption(stateOption())
    .option('--metrics-port <port>', 'serve Prometheus text on http://<host>:<port>/metrics')
    .option('--metrics-host <host>', 'address /metrics listens on', '127.0.0.1')
    .option('--poll-seconds <s>', 'how often an idle worker asks for a job (≥ 0.5)', '2')
    .option('--grace-seconds <s>', 'on SIGTERM, how long running jobs may finish before they are aborted (they resume elsewhere)', '20')
    .option('--job-timeout <s>', "after how long a job whose worker vanished is given to another worker (the lock's lease still keeps runs apart)")
    .action(async (opts: WorkerCommandOptions) => {
      await runWorkerUntilSignal(connectors, opts);
      process.exitCode = EXIT.ok;
    });
}

interface WorkerCommandOptions {
  concurrency: string;
  dir?: string;
  state?: string;
  metricsPort?: string;
  metricsHost: string;
  pollSeconds: string;
  graceSeconds: string;
  jobTimeout?: string;
}

/** Starts a worker (and its /metrics), runs jobs until SIGTERM or SIGINT, then stops it. */
async function runWorkerUntilSignal(connectors: ConnectorRegistry, opts: WorkerCommandOptions): Promise<void> {
  const { requirePostgresState } = await queueModule();
  const { startWorker } = await import('../engine/queue/worker.js');
  const { rearmIntervalMs } = await import('../engine/queue/webhook-rearm.js');
  const url = statePath(opts.state);
  requirePostgresState(url, 'worker');
  const rearmEveryMs = rearmIntervalMs();
  const concurrency = Math.floor(numberOption(opts.concurrency, 'concurrency', 1));
  const log = createLogger({ json: true });
  const { WorkerMetrics } = await import('../engine/queue/metrics.js');
  const metrics = new WorkerMetrics();
  const worker = await startWorker({
    stateUrl: url,
    connectors,
    dir: resolve(opts.dir ?? '.'),
    concurrency,
    pollingIntervalSeconds: numberOption(opts.pollSeconds, 'poll-seconds', 0.5),
    graceMs: numberOption(opts.graceSeconds, 'grace-seconds', 0) * 1000,
    queue: queueOptionsOf(opts, concurrency),
    rearmIntervalMs: rearmEveryMs,
    log,
    metrics,
    onJob: (event) => process.stdout.write(JSON.stringify(event) + '\n'),
  });
  const server = opts.metricsPort === undefined ? undefined : await serveWorkerMetrics(metrics, worker, opts.metricsHost, opts.metricsPort, log);
  log.info(`worker ${process.pid} started: ${concurrency} at a time`);
  await stopSignal();
  log.info('stopping: no new jobs; running ones finish or are abandoned to resume elsewhere');
  await worker.stop();
  server?.close();
  log.info('stopped');
}

function numberOption(text: string, name: string, min: number): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new LedgersyncError('invalid_arguments', 'config', `--${name} must be a number ≥ ${min}, got '${text}'`);
  return n;
}

/** The job timeout from the command line; maintenance and retry delay from the environment (tests shorten them); a connection per job, up to 4, besides pg-boss's own. */
function queueOptionsOf(opts: WorkerCommandOptions, concurrency: number): QueueOptions {
  const env = process.env;
  return {
    ...(opts.jobTimeout !== undefined ? { jobTimeoutSeconds: Math.floor(numberOption(opts.jobTimeout, 'job-timeout', 1)) } : {}),
    ...(env['LEDGERSYNC_QUEUE_MAINTENANCE_SECONDS'] ? { maintenanceIntervalSeconds: Number(env['LEDGERSYNC_QUEUE_MAINTENANCE_SECONDS']) } : {}),
    ...(env['LEDGERSYNC_QUEUE_RETRY_DELAY_SECONDS'] ? { retryDelaySeconds: Number(env['LEDGERSYNC_QUEUE_RETRY_DELAY_SECONDS']) } : {}),
    maxConnections: 2 + Math.min(concurrency, 4),
  };
}

async function serveWorkerMetrics(metrics: WorkerMetrics, worker: RunningWorker, host: string, port: string, log: Logger): Promise<Server> {
  const { serveMetrics } = await import('../engine/queue/metrics.js');
  const served = await serveMetrics(metrics, () => worker.queue.depth(), host, Math.floor(numberOption(port, 'metrics-port', 0)));
  log.info(`metrics on http://${host}:${served.port}/metrics`);
  return served.server;
}

/** Resolves on the first SIGTERM or SIGINT. */
function stopSignal(): Promise<void> {
  return new Promise<void>((resolveStop) => onStopSignal(() => resolveStop()));
}

function addWorkersCommand(program: Command): void {
  program
    .command('workers')
    .description('every pipeline of the deployment: schedule, next and last run, outcome, dead letters, which worker holds its lock; and the queue')
    .addOption(stateOption())
    .option('--json', 'print {pipelines, queue} as JSON', false)
    .action(async (opts: { state?: string; json: boolean }) => {
      const { requirePostgresState } = await queueModule();
      const { formatOverview, overview } = await import('../engine/queue/overview.js');
      const url = statePath(opts.state);
      requirePostgresState(url, 'workers');
      const { StateStore } = await stateModule();
      const store = StateStore.open(url);
      try {
        const { parseStateUrl } = await import('../engine/state/postgres-driver.js');
        const o = overview(store, `${parseStateUrl(url).schema}_queue`);
        process.stdout.write(opts.json ? JSON.stringify(withSnakeCaseKeys(o)) + '\n' : formatOverview(o));
      } finally {
        store.close();
      }
      process.exitCode = EXIT.ok;
    });
}
