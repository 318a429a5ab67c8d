/**
 * `ledgersync replay`: sends records again through today's mapping, under the run lock, as a run
 * would write them. The record is fetched afresh from the source (the dead letter's copy when the
 * source no longer returns it); a version the ledger already holds is mapped again, and the ledger
 * makes the write an update of the document it points at, or nothing when the mapped record did not
 * change. A record whose earlier write may have happened is looked up first. Never a duplicate.
 */
import { ConfigError, LedgersyncError, asLedgersyncError, errorSummary, logFailure, type ConfigProblem, type ErrorSummary } from '../errors.js';
import { exitCodeFor, type ExitCode } from '../exit-codes.js';
import { createLogger, type Logger } from '../log.js';
import { loadPipeline } from '../config/load.js';
import type { Plan, StreamPlan } from '../config/plan.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { SourceRecord, WaitingWork } from '../connector/types.js';
import type { DeadLetter, StateStore } from '../state/store.js';
import { withRunLock } from './lifecycle.js';
import { recordOutcomes, type RecordOutcome } from './record-outcome.js';
import type { StreamCounts } from './progress.js';
import { RecordSync } from './record-sync.js';

export interface ReplayOptions {
  connectors: ConnectorRegistry;
  pipelinePath: string;
  statePath: string;
  /** One source record, in every stream that has read it (or in `stream`). */
  sourceId?: string;
  /** Every record waiting in the dead-letter table (of `stream`, or of all streams). */
  failed?: boolean;
  stream?: string;
  env?: Record<string, string | undefined>;
  log?: Logger;
  signal?: AbortSignal;
  /** Unix seconds. */
  now?: () => number;
}

export interface ReplayedRecord extends RecordOutcome {
  /** Where the record came from: fetched from the source now, or the dead letter's copy. */
  from: 'source' | 'dead_letter' | 'none';
}

export interface ReplaySummary {
  status: 'success' | 'partial' | 'failed' | 'locked' | 'invalid';
  exitCode: ExitCode;
  pipeline: string;
  runId: string;
  records: ReplayedRecord[];
  /** Per stream: read, written, created, updated, skipped, failed (the streams replayed). */
  streams: Record<string, StreamCounts>;
  error?: ErrorSummary;
  problems?: ConfigProblem[];
  /** Work the sink keeps in retry until a person acts in the target (a locked period); counts like a failed record, as in a run. */
  waiting?: Array<{ subject: string } & ErrorSummary>;
}

/** A replay that did not run: its summary, and the reason on the log too (stderr), where a scheduler's log collector reads it, as `run` does. */
function notRun(status: 'invalid' | 'locked' | 'failed', pipeline: string, error: LedgersyncError, log: Logger, runId = ''): ReplaySummary {
  logFailure(log, error);
  return {
    status,
    exitCode: exitCodeFor({ error }),
    pipeline,
    runId,
    records: [],
    streams: {},
    error: errorSummary(error),
    ...(error instanceof ConfigError ? { problems: [...error.problems] } : {}),
  };
}

/** What to replay, per stream in pipeline order: the ids and the dead letters' copies. */
interface Targets {
  stream: StreamPlan;
  ids: string[];
  copies: Map<string, DeadLetter>;
}

function targetsOf(plan: Plan, state: StateStore, options: ReplayOptions): Targets[] {
  const streams = options.stream ? plan.streams.filter((s) => s.name === options.stream) : plan.streams;
  const targets: Targets[] = [];
  for (const stream of streams) {
    const letters = new Map(state.deadLetters(plan.name, stream.name).map((d) => [d.sourceId, d]));
    if (options.failed) {
      if (letters.size) targets.push({ stream, ids: [...letters.keys()], copies: letters });
      continue;
    }
    const id = options.sourceId!;
    const known =
      state.getLedger(plan.name, stream.name, id) || letters.has(id) || state.audit.entries(plan.name, { sourceId: id, stream: stream.name }).length;
    if (known || options.stream) targets.push({ stream, ids: [id], copies: letters });
  }
  return targets;
}

function fromCopy(letter: DeadLetter): SourceRecord {
  return { id: letter.sourceId, ...(letter.sourceVersion ? { version: letter.sourceVersion } : {}), deleted: letter.deleted, data: letter.record };
}

export async function replayRecords(options: ReplayOptions): Promise<ReplaySummary> {
  const env = options.env ?? process.env;
  const log = options.log ?? createLogger();
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  const signal = options.signal ?? new AbortController().signal;
  if ((options.sourceId === undefined) === !options.failed) {
    return notRun(
      'invalid',
      options.pipelinePath,
      new LedgersyncError('invalid_arguments', 'config', 'ledgersync replay needs either --id SOURCE_ID or --failed (not both)', {
        fix: 'replay one record with --id, or every record waiting in the dead-letter table with --failed',
      }),
      log,
    );
  }
  const loaded = await loadPipeline(options.pipelinePath, { env, mode: 'run', connectorsDir: options.connectors.descriptorsDir });
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (!loaded.plan || errors.length) return notRun('invalid', options.pipelinePath, new ConfigError(errors), log);
  const plan = loaded.plan;
  if (options.stream !== undefined && !plan.streams.some((s) => s.name === options.stream)) {
    return notRun(
      'invalid',
      plan.name,
      new LedgersyncError('unknown_stream', 'config', `pipeline ${plan.name} has no stream '${options.stream}'`, {
        fix: `use one of: ${plan.streams.map((s) => s.name).join(', ')}`,
      }),
      log,
    );
  }

  const locked = await withRunLock(options.statePath, plan.name, async ({ state, runId }) => {
    const summary = await replayLocked({ plan, state, runId, options, log, signal, now, secretKey: env['LEDGERSYNC_SECRET_KEY'] });
    return {
      result: summary,
      outcome: {
        status: summary.status,
        exitCode: summary.exitCode,
        // Stream counts, as a run records them, so that `ledgersync status` adds them up the same way.
        counts: summary.streams,
        ...(summary.error ? { error: summary.error } : {}),
      },
    };
  });
  return 'locked' in locked ? notRun('locked', plan.name, locked.locked, log) : locked.result;
}

function streamsOf(sync: RecordSync | undefined): Record<string, StreamCounts> {
  return Object.fromEntries(Object.entries(sync?.counts ?? {}).filter(([, c]) => c.read > 0 || c.failed > 0));
}

async function replayLocked(input: {
  plan: Plan;
  state: StateStore;
  runId: string;
  options: ReplayOptions;
  log: Logger;
  signal: AbortSignal;
  now: () => number;
  secretKey: string | undefined;
}): Promise<ReplaySummary> {
  const { plan, state, runId, options, log } = input;
  state.abandonPendingOperations(plan.name, runId);
  const targets = targetsOf(plan, state, options);
  if (!targets.length && options.sourceId !== undefined) {
    const error = new LedgersyncError('unknown_source_id', 'config', `no stream of pipeline ${plan.name} has read a record '${options.sourceId}'`, {
      fix: `check the id (ledgersync audit ${plan.name} --id …), or name the stream to fetch it from with --stream (${plan.streams.map((s) => s.name).join(', ')})`,
    });
    return notRun('invalid', plan.name, error, log, runId);
  }
  const records: ReplayedRecord[] = [];
  let sync: RecordSync | undefined;
  let waiting: readonly WaitingWork[] = [];
  try {
    if (targets.length) sync = await RecordSync.open({ ...input, connectors: options.connectors, reprocess: true });
    for (const target of targets) {
      const result = await sync!.sync(target.stream, target.ids, {
        trigger: () => 'replay',
        fallback: (id) => {
          const letter = target.copies.get(id);
          return letter ? fromCopy(letter) : undefined;
        },
      });
      const fetched = new Set(result.fetched);
      const copied = new Set(result.fromCopy);
      const from = (id: string) => (fetched.has(id) ? 'source' : copied.has(id) ? 'dead_letter' : 'none');
      const outcomes = recordOutcomes(
        state,
        plan.name,
        runId,
        target.stream.name,
        target.ids.map((id) => ({ sourceId: id, found: from(id) !== 'none' })),
      );
      for (const outcome of outcomes) records.push({ ...outcome, from: from(outcome.sourceId) });
    }
    waiting = (await sync?.finish()) ?? [];
  } catch (thrown) {
    await sync?.abandon();
    const error =
      input.signal.aborted && !(thrown instanceof LedgersyncError)
        ? new LedgersyncError('run_aborted', 'transient', 'the replay was stopped before it finished; run it again')
        : asLedgersyncError(thrown);
    logFailure(log, error);
    return { status: 'failed', exitCode: exitCodeFor({ error }), pipeline: plan.name, runId, records, streams: streamsOf(sync), error: errorSummary(error) };
  }
  const failed = records.filter((r) => r.outcome === 'failed' || r.outcome === 'not_found').length + waiting.length;
  return {
    status: failed ? 'partial' : 'success',
    exitCode: exitCodeFor({ failedRecords: failed }),
    pipeline: plan.name,
    runId,
    records,
    streams: streamsOf(sync),
    ...(waiting.length ? { waiting: waiting.map((w) => ({ subject: w.subject, ...errorSummary(w.error) })) } : {}),
  };
}
