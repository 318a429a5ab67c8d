/**
 * `ledgersync show <pipeline> <source-id>`: what the ledger knows of one source record, per stream —
 * the target object and id, the source version and time last written, the content hash, the mapping
 * it was written with, the payload last sent, every write operation with its outcome, and its dead
 * letter. Reads the state only: no lock, no network.
 */
import { noStateAt, printableLocation } from '../state/driver.js';
import { redact } from '../log.js';
import { ConfigError, LedgersyncError, errorSummary, formatProblem } from '../errors.js';
import { EXIT, exitCodeFor, type ExitCode } from '../exit-codes.js';
import { loadPipeline } from '../config/load.js';
import type { Plan, StreamPlan } from '../config/plan.js';
import type { ConnectorRegistry } from '../connector/registry.js';
import type { DeadLetter, LedgerRecordView, OperationRecord, StateStore } from '../state/store.js';
import { streamFingerprint } from '../transform/fingerprint.js';
import { withState } from './lifecycle.js';

export interface ShowOptions {
  connectors: ConnectorRegistry;
  pipelinePath: string;
  statePath: string;
  sourceId: string;
  /** Only this stream. Default: every stream that knows the id. */
  stream?: string | undefined;
  json: boolean;
  out: NodeJS.WritableStream;
}

const iso = (seconds: number | null | undefined) => (seconds ? new Date(seconds * 1000).toISOString() : null);

interface StreamView {
  records: LedgerRecordView[];
  /** Each record's target object, by source id. */
  objects: ReadonlyMap<string, string>;
  operations: OperationRecord[];
  deadLetter: DeadLetter | undefined;
  currentFingerprint: string;
}

export async function showRecord(options: ShowOptions): Promise<ExitCode> {
  const { out, json } = options;
  const fail = (error: LedgersyncError): ExitCode => {
    out.write(json ? JSON.stringify({ error: errorSummary(error) }) + '\n' : redact(`error: ${error.message}${error.fix ? `\nfix: ${error.fix}` : ''}`) + '\n');
    return exitCodeFor({ error });
  };
  const loaded = await loadPipeline(options.pipelinePath, { env: process.env, mode: 'validate', connectorsDir: options.connectors.descriptorsDir });
  if (!loaded.plan) {
    if (json) return fail(new ConfigError(loaded.problems.filter((p) => p.severity === 'error')));
    for (const p of loaded.problems) out.write(formatProblem(p) + '\n');
    return EXIT.config;
  }
  const plan = loaded.plan;
  const names = plan.streams.map((s) => s.name);
  if (options.stream !== undefined && !names.includes(options.stream)) {
    return fail(
      new LedgersyncError('unknown_stream', 'config', `pipeline ${plan.name} has no stream '${options.stream}'`, { fix: `use one of: ${names.join(', ')}` }),
    );
  }
  if (noStateAt(options.statePath)) {
    return fail(
      new LedgersyncError(
        'unknown_record',
        'config',
        `pipeline ${plan.name} has no state at ${printableLocation(options.statePath)} (never run), so no record is known`,
        {
          fix: 'give the --state the pipeline runs with (or LEDGERSYNC_STATE)',
        },
      ),
    );
  }
  return withState(options.statePath, (state) => {
    const streams = options.stream !== undefined ? [options.stream] : state.streamsHolding(plan.name, options.sourceId).filter((s) => names.includes(s));
    const views = new Map<string, StreamView>();
    for (const stream of streams) {
      const view = viewOf(state, plan, stream, options.sourceId);
      if (view.records.length || view.deadLetter || view.operations.length) views.set(stream, view);
    }
    if (!views.size) return fail(notFound(state, plan, options.sourceId, options.stream));
    out.write(json ? JSON.stringify(showJson(plan, options.sourceId, views)) + '\n' : formatShow(plan, options.sourceId, views));
    return EXIT.ok;
  });
}

function viewOf(state: StateStore, plan: Plan, stream: string, sourceId: string): StreamView {
  const streamPlan = plan.streams.find((s) => s.name === stream)!;
  const records = state.recordHistory(plan.name, sourceId, stream);
  return {
    records,
    objects: targetObjects(state, plan.name, streamPlan, sourceId, records),
    operations: state.operationsOf(plan.name, stream, sourceId),
    deadLetter: state.deadLetters(plan.name, stream).find((d) => d.sourceId === sourceId),
    currentFingerprint: streamFingerprint(plan, streamPlan).fingerprint,
  };
}

/** "no record X": with the ids written next to it in each stream, so a typo shows itself. */
function notFound(state: StateStore, plan: Plan, sourceId: string, only: string | undefined): LedgersyncError {
  const streams = only !== undefined ? [only] : plan.streams.map((s) => s.name);
  const known = streams
    .map((stream) => ({ stream, ...state.neighbourIds(plan.name, stream, sourceId) }))
    .filter((s) => s.count > 0)
    .map((s) => `${s.stream} (${s.count} record(s)${s.ids.length ? `; next to it: ${s.ids.join(', ')}` : ''})`);
  return new LedgersyncError(
    'unknown_record',
    'config',
    `the ledger of pipeline ${plan.name} has no record '${sourceId}'${only !== undefined ? ` in stream ${only}` : ''}`,
    {
      fix: known.length
        ? `give a source id the ledger holds: ${known.join('; ')}`
        : 'no record has been written yet: run the pipeline first (a record that never reached the ledger has no history)',
    },
  );
}

/** The payload kept is `{object, action, data}`; older entries have none. */
function payloadParts(payload: unknown): { object?: string; action?: string; data?: unknown } {
  return payload && typeof payload === 'object' ? (payload as { object?: string; action?: string; data?: unknown }) : {};
}

/**
 * Each record's target object. The payload the ledger keeps names it, but only a record the run
 * created or updated has one: for one it adopted or found already written, the last audit entry that
 * reached its target names it, else the stream's `target.object`.
 */
function targetObjects(state: StateStore, pipeline: string, stream: StreamPlan, sourceId: string, records: LedgerRecordView[]): Map<string, string> {
  const unnamed = records.some((r) => payloadParts(r.payload).object === undefined);
  const trail = unnamed ? state.audit.entries(pipeline, { sourceId, stream: stream.name }) : [];
  return new Map(
    records.map((r) => {
      const fromTrail = trail.findLast((e) => e.sourceId === r.sourceId && e.targetId !== null && e.targetId === r.targetId)?.object;
      return [r.sourceId, payloadParts(r.payload).object ?? fromTrail ?? stream.target.object];
    }),
  );
}

function showJson(plan: Plan, sourceId: string, views: Map<string, StreamView>): Record<string, unknown> {
  return {
    pipeline: plan.name,
    source_id: sourceId,
    streams: Object.fromEntries(
      [...views].map(([stream, view]) => [
        stream,
        {
          records: view.records.map((r) => {
            const payload = payloadParts(r.payload);
            return {
              source_id: r.sourceId,
              target_object: view.objects.get(r.sourceId) ?? null,
              target_id: r.targetId,
              target_version: r.targetVersion,
              source_version: r.sourceVersion,
              written_at: iso(r.writtenAt),
              content_hash: r.contentHash,
              mapping_fingerprint: r.mappingFingerprint,
              current_mapping: r.mappingFingerprint === null ? null : r.mappingFingerprint === view.currentFingerprint,
              pending_write: r.pendingWrite,
              action: payload.action ?? null,
              payload: payload.data ?? null,
            };
          }),
          operations: view.operations.map((o) => ({
            run_id: o.runId,
            source_id: o.sourceId,
            action: o.action,
            status: o.status,
            outcome: o.outcome,
            target_id: o.targetId,
            started_at: iso(o.startedAt),
            finished_at: iso(o.finishedAt),
            ...(o.error ? { error: o.error } : {}),
          })),
          dead_letter: view.deadLetter
            ? {
                code: view.deadLetter.errorCode,
                kind: view.deadLetter.errorKind,
                message: view.deadLetter.message,
                fix: view.deadLetter.fix,
                attempts: view.deadLetter.attempts,
                source_version: view.deadLetter.sourceVersion,
                last_run_id: view.deadLetter.lastRunId,
                updated_at: iso(view.deadLetter.updatedAt),
              }
            : null,
        },
      ]),
    ),
  };
}

function indent(text: string, by: string): string {
  return text
    .split('\n')
    .map((line) => by + line)
    .join('\n');
}

function formatShow(plan: Plan, sourceId: string, views: Map<string, StreamView>): string {
  const out: string[] = [`pipeline ${plan.name}, source record ${sourceId}`];
  for (const [stream, view] of views) {
    out.push('', `stream ${stream}`);
    for (const r of view.records) {
      const payload = payloadParts(r.payload);
      const target = r.targetId
        ? `${view.objects.get(r.sourceId) ?? 'target'} ${r.targetId}${r.targetVersion ? ` (version ${r.targetVersion})` : ''}`
        : 'not in the target';
      out.push(`  ${r.sourceId} → ${target}`);
      out.push(`    source version ${r.sourceVersion ?? '-'}, last written ${iso(r.writtenAt) ?? '-'}, content hash ${r.contentHash ?? '-'}`);
      const mapping =
        r.mappingFingerprint === null ? 'not recorded' : r.mappingFingerprint === view.currentFingerprint ? 'the current one' : 'another than the current one';
      out.push(`    mapping: ${mapping}${r.pendingWrite ? '; a write is unconfirmed (the next run looks it up first)' : ''}`);
      if (payload.data !== undefined)
        out.push(`    last payload sent (${payload.action ?? 'upsert'}):`, indent(JSON.stringify(payload.data, null, 2), '      '));
    }
    if (view.operations.length) out.push('  operations:');
    for (const o of view.operations) {
      const error = o.error ? ` [${String(o.error['code'] ?? '')}] ${String(o.error['message'] ?? '')}` : '';
      out.push(`    ${iso(o.startedAt)}  run ${o.runId}  ${o.sourceId} ${o.action} → ${o.outcome ?? o.status}${o.targetId ? ` ${o.targetId}` : ''}${error}`);
    }
    const d = view.deadLetter;
    out.push(d ? `  dead letter: [${d.errorCode}] ${d.message}${d.fix ? ` — fix: ${d.fix}` : ''} (attempts ${d.attempts})` : '  dead letter: none');
  }
  return out.join('\n') + '\n';
}
