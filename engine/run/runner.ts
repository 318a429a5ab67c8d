/**
 * Runs a pipeline: source pages → transform → sink batches → checkpoint, one stream after the
 * other in the order the pipeline declares them. A checkpoint moves only after the sink confirmed
 * every record of the page (written, skipped, or dead-lettered with its reason).
 */
import { EXIT, LedgersyncError, asLedgersyncError, formatProblem } from '../errors.js';
import type { ConfigProblem } from '../errors.js';
import { createLogger, redact, type Logger } from '../log.js';
import type { Plan, StreamPlan } from '../config/plan.js';
import { loadPipeline } from '../config/load.js';
import type { ConnectorFactoryInput, ConnectorModule, SinkContext, SourceContext, StreamReadRequest } from '../connector/types.js';
import { closeHttpAgent, defaultConnectionFactory } from '../http/connection.js';
import { StateStore } from '../state/store.js';
import { createBindings } from '../transform/bindings.js';
import { connectors as registry } from '../../app/registry.js';
import { emptyCounts, silentProgress, type ProgressReporter, type StreamCounts } from './progress.js';
import { StreamWriter } from './stream-writer.js';

export type { StreamCounts };

export interface RunOptions {
  /** The pipeline YAML file. */
  pipelinePath: string;
  /** SQLite state file. Default `.ledgersync/state.db` (the CLI sets it). */
  statePath: string;
  /** Environment for `${VAR}` interpolation and LEDGERSYNC_SECRET_KEY. Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Ignore checkpoints and read everything again (the ledger still prevents duplicate writes). */
  fullRefresh?: boolean;
  /** Only these streams (in pipeline order). Default: all. */
  streams?: string[];
  log?: Logger;
  progress?: ProgressReporter;
  signal?: AbortSignal;
  /** Unix seconds. Default: the clock. */
  now?: () => number;
}

export type RunStatus = 'success' | 'partial' | 'failed' | 'locked' | 'invalid';

export interface RunSummary {
  status: RunStatus;
  exitCode: 0 | 1 | 2 | 3 | 4;
  runId: string;
  pipeline: string;
  streams: Record<string, StreamCounts>;
  error?: { code: string; kind: string; message: string; fix?: string };
  problems?: ConfigProblem[];
}

function exitFor(error: LedgersyncError): 2 | 3 {
  return error.kind === 'config' || error.kind === 'system' ? EXIT.config : EXIT.authOrConnection;
}

function errorSummary(error: LedgersyncError): NonNullable<RunSummary['error']> {
  return { code: error.code, kind: error.kind, message: redact(error.message), ...(error.fix ? { fix: redact(error.fix) } : {}) };
}

export function connectorModule(name: string): ConnectorModule {
  const module = registry[name];
  if (!module)
    throw new LedgersyncError('unknown_connector', 'config', `no connector named '${name}'`, { fix: `use one of: ${Object.keys(registry).join(', ')}` });
  return module;
}

export function factoryInput(plan: Plan, role: 'source' | 'sink', log: Logger, signal: AbortSignal): ConnectorFactoryInput {
  const side = plan[role];
  return {
    connection: side.config,
    descriptor: side.descriptor,
    pipelineDir: plan.dir,
    pipeline: plan.name,
    timezone: plan.timezone,
    extensions: plan.extensions,
    lookups: plan.lookups,
    options: plan.options,
    log: log.child(side.descriptor.name),
    http: defaultConnectionFactory({
      sleep: (ms, s) =>
        new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, ms);
          s?.addEventListener(
            'abort',
            () => {
              clearTimeout(timer);
              reject(s.reason);
            },
            { once: true },
          );
        }),
      random: Math.random,
      log: log.child(`${side.descriptor.name}:http`),
      signal,
    }),
  };
}

export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  const env = options.env ?? process.env;
  const log = options.log ?? createLogger();
  const progress = options.progress ?? silentProgress;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const controller = new AbortController();
  const forwardAbort = () => controller.abort(options.signal?.reason);
  options.signal?.addEventListener('abort', forwardAbort, { once: true });

  const loaded = await loadPipeline(options.pipelinePath, { env, mode: 'run' });
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (!loaded.plan || errors.length) {
    return {
      status: 'invalid',
      exitCode: EXIT.config,
      runId: '',
      pipeline: options.pipelinePath,
      streams: {},
      problems: errors,
      error: { code: 'invalid_configuration', kind: 'config', message: errors.map(formatProblem).join('\n') },
    };
  }
  const plan = loaded.plan;
  const selected = options.streams?.length ? plan.streams.filter((s) => options.streams!.includes(s.name)) : plan.streams;
  const unknown = (options.streams ?? []).filter((name) => !plan.streams.some((s) => s.name === name));
  if (unknown.length) {
    const error = new LedgersyncError('unknown_stream', 'config', `pipeline ${plan.name} has no stream ${unknown.map((u) => `'${u}'`).join(', ')}`, {
      fix: `use one of: ${plan.streams.map((s) => s.name).join(', ')}`,
    });
    return { status: 'invalid', exitCode: EXIT.config, runId: '', pipeline: plan.name, streams: {}, error: errorSummary(error) };
  }

  const state = StateStore.open(options.statePath);
  const begun = state.beginRun(plan.name);
  if ('heldBy' in begun) {
    state.close();
    const held = begun.heldBy;
    return {
      status: 'locked',
      exitCode: EXIT.locked,
      runId: '',
      pipeline: plan.name,
      streams: {},
      error: {
        code: 'run_locked',
        kind: 'config',
        message: `another run of pipeline '${plan.name}' is in progress (run ${held.runId}, pid ${held.pid} on ${held.hostname}, since ${new Date(held.since * 1000).toISOString()})`,
        fix: 'wait for it to finish; a lock left by a killed process on this host is taken over automatically',
      },
    };
  }
  const runId = begun.runId;
  const interrupted = state.abandonPendingOperations(plan.name, runId);
  if (interrupted)
    log.warn(`${interrupted} write(s) of an interrupted run were never confirmed; those records will be looked up in the target before any write`);

  const counts: Record<string, StreamCounts> = Object.fromEntries(selected.map((s) => [s.name, emptyCounts()]));
  let fatal: LedgersyncError | undefined;

  try {
    const sourceModule = connectorModule(plan.source.config.connector);
    const sinkModule = connectorModule(plan.sink.config.connector);
    if (!sourceModule.createSource) throw new LedgersyncError('not_a_source', 'config', `connector '${sourceModule.name}' cannot be a source`);
    if (!sinkModule.createSink) throw new LedgersyncError('not_a_sink', 'config', `connector '${sinkModule.name}' cannot be a sink`);
    const source = sourceModule.createSource(factoryInput(plan, 'source', log, controller.signal));
    const sink = sinkModule.createSink(factoryInput(plan, 'sink', log, controller.signal));
    const sourceCtx: SourceContext = { log: log.child('source'), signal: controller.signal, now };
    const sinkCtx = sinkContext({ plan, state, runId, log: log.child('sink'), signal: controller.signal, now, secretKey: env['LEDGERSYNC_SECRET_KEY'] });
    const bindings = createBindings({
      options: plan.options,
      lookups: plan.lookups,
      timezone: plan.timezone,
      resolveTarget: sinkCtx.resolveTarget,
    });
    const requests = selected.map((stream) => readRequest(plan, stream, options.fullRefresh ? undefined : state.getCheckpoint(plan.name, stream.name)));

    try {
      await source.open?.(sourceCtx, requests);
      await sink.open?.(sinkCtx);
      for (const [i, stream] of selected.entries()) {
        const started = Date.now();
        progress.streamStarted(stream.name);
        const writer = new StreamWriter({ plan, stream, state, sink, sinkCtx, bindings, runId, counts: counts[stream.name]!, log });
        for await (const page of source.read(requests[i]!, sourceCtx)) {
          await writer.writePage(page.records);
          if (page.checkpoint !== undefined) state.saveCheckpoint(plan.name, stream.name, page.checkpoint, runId);
          progress.page(stream.name, page.progress?.page ?? 0, counts[stream.name]!);
        }
        await writer.retryDeadLetters();
        progress.streamFinished(stream.name, counts[stream.name]!, (Date.now() - started) / 1000);
      }
      await sink.close?.(sinkCtx);
    } finally {
      await source.close?.();
    }
  } catch (error) {
    fatal =
      controller.signal.aborted && !(error instanceof LedgersyncError)
        ? new LedgersyncError('run_aborted', 'transient', 'the run was stopped before it finished; run it again to resume from the last checkpoint')
        : asLedgersyncError(error);
    log.error(fatal.actionable);
  } finally {
    options.signal?.removeEventListener('abort', forwardAbort);
  }

  const failed = Object.values(counts).reduce((n, c) => n + c.failed, 0);
  const status: RunStatus = fatal ? 'failed' : failed ? 'partial' : 'success';
  const exitCode = fatal ? exitFor(fatal) : failed ? EXIT.recordsFailed : EXIT.ok;
  state.finishRun(plan.name, runId, status, exitCode, counts, fatal ? errorSummary(fatal) : undefined);
  state.close();
  await closeHttpAgent();
  return { status, exitCode, runId, pipeline: plan.name, streams: counts, ...(fatal ? { error: errorSummary(fatal) } : {}) };
}

/** The context every sink call gets: ledger references, its durable kv and secrets, the clock. */
export function sinkContext(input: {
  plan: Plan;
  state: StateStore;
  runId: string;
  log: Logger;
  signal: AbortSignal;
  now: () => number;
  secretKey: string | undefined;
}): SinkContext {
  const { plan, state } = input;
  const scope = plan.sink.config.connector;
  return {
    pipeline: plan.name,
    runId: input.runId,
    log: input.log,
    signal: input.signal,
    resolveTarget: (stream, sourceId) => state.targetIdOf(plan.name, stream, sourceId),
    kv: state.keyValue(plan.name, scope),
    secrets: state.secretStore(plan.name, scope, input.secretKey),
    now: input.now,
  };
}

function readRequest(plan: Plan, stream: StreamPlan, checkpoint: unknown): StreamReadRequest {
  return {
    stream: stream.name,
    endpoint: stream.endpoint,
    checkpoint,
    lookbackSeconds: stream.lookbackSeconds,
    params: { ...stream.params },
    ...(plan.startDate !== undefined ? { startDate: plan.startDate } : {}),
  };
}
