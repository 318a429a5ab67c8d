/** `ledgersync status` and `ledgersync reset`: read and trim a pipeline's state. */
import { ConfigError, LedgersyncError, asLedgersyncError, errorSummary, logFailure, formatProblem } from '../errors.js';
import { redact, silentLogger, type Logger } from '../log.js';
import { EXIT, exitCodeFor, type ExitCode } from '../exit-codes.js';
import { loadPipeline } from '../config/load.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import { lockVacancy, type DeadLetter, type LockVacancy, type RunRecord, type StateStore } from '../state/store.js';
import { withSnakeCaseKeys } from '../json-keys.js';
import { blockerOf, filterCauses, formatCauses, groupDeadLetters } from './dead-letters.js';
import type { Plan } from '../config/plan.js';
import { withRunLock, withState } from './lifecycle.js';
import { describeDrift, mappingDrifts } from './mapping-drift.js';
import { noStateAt, printableLocation } from '../state/driver.js';

export interface StateCommandOptions {
  /** The connectors this installation offers (the app's registry). */
  connectors: ConnectorRegistry;
  /** The pipeline YAML file. */
  pipelinePath: string;
  /** SQLite state file, or a `postgres://` URL. */
  statePath: string;
  /** Where the report goes (the CLI gives stdout). */
  out: NodeJS.WritableStream;
  /** The command's logger, in the format its caller chose: an error that stops the command is logged there too, for a scheduler that keeps stderr. None: nothing logged. */
  log?: Logger | undefined;
}

/** The pipeline, or undefined once its problems are printed (`json`: one object, `{pipeline, error, problems}`, as `run --json` prints). */
export async function loadForState(options: StateCommandOptions & { json?: boolean }): Promise<Plan | undefined> {
  const { plan, problems } = await loadPipeline(options.pipelinePath, {
    env: process.env,
    mode: 'validate',
    connectorsDir: options.connectors.descriptorsDir,
  });
  if (plan) return plan;
  const error = new ConfigError(problems.filter((p) => p.severity === 'error'));
  logFailure(options.log ?? silentLogger, error);
  if (options.json) {
    options.out.write(JSON.stringify({ pipeline: options.pipelinePath, error: errorSummary(error), problems }) + '\n');
  } else {
    for (const p of problems) options.out.write(formatProblem(p) + '\n');
  }
  return undefined;
}

/** What the pipeline's connectors say about their own state (periods waiting to post…). */
function connectorStateLines(registry: ConnectorRegistry, plan: Plan, state: StateStore): string[] {
  const names = [...new Set([plan.source.config.connector, plan.sink.config.connector])];
  return names.flatMap((name) => registry.modules[name]?.describeState?.(state.keyValue(plan.name, name)) ?? []);
}

const iso = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000).toISOString() : '-');
export const isoOrNull = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000).toISOString() : null);

export interface StatusOptions extends StateCommandOptions {
  json: boolean;
  /** Only dead-letter causes with a record of this stream. */
  stream?: string | undefined;
  /** Only dead-letter causes of this error code. */
  code?: string | undefined;
  /** Example ids shown per cause in the text report. Default 3. */
  limit?: number | undefined;
}

/** `--stream` must name a stream of the pipeline: a typo would otherwise look like "nothing to see". */
export function unknownStreamError(plan: Plan, stream: string | undefined): LedgersyncError | undefined {
  if (stream === undefined || plan.streams.some((s) => s.name === stream)) return undefined;
  return new LedgersyncError('unknown_stream', 'config', `pipeline ${plan.name} has no stream '${stream}'`, {
    fix: `use one of: ${plan.streams.map((s) => s.name).join(', ')}`,
  });
}

/** An error that stops a state command: printed as its report (`--json`: one object), and logged. */
function reportError(options: StateCommandOptions, error: LedgersyncError, json: boolean, pipeline: string): ExitCode {
  const { out } = options;
  logFailure(options.log ?? silentLogger, error);
  out.write(json ? JSON.stringify({ pipeline, error: errorSummary(error) }) + '\n' : `error: ${error.actionable}\n`);
  return exitCodeFor({ error });
}

/** A dead letter as `status --json` lists it: snake_case keys, ISO-8601 times, the record it waits for. */
function deadLetterJson(d: DeadLetter): Record<string, unknown> {
  const blockedBy = blockerOf(d);
  return {
    stream: d.stream,
    source_id: d.sourceId,
    source_version: d.sourceVersion,
    deleted: d.deleted,
    error_code: d.errorCode,
    error_kind: d.errorKind,
    message: d.message,
    fix: d.fix,
    details: withSnakeCaseKeys(d.details),
    attempts: d.attempts,
    last_run_id: d.lastRunId,
    updated_at: isoOrNull(d.updatedAt),
    ...(blockedBy ? { blocked_by: blockedBy } : {}),
  };
}

/** A recent run, and why its lock says it is no longer running though the runs table does not yet. */
interface RunView {
  run: RunRecord;
  vacancy?: LockVacancy | undefined;
}

/** A run the runs table still shows running: it may have died holding its lock. */
const isUnfinished = (run: RunRecord): boolean => run.finishedAt === null && run.status === 'running';

/**
 * The recent runs, an unfinished one judged by its lock as the next run would judge it, reading
 * only: holding the lock while its process is gone from this host, or its lease expired, it is
 * shown `crashed` (the next run or `unlock` records it so). Read after the runs, the lock of a run
 * that finished meanwhile is no longer its own, and the run keeps its stored status.
 */
function recentRunViews(state: StateStore, pipeline: string): RunView[] {
  const runs = state.recentRuns(pipeline, 10);
  const holder = runs.some(isUnfinished) ? state.lockHolder(pipeline) : undefined;
  const vacancy = holder ? lockVacancy(holder, state.clockSeconds()) : undefined;
  return runs.map((run) => (vacancy && run.id === holder?.runId && isUnfinished(run) ? { run: { ...run, status: 'crashed' }, vacancy } : { run }));
}

/** Why a held lock no longer keeps its run alive, as `status` and `unlock` say it. */
export function vacancyReason(vacancy: LockVacancy): string {
  return vacancy === 'gone' ? 'its process is gone from this host' : 'its lease expired';
}

function runJson({ run: r, vacancy }: RunView): Record<string, unknown> {
  return {
    id: r.id,
    started_at: isoOrNull(r.startedAt),
    finished_at: isoOrNull(r.finishedAt),
    status: r.status,
    exit_code: r.exitCode,
    counts: r.counts,
    error: r.error,
    ...(vacancy === 'gone' ? { holder_gone: true } : vacancy === 'expired' ? { lease_expired: true } : {}),
  };
}

function vacancyText(vacancy: LockVacancy | undefined): string {
  if (!vacancy) return '';
  return `  (still holding the lock, but ${vacancyReason(vacancy)}; the next run or \`ledgersync unlock\` records it crashed)`;
}

export async function showStatus(options: StatusOptions): Promise<ExitCode> {
  const { statePath, json, out } = options;
  const plan = await loadForState(options);
  if (!plan) return EXIT.config;
  const unknown = unknownStreamError(plan, options.stream);
  if (unknown) return reportError(options, unknown, json, plan.name);
  const name = plan.name;
  if (noStateAt(statePath)) {
    out.write(
      json
        ? JSON.stringify({
            pipeline: name,
            checkpoints: [],
            runs: [],
            dead_letter_count: 0,
            dead_letter_causes: [],
            dead_letters: [],
            webhook_events: { queued: 0, processing: 0, done: 0, dropped: 0, retrying: 0 },
            connector_state: [],
          }) + '\n'
        : `pipeline ${name}: no state yet at ${printableLocation(statePath)} (never run)\n`,
    );
    return EXIT.ok;
  }
  try {
    return await withState(statePath, (state) => report(state, plan, options), { write: false });
  } catch (thrown) {
    // A damaged, locked or unreadable state file: one line naming it and the fix, and `--json` still prints its object.
    const error = asLedgersyncError(thrown);
    logFailure(options.log ?? silentLogger, error);
    out.write(
      json
        ? JSON.stringify({ pipeline: name, error: errorSummary(error) }) + '\n'
        : `error: ${redact(error.message)}${error.fix ? `\nfix: ${redact(error.fix)}` : ''}\n`,
    );
    return exitCodeFor({ error });
  }
}

function report(state: StateStore, plan: Plan, options: StatusOptions): ExitCode {
  const { statePath, json, out } = options;
  const name = plan.name;
  const checkpoints = state.listCheckpoints(name);
  const runs = recentRunViews(state, name);
  const dead = state.deadLetters(name);
  const drifts = mappingDrifts(state, plan, plan.streams);
  const webhooks = state.webhooks.counts(name);
  const causes = filterCauses(groupDeadLetters(dead), { stream: options.stream, code: options.code });
  const shown = new Set(causes.flatMap((c) => [...c.records, ...c.blocked].map((r) => `${r.stream}\u0000${r.source_id}`)));
  const filtered = options.stream !== undefined || options.code !== undefined;
  if (json) {
    out.write(
      JSON.stringify({
        pipeline: name,
        checkpoints: checkpoints.map((c) => ({ stream: c.stream, value: c.value, updated_at: isoOrNull(c.updatedAt) })),
        runs: runs.map(runJson),
        dead_letter_count: dead.length,
        dead_letter_causes: causes,
        dead_letters: dead.filter((d) => shown.has(`${d.stream}\u0000${d.sourceId}`)).map(deadLetterJson),
        mapping_changes: drifts,
        webhook_events: webhooks,
        connector_state: connectorStateLines(options.connectors, plan, state),
      }) + '\n',
    );
    return EXIT.ok;
  }
  out.write(`pipeline ${name} (state ${printableLocation(statePath)})\n\ncursors:\n`);
  if (!checkpoints.length) out.write('  (none: the next run reads everything)\n');
  for (const c of checkpoints) {
    const value = c.value as { cursor?: number; field?: string };
    const cursor = typeof value?.cursor === 'number' ? `${value.field ?? 'cursor'} ≥ ${iso(value.cursor)}` : JSON.stringify(c.value);
    out.write(`  ${c.stream.padEnd(20)} ${cursor}   (saved ${iso(c.updatedAt)})\n`);
  }
  out.write('\nrecent runs:\n');
  if (!runs.length) out.write('  (none)\n');
  for (const { run: r, vacancy } of runs) {
    out.write(
      `  ${r.id}  ${iso(r.startedAt)}  ${r.status.padEnd(8)} exit ${r.exitCode ?? '-'}` +
        countsText(r.counts) +
        (r.error ? `  error: ${String((r.error as { message?: string }).message ?? '')}` : '') +
        vacancyText(vacancy) +
        '\n',
    );
  }
  for (const drift of Object.values(drifts)) out.write(`\n${describeDrift(plan, drift, { remapping: false })}\n`);
  const shownCount = shown.size;
  const heading = filtered
    ? `\ndead letters (retried on every run): ${shownCount} of ${dead.length} match${options.stream !== undefined ? ` --stream ${options.stream}` : ''}${options.code !== undefined ? ` --code ${options.code}` : ''}`
    : `\ndead letters (retried on every run): ${dead.length}`;
  out.write(`${heading}${causes.length ? `, ${causes.length} cause(s)` : ''}\n`);
  for (const line of formatCauses(causes, options.limit ?? 3)) out.write(line + '\n');
  if (causes.length) out.write('  (every record: status --json; one cause: --code CODE; more ids: --limit N)\n');
  if (Object.values(webhooks).some((n) => n > 0)) {
    out.write(
      `\nwebhook events (ledgersync serve): ${webhooks.queued} queued${webhooks.retrying ? ` (${webhooks.retrying} waiting for a retry after a failed sync)` : ''}, ` +
        `${webhooks.processing} being synced, ${webhooks.done} done, ${webhooks.dropped} dropped\n`,
    );
  }
  const extra = connectorStateLines(options.connectors, plan, state);
  if (extra.length) out.write('\n' + extra.join('\n') + '\n');
  return EXIT.ok;
}

export async function resetPipeline(options: StateCommandOptions & { stream?: string | undefined }): Promise<ExitCode> {
  const { statePath, stream, out } = options;
  // The command's logger, in the format its caller chose (text or JSON lines); none, nothing logged.
  const log = options.log ?? silentLogger;
  const plan = await loadForState(options);
  if (!plan) return EXIT.config;
  const unknown = unknownStreamError(plan, stream);
  if (unknown) return reportError(options, unknown, false, plan.name);
  const name = plan.name;
  if (noStateAt(statePath)) {
    out.write(`pipeline ${name}: no state at ${printableLocation(statePath)}, nothing to reset\n`);
    return EXIT.ok;
  }
  const reset = await withRunLock(statePath, name, async ({ state }) => {
    const removed = state.resetCheckpoints(name, stream);
    return { result: removed, outcome: { status: 'reset', exitCode: EXIT.ok, counts: { reset: stream ?? 'all', removed } } };
  });
  if ('locked' in reset) {
    logFailure(log, reset.locked);
    out.write(`pipeline ${name} is running (run ${reset.heldBy.runId}); reset refused\n`);
    return exitCodeFor({ error: reset.locked });
  }
  out.write(
    `pipeline ${name}: forgot ${reset.result} cursor(s)${stream ? ` of stream ${stream}` : ''}; the ledger is kept: the next run maps what it re-reads again and updates only the documents whose output changed, never creating one twice\n`,
  );
  return EXIT.ok;
}

type StreamCounts = { read: number; created: number; updated: number; failed: number };

/** A run's counts for its line: a sync's totals over its streams, or what another command recorded (`reset`: the stream and rows removed). */
function countsText(counts: Record<string, unknown> | null): string {
  if (!counts) return '';
  const streams = Object.values(counts);
  if (streams.every((c): c is StreamCounts => typeof c === 'object' && c !== null && typeof (c as StreamCounts).read === 'number')) {
    const total = streams.reduce((a, c) => ({ read: a.read + c.read, written: a.written + c.created + c.updated, failed: a.failed + c.failed }), {
      read: 0,
      written: 0,
      failed: 0,
    });
    return `  read ${total.read}, written ${total.written}, failed ${total.failed}`;
  }
  return `  ${Object.entries(counts)
    .map(([key, value]) => `${key} ${typeof value === 'object' ? JSON.stringify(value) : String(value)}`)
    .join(', ')}`;
}
