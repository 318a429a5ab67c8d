/**
 * `ledgersync plan`: what a run would do, document by document, without doing it. The source is
 * read as a run would read it (from the checkpoints, or everything with `--full-refresh`), every
 * record is mapped, unchanged ones are skipped by content hash, and the rest are put to the sink's
 * read-only `plan()` (look-ups by natural key, current documents for diffs). An update carries the
 * field-level diff against the payload the ledger kept of the last write.
 *
 * Nothing is written: no target write, checkpoint, ledger entry, dead letter or runs-table row,
 * and no run lock is taken, so a plan never makes a scheduled run skip its tick (the state file is
 * read in WAL mode while a run writes). The one thing a plan may store is a refresh token the
 * target rotated when the plan authenticated: losing it would disconnect the company.
 */
import { ConfigError, LedgersyncError, asLedgersyncError, errorSummary, type ConfigProblem, type ErrorSummary } from '../errors.js';
import { EXIT, exitCodeFor, type ExitCode } from '../exit-codes.js';
import { createLogger, type Logger } from '../log.js';
import { loadPipeline } from '../config/load.js';
import type { Plan, StreamPlan } from '../config/plan.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { KeyValueStore, PlannedWrite, PlanningRecord, Sink, SinkContext, SourceRecord } from '../connector/types.js';
import { closeHttpAgent } from '../http/connection.js';
import { compareVersions, maskedPayload, type StateStore } from '../state/store.js';
import { createBindings } from '../transform/bindings.js';
import { contentHash } from '../transform/hash.js';
import { mapRecord } from '../transform/mapper.js';
import { assertTokensCanBeKept } from './credentials.js';
import { diffAgainstCurrent, diffRecords, type FieldChange } from './diff.js';
import { withState } from './lifecycle.js';
import { mappingDrift } from './mapping-drift.js';
import { streamFingerprint } from '../transform/fingerprint.js';
import { createConnectors, readRequest, sinkContext } from './runner.js';
import { checkpointFor } from './read-scope.js';
import { retractions } from './removed-parts.js';

export type PlanAction = 'create' | 'update' | 'adopt' | 'void' | 'delete' | 'skip' | 'fail';
export const PLAN_ACTIONS: readonly PlanAction[] = ['create', 'update', 'adopt', 'void', 'delete', 'skip', 'fail'];
export type PlanCounts = Record<PlanAction, number>;

/** One document a run would touch (skips are counted, not listed). */
export interface PlannedChange {
  stream: string;
  /** The target record's source id (`<id>#<part>` for a mapping that returns several). */
  sourceId: string;
  action: Exclude<PlanAction, 'skip'>;
  /** The target object (`Invoice`, `CUSTOMER`…). */
  object?: string;
  targetId?: string;
  /** For an update: what changes, field by field. */
  diff?: FieldChange[];
  /** For a create (or a void of a document not in the target yet): the mapped record. */
  payload?: Record<string, unknown>;
  /** For a fail: the dead letter the record would get. */
  error?: ErrorSummary;
  note?: string;
}

export interface PlanReport {
  status: 'planned' | 'invalid' | 'failed';
  exitCode: ExitCode;
  pipeline: string;
  streams: Record<string, PlanCounts>;
  changes: PlannedChange[];
  /** What the plan could not know (a sink without look-ups…), once each. */
  notes: string[];
  error?: ErrorSummary;
  problems?: ConfigProblem[];
}

export interface PlanOptions {
  /** The connectors this installation offers (the app's registry). */
  connectors: ConnectorRegistry;
  pipelinePath: string;
  statePath: string;
  /** Default `process.env`. */
  env?: Record<string, string | undefined>;
  /** Plan as `run --full-refresh` would run: read everything, map again what the ledger holds. */
  fullRefresh?: boolean;
  /** Only these streams. Default: all. */
  streams?: string[];
  log?: Logger;
  signal?: AbortSignal;
  /** Unix seconds. Default: the clock. */
  now?: () => number;
}

export const emptyPlanCounts = (): PlanCounts => ({ create: 0, update: 0, adopt: 0, void: 0, delete: 0, skip: 0, fail: 0 });

function stopped(status: 'invalid' | 'failed', pipeline: string, error: LedgersyncError, problems?: ConfigProblem[]): PlanReport {
  return {
    status,
    exitCode: exitCodeFor({ error }),
    pipeline,
    streams: {},
    changes: [],
    notes: [],
    error: errorSummary(error),
    ...(problems?.length ? { problems } : {}),
  };
}

export async function planPipeline(options: PlanOptions): Promise<PlanReport> {
  const env = options.env ?? process.env;
  const loaded = await loadPipeline(options.pipelinePath, { env, mode: 'run', connectorsDir: options.connectors.descriptorsDir });
  const errors = loaded.problems.filter((p) => p.severity === 'error');
  if (!loaded.plan || errors.length) return stopped('invalid', options.pipelinePath, new ConfigError(errors), errors);
  const plan = loaded.plan;
  const unknown = (options.streams ?? []).filter((name) => !plan.streams.some((s) => s.name === name));
  if (unknown.length) {
    const error = new LedgersyncError('unknown_stream', 'config', `pipeline ${plan.name} has no stream ${unknown.map((u) => `'${u}'`).join(', ')}`, {
      fix: `use one of: ${plan.streams.map((s) => s.name).join(', ')}`,
    });
    return stopped('invalid', plan.name, error);
  }
  const selected = options.streams?.length ? plan.streams.filter((s) => options.streams!.includes(s.name)) : plan.streams;
  const log = options.log ?? createLogger();
  try {
    return await withState(options.statePath, async (state) => {
      const report: PlanReport = {
        status: 'planned',
        exitCode: EXIT.ok,
        pipeline: plan.name,
        streams: Object.fromEntries(selected.map((s) => [s.name, emptyPlanCounts()])),
        changes: [],
        notes: [],
      };
      try {
        await planStreams({ options, env, plan, selected, state, log, report });
      } catch (error) {
        const fatal = asLedgersyncError(error);
        log.error(fatal.actionable);
        return { ...report, status: 'failed', exitCode: exitCodeFor({ error: fatal }), error: errorSummary(fatal) };
      }
      const failing = Object.values(report.streams).reduce((n, c) => n + c.fail, 0);
      return { ...report, exitCode: failing ? EXIT.recordsFailed : EXIT.ok };
    });
  } catch (error) {
    return stopped('failed', plan.name, asLedgersyncError(error));
  } finally {
    await closeHttpAgent();
  }
}

interface PlanInput {
  options: PlanOptions;
  env: Record<string, string | undefined>;
  plan: Plan;
  selected: readonly StreamPlan[];
  state: StateStore;
  log: Logger;
  report: PlanReport;
}

/** The state's key/value store for reading, with writes kept in memory: a plan changes nothing. */
function readOnlyKeyValue(kv: KeyValueStore): KeyValueStore {
  const written = new Map<string, unknown>();
  const deleted = new Set<string>();
  return {
    get: <T>(key: string) => (written.has(key) ? (written.get(key) as T) : deleted.has(key) ? undefined : kv.get<T>(key)),
    set: (key, value) => {
      deleted.delete(key);
      written.set(key, value);
    },
    delete: (key) => {
      written.delete(key);
      deleted.add(key);
    },
    transaction: (fn) => fn(),
  };
}

async function planStreams(input: PlanInput): Promise<void> {
  const { plan, state, options, log, report } = input;
  const signal = options.signal ?? new AbortController().signal;
  const now = options.now ?? (() => Math.floor(Date.now() / 1000));
  assertTokensCanBeKept(plan, state, input.env['LEDGERSYNC_SECRET_KEY'], log);
  const { source, sink } = createConnectors(plan, options.connectors, log, signal);
  const planned = new Map<string, string>();
  const base = sinkContext({ plan, state, runId: 'plan', log: log.child('sink'), signal, now, secretKey: input.env['LEDGERSYNC_SECRET_KEY'] });
  const sinkCtx: SinkContext = {
    ...base,
    kv: readOnlyKeyValue(base.kv),
    // A record created earlier in this plan has no target id yet: references to it resolve to a placeholder.
    resolveTarget: (stream, sourceId) => base.resolveTarget(stream, sourceId) ?? planned.get(`${stream}\u0000${sourceId}`),
  };
  const bindings = createBindings({ options: plan.options, lookups: plan.lookups, timezone: plan.timezone, resolveTarget: sinkCtx.resolveTarget });
  const requests = input.selected.map((stream) => readRequest(plan, stream, options.fullRefresh ? undefined : checkpointFor(state, plan, stream)));
  if (!sink.plan) {
    report.notes.push(
      `the ${plan.sink.config.connector} sink cannot look documents up: actions are decided from the ledger alone (a document already in the target is found only by the run)`,
    );
  }
  try {
    await source.open?.({ log: log.child('source'), signal, now }, requests);
    for (const [i, stream] of input.selected.entries()) {
      const remap = requests[i]!.checkpoint === undefined;
      const drift = remap ? undefined : mappingDrift(state, plan, stream, streamFingerprint(plan, stream));
      if (drift) {
        report.notes.push(
          `the mapping of stream ${stream.name} changed since ${drift.documents} document(s) were written${drift.changed.length ? ` (${drift.changed.join(', ')})` : ''}: this plan covers only what changed in the source since the last run; plan with --full-refresh to see its effect on what was written`,
        );
      }
      const planner = new StreamPlanner({ plan, stream, state, sink, sinkCtx, bindings, report, planned, remap });
      for await (const page of source.read(requests[i]!, { log: log.child('source'), signal, now })) await planner.planPage(page.records);
      await planner.planDeadLetters();
    }
  } finally {
    await source.close?.();
  }
}

interface StreamPlannerInput {
  plan: Plan;
  stream: StreamPlan;
  state: StateStore;
  sink: Sink;
  sinkCtx: SinkContext;
  bindings: Record<string, unknown>;
  report: PlanReport;
  /** Target ids (or placeholders) of records this plan would create or adopt, by `stream\0sourceId`. */
  planned: Map<string, string>;
  remap: boolean;
}

interface Candidate {
  record: PlanningRecord;
  /** The payload the ledger kept of the last write. */
  last: { object?: string; action?: string; data?: Record<string, unknown> } | undefined;
}

/** One stream's plan: the run's decisions (StreamWriter) up to the sink call, then the sink's read-only answer. */
class StreamPlanner {
  private readonly counts: PlanCounts;
  /** Source ids read afresh: their dead letters would not be retried from the stored copy. */
  private readonly read = new Set<string>();

  constructor(private readonly input: StreamPlannerInput) {
    this.counts = input.report.streams[input.stream.name]!;
  }

  private alreadyProcessed(record: SourceRecord): boolean {
    const entry = this.input.state.getLedger(this.input.plan.name, this.input.stream.name, record.id);
    if (record.version === undefined || !entry || entry.pendingWrite || entry.sourceVersion === null) return false;
    const order = compareVersions(record.version, entry.sourceVersion);
    return this.input.remap ? order < 0 : order <= 0;
  }

  async planDeadLetters(): Promise<void> {
    const { state, plan, stream } = this.input;
    const letters = state.deadLetters(plan.name, stream.name).filter((l) => !this.read.has(l.sourceId));
    const records: SourceRecord[] = letters.map((l) => ({
      id: l.sourceId,
      ...(l.sourceVersion ? { version: l.sourceVersion } : {}),
      deleted: l.deleted,
      data: l.record,
    }));
    for (let i = 0; i < records.length; i += 100) await this.planPage(records.slice(i, i + 100));
  }

  async planPage(records: readonly SourceRecord[]): Promise<void> {
    const { plan, stream, state } = this.input;
    const candidates: Candidate[] = [];
    const seen = new Set<string>();
    for (const record of records) {
      if (seen.has(record.id) || this.alreadyProcessed(record)) {
        this.counts.skip++;
        continue;
      }
      seen.add(record.id);
      this.read.add(record.id);
      let outcome: Awaited<ReturnType<typeof mapRecord>>;
      try {
        outcome = await mapRecord(stream, record, this.input.bindings);
      } catch (error) {
        this.add({ stream: stream.name, sourceId: record.id, action: 'fail', error: errorSummary(asLedgersyncError(error, 'record')) });
        continue;
      }
      if (outcome.kind === 'filtered') this.counts.skip++;
      else this.counts.skip += outcome.skipped.length;
      const produced = outcome.kind === 'filtered' ? [] : outcome.records;
      if (stream.removedParts) {
        const stored = state.partEntries(plan.name, stream.name, [record.id]).get(record.id);
        for (const removed of stored ? retractions(stream, stream.removedParts, record, outcome, stored) : [])
          candidates.push({ last: undefined, record: { ...removed.record, wantCurrent: true } });
      }
      for (const mapped of produced) {
        const hash = contentHash({ object: mapped.object, action: mapped.action, data: mapped.data });
        const previous = state.getLedger(plan.name, stream.name, mapped.sourceId);
        if (previous && !previous.pendingWrite && previous.contentHash === hash && previous.targetId !== null) {
          this.counts.skip++;
          continue;
        }
        const hasTarget = Boolean(previous?.targetId);
        const last = hasTarget ? (state.lastPayload(plan.name, stream.name, mapped.sourceId) as Candidate['last']) : undefined;
        candidates.push({
          last,
          record: {
            stream: stream.name,
            object: mapped.object,
            sourceId: mapped.sourceId,
            ...(record.version !== undefined ? { sourceVersion: record.version } : {}),
            deleted: record.deleted,
            action: mapped.action,
            data: mapped.data,
            ...(mapped.naturalKey !== undefined ? { naturalKey: mapped.naturalKey } : {}),
            contentHash: hash,
            ...(previous ? { previous } : {}),
            ...(hasTarget && last === undefined ? { wantCurrent: true } : {}),
          },
        });
      }
    }
    const size = Math.max(1, this.input.sink.maxBatchSize ?? 100);
    for (let i = 0; i < candidates.length; i += size) {
      const chunk = candidates.slice(i, i + size);
      const answers = await this.decide(chunk.map((c) => c.record));
      for (const [index, candidate] of chunk.entries()) this.record(candidate, answers[index]!);
    }
  }

  private async decide(records: PlanningRecord[]): Promise<PlannedWrite[]> {
    const { sink, sinkCtx } = this.input;
    if (!sink.plan) return records.map(ledgerOnly);
    const answers = await sink.plan(records, sinkCtx);
    if (answers.length !== records.length) {
      throw new LedgersyncError('sink_result_mismatch', 'system', `sink ${sinkCtx.pipeline} planned ${answers.length} results for ${records.length} records`);
    }
    return answers;
  }

  private record(candidate: Candidate, answer: PlannedWrite): void {
    const { record } = candidate;
    const base = { stream: record.stream, sourceId: record.sourceId, object: record.object };
    if (answer.action === 'fail') {
      this.add({ ...base, action: 'fail', error: errorSummary(answer.error) });
      return;
    }
    const target = answer.targetId ?? record.previous?.targetId ?? undefined;
    const note = answer.note ? { note: answer.note } : {};
    if (answer.action === 'skip') {
      this.counts.skip++;
      return;
    }
    if (answer.action === 'create' || answer.action === 'adopt') {
      this.input.planned.set(`${record.stream}\u0000${record.sourceId}`, target ?? `(new ${record.object} for ${record.stream} ${record.sourceId})`);
    }
    if (answer.action === 'update') {
      this.add({ ...base, action: 'update', ...(target ? { targetId: target } : {}), ...note, ...this.diffOf(candidate, answer.current) });
      return;
    }
    const payload = answer.action === 'create' || (answer.action === 'void' && !target) ? { payload: record.data } : {};
    this.add({ ...base, action: answer.action, ...(target ? { targetId: target } : {}), ...payload, ...note });
  }

  private diffOf(candidate: Candidate, current: Record<string, unknown> | undefined): { diff: FieldChange[] } | { note: string } {
    const { record, last } = candidate;
    if (last?.data) {
      // The ledger's copy has secrets masked: compare it with the new payload masked the same way.
      const masked = JSON.parse(maskedPayload(JSON.stringify(record.data))) as Record<string, unknown>;
      const diff = diffRecords(last.data, masked);
      if (last.object !== undefined && last.object !== record.object) diff.unshift({ path: '_object', before: last.object, after: record.object });
      if (last.action !== undefined && last.action !== record.action) diff.unshift({ path: '_action', before: last.action, after: record.action });
      return { diff };
    }
    if (current) return { diff: diffAgainstCurrent(current, record.data) };
    return { note: 'no copy of the last payload was kept (written before ledgersync kept them), and the target could not be read for a diff' };
  }

  private add(change: PlannedChange): void {
    this.counts[change.action]++;
    this.input.report.changes.push(change);
  }
}

/** A sink that cannot look anything up: the ledger decides. A delete or void of what it never wrote is nothing to do. */
function ledgerOnly(record: PlanningRecord): PlannedWrite {
  const targetId = record.previous?.targetId ?? undefined;
  const known = targetId ? { targetId } : {};
  if (record.action === 'delete' || record.action === 'void') return targetId ? { action: record.action, ...known } : { action: 'skip' };
  return targetId ? { action: 'update', ...known } : { action: 'create' };
}
