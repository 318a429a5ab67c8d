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

export async function startServe(options: ServeOptions): Promise<ServeHandle> {
  const env = options.env ?? process.env;
  const log = options.log ?? createLogger();
  const secret = webhookSecretOf(env);
  const toQueue = isPostgresUrl(options.statePath);
  const plans = await loadAll(options, env, toQueue ? 'validate' : 'run');
  const receivers = new Map(plans.map((plan) => [plan.name, receiverOf(options.connectors, plan)]));
  const state = StateStore.open(options.statePath);
  const workers = new Map<string, WebhookWorker>();
  let handoff: QueueHandoff | undefined;
  if (toQueue) {
    try {
      handoff = await QueueHandoff.open(options.statePath, state, plans, options.jobDir ?? process.cwd(), log);
      const sent = await handoff.sendQueued();
      if (sent) log.info(`${sent} stored event(s) that had no job yet were handed to the job queue`);
    } catch (error) {
      await handoff?.close();
      state.close();
      throw error;
    }
  }
  for (const plan of toQueue ? [] : plans) {
    const recovered = state.webhooks.recover(plan.name);
    if (recovered) log.info(`${plan.name}: ${recovered} event(s) a stopped process was syncing are queued again`);
    workers.set(
      plan.name,
      new WebhookWorker({ plan, connectors: options.connectors, state, log: log.child(plan.name), secretKey: env['LEDGERSYNC_SECRET_KEY'], ...options.worker }),
    );
  }
  let accepting = true;
  const server = createWebhookServer({
    secret,
    pipelines: receivers,
    enqueue: (pipeline, eventId, eventType) => state.webhooks.enqueue(pipeline, eventId, eventType, Date.now()),
    queued: (pipeline) => workers.get(pipeline)?.wake(),
    ...(handoff
      ? {
          handOff: (pipeline: string, eventId: string, eventType: string | undefined, stored: 'queued' | 'duplicate') =>
            handoff.send(pipeline, eventId, eventType, stored).then(() => undefined),
        }
      : {}),
    accepting: () => accepting,
    health: () => {
      const pipelines = Object.fromEntries(plans.map((p) => [p.name, { ...state.webhooks.counts(p.name), ...workers.get(p.name)?.status }]));
      const degraded = [...workers.values()].some((w) => w.status.lastError !== undefined);
      const status = accepting ? (degraded ? 'degraded' : 'ok') : 'draining';
      return { healthy: accepting, body: { status, ...(handoff ? { synced_by: 'queue workers' } : {}), pipelines } };
    },
    log,
  });
  let port: number;
  try {
    port = await listen(server, options.port, options.host);
  } catch (error) {
    await handoff?.close();
    state.close();
    throw error;
  }
  for (const worker of workers.values()) worker.start();

  let resolveClosed!: (value: { drained: boolean }) => void;
  const closed = new Promise<{ drained: boolean }>((resolve) => (resolveClosed = resolve));
  let stopping: Promise<void> | undefined;
  let aborted = false;
  const stop = () => {
    if (stopping) return;
    accepting = false;
    log.info('stopping: new deliveries are refused (503); draining the queues');
    const serverClosed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    for (const worker of workers.values()) worker.stop();
    stopping = (async () => {
      await Promise.all([...workers.values()].map((w) => w.done()));
      server.closeAllConnections();
      await serverClosed;
      // Handed off, the queued events are the workers' to sync: nothing is left behind here.
      const left = handoff ? 0 : plans.reduce((n, plan) => n + state.webhooks.counts(plan.name).queued, 0);
      await handoff?.close();
      if (left) log.warn(`${left} event(s) stay queued for the next start (waiting for a retry, or stopped mid-way)`);
      state.close();
      await closeHttpAgent();
      resolveClosed({ drained: !aborted && left === 0 });
    })().catch((error: unknown) => {
      log.error(`stopping failed: ${asLedgersyncError(error).message}`);
      resolveClosed({ drained: false });
    });
  };
  const host = options.host.includes(':') ? `[${options.host}]` : options.host;
  return {
    url: `http://${host}:${port}`,
    port,
    pipelines: plans.map((p) => p.name),
    stop,
    abort: () => {
      aborted = true;
      for (const worker of workers.values()) worker.abort();
      stop();
    },
    closed,
  };
}
