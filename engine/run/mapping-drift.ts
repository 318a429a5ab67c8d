/**
 * Documents written with another mapping than the pipeline's current one: what `run` and `status`
 * say once per stream after a mapping, lookup table, option or payload setting was edited.
 */
import { displayPath } from '../config/descriptors.js';
import type { Plan, StreamPlan } from '../config/plan.js';
import type { StateStore } from '../state/store.js';
import { changedParts, streamFingerprint, type FingerprintComponents, type StreamFingerprint } from '../transform/fingerprint.js';

export interface MappingDrift {
  stream: string;
  /** Documents in the target written with another mapping. */
  documents: number;
  /** What differs from the mapping most of them were written with (`options.customer_display_name`, `lookups.gl_accounts`…). */
  changed: string[];
}

/** The drift of one stream against its current fingerprint; undefined when every document was written with it. */
export function mappingDrift(state: StateStore, plan: Plan, stream: StreamPlan, current: StreamFingerprint): MappingDrift | undefined {
  const others = state.otherMappings(plan.name, stream.name, current.fingerprint);
  const documents = others.reduce((n, o) => n + o.count, 0);
  if (documents === 0) return undefined;
  const before = state.fingerprintComponents(plan.name, stream.name, others[0]!.fingerprint) as FingerprintComponents | undefined;
  return { stream: stream.name, documents, changed: before ? changedParts(before, current.components) : [] };
}

/** Every selected stream's drift, by stream name. */
export function mappingDrifts(state: StateStore, plan: Plan, streams: readonly StreamPlan[]): Record<string, MappingDrift> {
  const out: Record<string, MappingDrift> = {};
  for (const stream of streams) {
    const drift = mappingDrift(state, plan, stream, streamFingerprint(plan, stream));
    if (drift) out[stream.name] = drift;
  }
  return out;
}

/** One line a person reads: what changed, how many documents, and the command that shows the effect. */
export function describeDrift(plan: Plan, drift: MappingDrift, options: { remapping: boolean }): string {
  const what = drift.changed.length ? ` (${drift.changed.join(', ')})` : '';
  const head = `the mapping of stream ${drift.stream} changed${what} since ${drift.documents} document(s) were written`;
  if (options.remapping) return `${head}: this run maps them again and updates those whose output changed`;
  return `${head}: \`ledgersync plan ${displayPath(plan.file)} --stream ${drift.stream} --full-refresh\` shows what would change, \`ledgersync run … --full-refresh\` applies it`;
}
