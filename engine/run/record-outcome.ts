/**
 * What became of one source record in a run, read back from that run's audit entries and dead
 * letters: for `ledgersync replay`'s report and the webhook queue's record of each event.
 */
import type { ErrorSummary } from '../errors.js';
import type { StateStore } from '../state/store.js';

export type RecordOutcomeKind = 'created' | 'updated' | 'unchanged' | 'failed' | 'not_found';

export interface RecordOutcome {
  stream: string;
  sourceId: string;
  /** `unchanged`: nothing was sent (the mapped record did not change, the filter dropped it, or a newer version was already written). */
  outcome: RecordOutcomeKind;
  targetIds: string[];
  error?: ErrorSummary;
}

/** The outcomes of records of one stream in one run; `found` says whether the record was there to write. */
export function recordOutcomes(
  state: StateStore,
  pipeline: string,
  runId: string,
  stream: string,
  records: ReadonlyArray<{ sourceId: string; found: boolean }>,
): RecordOutcome[] {
  const letters = new Map(
    state
      .deadLetters(pipeline, stream)
      .filter((d) => d.lastRunId === runId)
      .map((d) => [d.sourceId, d]),
  );
  return records.map(({ sourceId, found }) => {
    const base = { stream, sourceId };
    const letter = letters.get(sourceId);
    const written = state.audit.entries(pipeline, { runId, stream, sourceId });
    const targetIds = [...new Set(written.flatMap((e) => (e.targetId ? [e.targetId] : [])))];
    if (letter) {
      const error = { code: letter.errorCode, kind: letter.errorKind, message: letter.message, ...(letter.fix ? { fix: letter.fix } : {}) } as ErrorSummary;
      return { ...base, outcome: 'failed', targetIds, error };
    }
    if (!found) return { ...base, outcome: 'not_found', targetIds };
    if (written.some((e) => e.outcome === 'created')) return { ...base, outcome: 'created', targetIds };
    if (written.some((e) => e.outcome === 'updated')) return { ...base, outcome: 'updated', targetIds };
    const known = state.targetIdOf(pipeline, stream, sourceId);
    return { ...base, outcome: 'unchanged', targetIds: targetIds.length ? targetIds : known ? [known] : [] };
  });
}
