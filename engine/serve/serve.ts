/**
 * `ledgersync serve`: one HTTP endpoint per pipeline for its source's webhooks, a durable queue in
 * the state, and one worker per pipeline that syncs what the events name. With PostgreSQL state
 * the events go to the job queue instead (queue-handoff.ts), and the queue's workers sync them.
 * `stop()` (SIGTERM) refuses new deliveries with 503, lets every worker finish the events that are
 * due, then closes.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { ConfigError, LedgersyncError, asLedgersyncError } from '../errors.js';
import { createLogger, type Logger } from '../log.js';
import { loadPipeline } from '../config/load.js';
import type { Plan } from '../config/plan.js';
import { connectorModule, type ConnectorRegistry } from '../connector/registry.js';
import type { WebhookReceiver } from '../connector/webhook.js';
import { closeHttpAgent } from '../http/connection.js';
import { isPostgresUrl } from '../state/driver.js';
import { StateStore } from '../state/store.js';
import { QueueHandoff } from './queue-handoff.js';
import { createWebhookServer } from './receiver.js';
import { webhookSecretOf } from './secret.js';
import { WebhookWorker, type WorkerOptions } from './worker.js';

/** How long storing a delivery waits for another writer's lock before answering 503. */
const INTAKE_BUSY_TIMEOUT_MS = 250;
/** A stop's time to drain before it stops the workers after their request in flight. */
const STOP_GRACE_MS = 20_000;

export interface ServeOptions {
  connectors: ConnectorRegistry;
  pipelinePaths: readonly string[];
  statePath: string;
  /** Default 8080; 0 picks a free port. */
  port: number;
  /** Default 127.0.0.1 (behind a reverse proxy); 0.0.0.0 to take deliveries directly. */
  host: string;
  env?: Record<string, string | undefined>;
  log?: Logger;
  /** With PostgreSQL state: the folder job file names are relative to (the workers' `--dir`). Default the working directory. */
  jobDir?: string;
  /** Tuning for tests: lock retry and retry back-off of the workers. */
  worker?: Pick<WorkerOptions, 'lockRetryMs' | 'retryDelayMs' | 'batchSize'>;
  /**
   * How long a stop lets the workers finish before it stops them after the request in flight, as a
   * second signal does (a drain stuck in a target's retries must not outlast a container's grace
   * period and be killed). Default 20 s.
   */
  stopGraceMs?: number;
}

export interface ServeHandle {
  /** `http://host:port`. */
  url: string;
  port: number;
  pipelines: string[];
  /** Stop taking deliveries and drain the queues; `closed` resolves when done. */
  stop(): void;
  /** Stop the writes in flight too (a second signal); what is left stays queued. */
  abort(): void;
  /** Resolves once stopped: true when every due event was processed. */
  closed: Promise<{ drained: boolean }>;
}

/** `validate` when the queue's workers sync the events: this process then reads no credential. */
async function loadAll(options: ServeOptions, env: Record<string, string | undefined>, mode: 'run' | 'validate'): Promise<Plan[]> {
  const plans: Plan[] = [];
  const problems = [];
  for (const path of options.pipelinePaths) {
    const loaded = await loadPipeline(path, { env, mode, connectorsDir: options.connectors.descriptorsDir });
    const errors = loaded.problems.filter((p) => p.severity === 'error');
    problems.push(...errors);
    if (loaded.plan && !errors.length) plans.push(loaded.plan);
  }
  if (problems.length) throw new ConfigError(problems);
  const seen = new Map<string, string>();
  for (const plan of plans) {
    const other = seen.get(plan.name);
    if (other !== undefined) {
      throw new LedgersyncError('duplicate_pipeline_name', 'config', `${other} and ${plan.file} are both named '${plan.name}'`, {
        fix: 'serve one of them, or give each pipeline its own name (a name scopes the state: never rename a pipeline that has run)',
      });
    }
    seen.set(plan.name, plan.file);
  }
  return plans;
}

function receiverOf(registry: ConnectorRegistry, plan: Plan): WebhookReceiver {
  const module = connectorModule(registry, plan.source.config.connector);
  if (!module.webhooks) {
    throw new LedgersyncError(
      'webhooks_unsupported',
      'config',
      `pipeline ${plan.name} reads from ${module.name}, which sends no webhooks ledgersync can take`,
      { fix: 'serve pipelines whose source is chargebee; schedule ledgersync run for the others' },
    );
  }
  return module.webhooks;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const failed = (error: NodeJS.ErrnoException) =>
      reject(
        new LedgersyncError('serve_listen_failed', 'config', `cannot listen on ${host}:${port}: ${error.code ?? error.message}`, {
          fix: error.code === 'EADDRINUSE' ? 'another process uses the port: choose another with --port' : 'check --host and --port',
          cause: error,
        }),
      );
    server.once('error', failed);
    server.listen(port, host, () => {
      server.off('error', failed);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

/** The receiver's view of the pipelines being served: their endpoints, queue, workers and health. */
class Serving {
  accepting = true;
  private stopping: Promise<void> | undefined;
  private aborted = false;
  private resolveClosed!: (value: { drained: boolean }) => void;
  readonly closed = new Promise<{ drained: boolean }>((resolve) => (this.resolveClosed = resolve));
  /** Set once made: the HTTP server reads this object's health and whether it still accepts. */
  server!: Server;

  constructor(
    private readonly plans: readonly Plan[],
    private readonly state: StateStore,
    readonly workers: ReadonlyMap<string, WebhookWorker>,
    private readonly handoff: QueueHandoff | undefined,
    private readonly log: Logger,
    private readonly stopGraceMs: number,
  ) {}

  /** `/healthz`: each pipeline's queue and worker, `degraded` while a worker's last attempt failed, `draining` once stopping. */
  health(): { healthy: boolean; body: Record<string, unknown> } {
    const pipelines = Object.fromEntries(this.plans.map((p) => [p.name, { ...this.state.webhooks.counts(p.name), ...this.workers.get(p.name)?.status }]));
    const degraded = [...this.workers.values()].some((w) => w.status.lastError !== undefined);
    const status = this.accepting ? (degraded ? 'degraded' : 'ok') : 'draining';
    return { healthy: this.accepting, body: { status, ...(this.handoff ? { synced_by: 'queue workers' } : {}), pipelines } };
  }

  stop(): void {
    if (this.stopping) return;
    this.accepting = false;
    this.log.info('stopping: new deliveries are refused (503); draining the queues');
    const serverClosed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    for (const worker of this.workers.values()) worker.stop();
    const grace = setTimeout(() => {
      this.log.warn(`still draining after ${this.stopGraceMs / 1000} s: stopping after the request in flight; what is left stays queued for the next start`);
      for (const worker of this.workers.values()) worker.abort();
    }, this.stopGraceMs);
    grace.unref();
    this.stopping = this.drain(serverClosed)
      .catch((error: unknown) => {
        this.log.error(`stopping failed: ${asLedgersyncError(error).message}`);
        this.resolveClosed({ drained: false });
      })
      .finally(() => clearTimeout(grace));
  }

  abort(): void {
    this.aborted = true;
    for (const worker of this.workers.values()) worker.abort();
    this.stop();
  }

  private async drain(serverClosed: Promise<void>): Promise<void> {
    await Promise.all([...this.workers.values()].map((w) => w.done()));
    this.server.closeAllConnections();
    await serverClosed;
    // Handed off, the queued events are the workers' to sync: nothing is left behind here.
    const left = this.handoff ? 0 : this.plans.reduce((n, plan) => n + this.state.webhooks.counts(plan.name).queued, 0);
    await this.handoff?.close();
    if (left) this.log.warn(`${left} event(s) stay queued for the next start (waiting for a retry, or stopped mid-way)`);
    this.state.close();
    await closeHttpAgent();
    this.resolveClosed({ drained: !this.aborted && left === 0 });
  }
}

/** With PostgreSQL state: the job queue the events are handed to, with the events stored before a crash handed over first. */
async function openHandoff(options: ServeOptions, state: StateStore, plans: readonly Plan[], log: Logger): Promise<QueueHandoff> {
  let handoff: QueueHandoff | undefined;
  try {
    handoff = await QueueHandoff.open(options.statePath, state, plans, options.jobDir ?? process.cwd(), log);
    const sent = await handoff.sendQueued();
    if (sent) log.info(`${sent} stored event(s) that had no job yet were handed to the job queue`);
    return handoff;
  } catch (error) {
    await handoff?.close();
    throw error;
  }
}

/** One worker per pipeline, after queueing again the events a stopped process was syncing. */
function webhookWorkers(
  options: ServeOptions,
  env: Record<string, string | undefined>,
  plans: readonly Plan[],
  state: StateStore,
  log: Logger,
): Map<string, WebhookWorker> {
  const workers = new Map<string, WebhookWorker>();
  for (const plan of plans) {
    const recovered = state.webhooks.recover(plan.name);
    if (recovered) log.info(`${plan.name}: ${recovered} event(s) a stopped process was syncing are queued again`);
    workers.set(
      plan.name,
      new WebhookWorker({ plan, connectors: options.connectors, state, log: log.child(plan.name), secretKey: env['LEDGERSYNC_SECRET_KEY'], ...options.worker }),
    );
  }
  return workers;
}

export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const env = options.env ?? process.env;
  const log = options.log ?? createLogger();
  const secret = webhookSecretOf(env);
  const toQueue = isPostgresUrl(options.statePath);
  const plans = await loadAll(options, env, toQueue ? 'validate' : 'run');
  const receivers = new Map(plans.map((plan) => [plan.name, receiverOf(options.connectors, plan)]));
  const state = StateStore.open(options.statePath);
  // Deliveries are stored through a connection of their own that waits little for another writer's
  // lock: the wait blocks the process, so with the 5 s of the others every request in flight (and
  // /healthz) would stall behind it; Chargebee delivers again after a quick 503.
  const intake = toQueue ? state : StateStore.open(options.statePath, { busyTimeoutMs: INTAKE_BUSY_TIMEOUT_MS });
  const closeIntake = () => {
    if (intake !== state) intake.close();
  };
  let serving: Serving;
  let port: number;
  try {
    const handoff = toQueue ? await openHandoff(options, state, plans, log) : undefined;
    serving = new Serving(
      plans,
      state,
      toQueue ? new Map() : webhookWorkers(options, env, plans, state, log),
      handoff,
      log,
      options.stopGraceMs ?? STOP_GRACE_MS,
    );
    serving.server = createWebhookServer({
      secret,
      pipelines: receivers,
      enqueue: (pipeline, eventId, eventType) => intake.webhooks.enqueue(pipeline, eventId, eventType, Date.now()),
      queued: (pipeline) => serving.workers.get(pipeline)?.wake(),
      ...(handoff
        ? {
            handOff: (pipeline: string, eventId: string, eventType: string | undefined, stored: 'queued' | 'duplicate') =>
              handoff.send(pipeline, eventId, eventType, stored).then(() => undefined),
          }
        : {}),
      accepting: () => serving.accepting,
      health: () => serving.health(),
      log,
    });
    try {
      port = await listen(serving.server, options.port, options.host);
    } catch (error) {
      await handoff?.close();
      throw error;
    }
  } catch (error) {
    closeIntake();
    state.close();
    throw error;
  }
  void serving.closed.then(closeIntake);
  for (const worker of serving.workers.values()) worker.start();
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    pipelines: plans.map((p) => p.name),
    stop: () => serving.stop(),
    abort: () => serving.abort(),
    closed: serving.closed,
  };
}
