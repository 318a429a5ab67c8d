/**
 * Runs a pipeline: source pages → transform → sink batches → checkpoint, one stream after the
 * other in the order the pipeline declares them. A checkpoint moves only after the sink confirmed
 * every record of the page (written, skipped, or dead-lettered with its reason).
 */
import { setMaxListeners } from 'node:events';
import { ConfigError, LedgersyncError, asLedgersyncError, errorSummary, logFailure, type ConfigProblem, type ErrorSummary } from '../errors.js';
import { exitCodeFor, type ExitCode } from '../exit-codes.js';
import { createLogger, type Logger } from '../log.js';
import type { Plan, StreamPlan } from '../config/plan.js';
import { loadPipelineInterruptibly } from '../config/load-in-worker.js';
import { connectorModule, type ConnectorRegistry } from '../connector/registry.js';
import type { ConnectorFactoryInput, Sink, SinkContext, Source, SourceContext, StreamReadRequest, WaitingWork } from '../connector/types.js';
import { defaultConnectionFactory } from '../http/connection.js';
import { sleep } from '../http/wait.js';
import { leaseLostError } from '../state/lease.js';
import type { StateStore } from '../state/store.js';
import { createBindings } from '../transform/bindings.js';
import { streamFingerprint } from '../transform/fingerprint.js';
import { assertTokensCanBeKept } from './credentials.js';
import { tookOverMessage, withRunLock, type RunLockResult } from './lifecycle.js';
import { describeDrift, mappingDrift, type MappingDrift } from './mapping-drift.js';
import { stateFailure } from '../state/trouble.js';
import { emptyCounts, silentProgress, type ProgressReporter, type StreamCounts } from './progress.js';
import { StreamWriter } from './stream-writer.js';
import { joinPages, readAhead } from './page-flow.js';
import { groupDeadLetters, type DeadLetterCause } from './dead-letters.js';
import { sinkWriteTrail } from './audit-entries.js';
import { checkpointFor, readScope } from './read-scope.js';

export type { StreamCounts };

export interface RunOptions {
  /** The connectors this installation offers (the app's registry). */
  connectors: ConnectorRegistry;
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
  exitCode: ExitCode;
  runId: string;
  pipeline: string;
  streams: Record<string, StreamCounts>;
  /** Streams with documents written by another mapping than the current one (see `mapping-drift.ts`). */
  mappingChanges?: Record<string, MappingDrift>;
  error?: ErrorSummary;
  problems?: ConfigProblem[];
  /** The records that failed in this run, grouped by cause. */
  deadLetterCauses?: DeadLetterCause[];
  /** Work the sink keeps in retry until a person acts in the target (a locked period); counts like a dead letter. */
  waiting?: Array<{ subject: string } & ErrorSummary>;
}

/** A summary of a run that never started: the pipeline is invalid, another run holds the lock, the state file cannot be used, or SIGTERM came first. */
/** A run that did not start: its summary, and the reason on the log too (stderr), where a scheduler's log collector reads it. */
function notStarted(status: 'invalid' | 'locked' | 'failed', pipeline: string, error: LedgersyncError, log: Logger): RunSummary {
  logFailure(log, error);
  return { status, exitCode: exitCodeFor({ error }), runId: '', pipeline, streams: {}, error: errorSummary(error) };
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
      sleep,
      random: Math.random,
      log: log.child(`${side.descriptor.name}:http`),
      signal,
    }),
  };
}

export async function runPipeline(options: RunOptions): Promise<RunSummary> {
  const env = options.env ?? process.env;
  const log = options.log ?? createLogger();
  const controller = new AbortController();
  // Every request in flight and every wait listens to the run's signal, each removing its listener
  // when it ends: as many at once as the connections' concurrency, which can pass node's warning at 10.
  setMaxListeners(256, controller.signal);
  const forwardAbort = () => controller.abort(options.signal?.reason);
  // A signal already aborted fires no event: a stop that came before the run began counts too.
  if (options.signal?.aborted) forwardAbort();
  else options.signal?.addEventListener('abort', forwardAbort, { once: true });
  try {
    const loaded = await loadPipelineInterruptibly(
      options.pipelinePath,
      { env, mode: 'run', connectorsDir: options.connectors.descriptorsDir },
      controller.signal,
    );
    if ('aborted' in loaded || controller.signal.aborted) return notStarted('failed', options.pipelinePath, stoppedBeforeStart(), log);
    const errors = loaded.problems.filter((p) => p.severity === 'error');
    // Named as the file declares itself; by its path only when it could not be read that far.
    if (!loaded.plan || errors.length)
      return { ...notStarted('invalid', loaded.name?.value ?? options.pipelinePath, new ConfigError(errors), log), problems: errors };
    const plan = loaded.plan;
    const unknown = (options.streams ?? []).filter((name) => !plan.streams.some((s) => s.name === name));
    if (unknown.length) {
      const error = new LedgersyncError('unknown_stream', 'config', `pipeline ${plan.name} has no stream ${unknown.map((u) => `'${u}'`).join(', ')}`, {
        fix: `use one of: ${plan.streams.map((s) => s.name).join(', ')}`,
      });
      return notStarted('invalid', plan.name, error, log);
    }
    const selected = options.streams?.length ? plan.streams.filter((s) => options.streams!.includes(s.name)) : plan.streams;
    let locked: RunLockResult<RunSummary>;
    try {
      locked = await withRunLock(options.statePath, plan.name, async ({ state, runId, tookOver }) => {
        if (tookOver) log.warn(tookOverMessage(plan.name, tookOver));
        // Said, because a scheduler that runs from another folder gets a new state file and a full first sync.
        if (state.recentRuns(plan.name, 2).length === 1) {
          log.info(
            `first run of ${plan.name} with the state at ${state.path}: no cursor, no ledger yet, every record is read as new (if this pipeline ran before, its state is elsewhere: --state or LEDGERSYNC_STATE)`,
          );
        }
        // Lost (taken over, or unrenewable past its length): every request in flight or being retried stops now.
        state.whenLeaseLost(plan.name, () => controller.abort(leaseLostError(plan.name, runId)));
        const summary = await syncStreams({ options, env, plan, selected, state, runId, signal: controller.signal });
        return {
          result: summary,
          outcome: { status: summary.status, exitCode: summary.exitCode, counts: summary.streams, ...(summary.error ? { error: summary.error } : {}) },
        };
      });
    } catch (error) {
      // The state file could not be opened or written: the summary (and `--json`) still says why.
      return notStarted('failed', plan.name, asLedgersyncError(error), log);
    }
    return 'locked' in locked ? notStarted('locked', plan.name, locked.locked, log) : locked.result;
  } finally {
    options.signal?.removeEventListener('abort', forwardAbort);
    // The run is over: a page read ahead and never used, or a wait it is in, stops here.
    if (!controller.signal.aborted) controller.abort(new Error('the run has ended'));
  }
}

/** SIGTERM or SIGINT while the pipeline was loading: nothing was read, locked or written. */
export function stoppedBeforeStart(): LedgersyncError {
  return new LedgersyncError('run_aborted', 'transient', 'stopped while the pipeline was loading, before anything was read or written', {
    fix: 'run it again',
  });
}

interface SyncInput {
  options: RunOptions;
  env: Record<string, string | undefined>;
  plan: Plan;
  selected: readonly StreamPlan[];
  state: StateStore;
  runId: string;
  signal: AbortSignal;
}

/** Reads, maps and writes the selected streams under the run lock; an error that stops the run ends up in the summary. */
async function syncStreams(input: SyncInput): Promise<RunSummary> {
  const { plan, state, runId } = input;
  const log = input.options.log ?? createLogger();
  const interrupted = state.abandonPendingOperations(plan.name, runId);
  if (interrupted)
    log.warn(`${interrupted} write(s) of an interrupted run were never confirmed; those records will be looked up in the target before any write`);
  const counts: Record<string, StreamCounts> = Object.fromEntries(input.selected.map((s) => [s.name, emptyCounts()]));
  const drifts: Record<string, MappingDrift> = {};
  let fatal: LedgersyncError | undefined;
  let waiting: readonly WaitingWork[] = [];
  try {
    waiting = await syncEachStream(input, log, counts, drifts);
  } catch (error) {
    fatal =
      input.signal.aborted && !(error instanceof LedgersyncError)
        ? input.signal.reason instanceof LedgersyncError
          ? input.signal.reason
          : new LedgersyncError('run_aborted', 'transient', 'the run was stopped before it finished; run it again to resume from the last checkpoint')
        : asLedgersyncError(stateFailure(state.path, error) ?? error);
    logFailure(log, fatal);
  }
  const failedRecords = Object.values(counts).reduce((n, c) => n + c.failed, 0) + waiting.length;
  const status: RunStatus = fatal ? 'failed' : failedRecords ? 'partial' : 'success';
  const exitCode = exitCodeFor({ error: fatal, failedRecords });
  const causes = groupDeadLetters(state.deadLetters(plan.name).filter((d) => d.lastRunId === runId));
  return {
    status,
    exitCode,
    runId,
    pipeline: plan.name,
    streams: counts,
    ...(Object.keys(drifts).length ? { mappingChanges: drifts } : {}),
    ...(fatal ? { error: errorSummary(fatal) } : {}),
    ...(causes.length ? { deadLetterCauses: causes } : {}),
    ...(waiting.length ? { waiting: waiting.map((w) => ({ subject: w.subject, ...errorSummary(w.error) })) } : {}),
  };
}

async function syncEachStream(
  input: SyncInput,
  log: Logger,
  counts: Record<string, StreamCounts>,
  drifts: Record<string, MappingDrift>,
): Promise<readonly WaitingWork[]> {
  const { plan, state, runId, signal, options } = input;
  const progress = options.progress ?? silentProgress;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const { source, sink } = createConnectors(plan, options.connectors, log, signal);
  const sourceCtx: SourceContext = { log: log.child('source'), signal, now };
  const sinkCtx = sinkContext({ plan, state, runId, log: log.child('sink'), signal, now, secretKey: input.env['LEDGERSYNC_SECRET_KEY'] });
  const bindings = createBindings({ options: plan.options, lookups: plan.lookups, timezone: plan.timezone, resolveTarget: sinkCtx.resolveTarget });
  const requests = input.selected.map((stream) => readRequest(plan, stream, options.fullRefresh ? undefined : checkpointFor(state, plan, stream, log)));
  try {
    assertTokensCanBeKept(plan, state, input.env['LEDGERSYNC_SECRET_KEY'], log);
    await source.open?.(sourceCtx, requests);
    await sink.open?.(sinkCtx);
    for (const [i, stream] of input.selected.entries()) {
      const started = Date.now();
      const streamCounts = counts[stream.name]!;
      progress.streamStarted(stream.name);
      // Read from the start (full refresh, or after reset): versions already written are mapped again.
      const remap = requests[i]!.checkpoint === undefined;
      const { fingerprint, components } = streamFingerprint(plan, stream);
      state.recordFingerprint(plan.name, stream.name, fingerprint, components, runId);
      const drift = mappingDrift(state, plan, stream, { fingerprint, components });
      if (drift) {
        drifts[stream.name] = drift;
        log.warn(describeDrift(plan, drift, { remapping: remap }));
      }
      const writer = new StreamWriter({
        plan,
        stream,
        state,
        sink,
        sinkCtx,
        bindings,
        runId,
        counts: streamCounts,
        log,
        fingerprint,
        remap,
        readScope: readScope(plan, stream),
      });
      for await (const page of joinPages(readAhead(source.read(requests[i]!, sourceCtx), READ_AHEAD_PAGES), writer.batchSize)) {
        // The checkpoint is saved in the page's last transaction, once every record of it is recorded.
        await writer.writePage(page.records, { checkpoint: page.checkpoint });
        progress.page(stream.name, page.progress?.page ?? 0, streamCounts);
      }
      await writer.retryDeadLetters();
      progress.streamFinished(stream.name, streamCounts, (Date.now() - started) / 1000);
    }
    return await closeSink(sink, sinkCtx, state, log);
  } finally {
    await releaseConnectors(source, sink);
  }
}

/**
 * After the last write of a run, a webhook drain or a replay: the sink's close (flushes, posts
 * period journals…), and the work it keeps waiting for a person, which counts like a dead letter.
 */
export async function closeSink(sink: Sink, ctx: SinkContext, state: StateStore, log: Logger): Promise<readonly WaitingWork[]> {
  // A run woken after its lease was taken over must not flush or post what the sink holds.
  state.assertLease(ctx.pipeline, ctx.runId);
  const closed = await sink.close?.(ctx);
  const waiting = closed?.waiting ?? [];
  for (const w of waiting) log.warn(`${w.subject} waits in retry: ${w.error.actionable}`);
  return waiting;
}

/** When a run, a webhook drain or a replay ends, however it ends: the sink gives back its session (a licence seat), then the source closes. */
export async function releaseConnectors(source: Source, sink: Sink): Promise<void> {
  try {
    await sink.dispose?.();
  } finally {
    await source.close?.();
  }
}

/** Pages read ahead of the writer: a request is always in flight while it maps and commits; more would only hold memory. */
const READ_AHEAD_PAGES = 4;

export function createConnectors(plan: Plan, registry: ConnectorRegistry, log: Logger, signal: AbortSignal): { source: Source; sink: Sink } {
  const sourceModule = connectorModule(registry, plan.source.config.connector);
  const sinkModule = connectorModule(registry, plan.sink.config.connector);
  if (!sourceModule.createSource) throw new LedgersyncError('not_a_source', 'config', `connector '${sourceModule.name}' cannot be a source`);
  if (!sinkModule.createSink) throw new LedgersyncError('not_a_sink', 'config', `connector '${sinkModule.name}' cannot be a sink`);
  return {
    source: sourceModule.createSource(factoryInput(plan, 'source', log, signal)),
    sink: sinkModule.createSink(factoryInput(plan, 'sink', log, signal)),
  };
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
  /** What the audit trail says caused the sink's own writes. Default `run`. */
  trigger?: string;
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
    writeTrail: sinkWriteTrail(state, plan.name, input.runId, input.trigger ?? 'run'),
  };
}

export function readRequest(plan: Plan, stream: StreamPlan, checkpoint: unknown): StreamReadRequest {
  return {
    stream: stream.name,
    endpoint: stream.endpoint,
    checkpoint,
    lookbackSeconds: stream.lookbackSeconds,
    params: { ...stream.params },
    ...(plan.startDate !== undefined ? { startDate: plan.startDate } : {}),
  };
}
