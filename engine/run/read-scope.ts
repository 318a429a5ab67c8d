/**
 * A stream's cursor only means something for the read that saved it. A consultant who points a
 * stream at another endpoint, changes its params (a filter) or moves start_date keeps the stream's
 * name, and the old cursor would skip every older record of the new read for good. The checkpoint is
 * saved with the scope it was read under; a checkpoint of another scope is not used, and the stream
 * is read from the start (the ledger skips what it already holds, so nothing is written twice).
 */
import type { Plan, StreamPlan } from '../config/plan.js';
import type { Logger } from '../log.js';
import type { StateStore } from '../state/store.js';
import { sha256Hex, stableStringify } from '../transform/hash.js';

/** What a stream is read with, as a short hash. */
export function readScope(plan: Plan, stream: StreamPlan): string {
  return sha256Hex(stableStringify({ endpoint: stream.endpoint, params: stream.params, start_date: plan.startDate ?? null })).slice(0, 16);
}

/** The stream's checkpoint when it was saved under the current read scope (or before scopes were kept); else undefined, said on `log`. */
export function checkpointFor(state: StateStore, plan: Plan, stream: StreamPlan, log?: Logger): unknown {
  const saved = state.readCheckpoint(plan.name, stream.name);
  if (!saved) return undefined;
  if (saved.scope === null || saved.scope === readScope(plan, stream)) return saved.value;
  log?.warn(
    `${stream.name}: its endpoint, params or start_date changed since its cursor was saved: read from the start, so no record of the new read is skipped (what the ledger holds is not written again)`,
  );
  return undefined;
}
