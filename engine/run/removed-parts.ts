/**
 * A stream's `removed_parts:` — a part (`<id>#<part>`) written for an earlier version of its record
 * that the record no longer maps to (a credit note's allocation removed or moved in the source) is
 * voided or deleted in the sink, through the target the ledger holds. Shared by the run and `plan`.
 */
import type { StreamPlan } from '../config/plan.js';
import type { LedgerEntry, SinkRecord, SourceRecord } from '../connector/types.js';
import type { PartEntry } from '../state/store.js';
import { canonicalOfMapped, hashOfCanonical, stableStringify } from '../transform/hash.js';
import { getPath, type MapOutcome } from '../transform/mapper.js';

/** A retraction for the sink, with the canonical payload the ledger keeps of it. */
export interface RemovedPart {
  record: SinkRecord;
  /** `{ action, data, object }` as canonical JSON. */
  canonical: string;
}

/**
 * The part ids `record` keeps after this mapping: those it produced or marked skip; none when the
 * stream's filter left it out; every one (undefined) when nothing was decided about its parts: it is
 * dated before the pipeline's start_date, or its mapping skipped it whole (`_action: "skip"`).
 */
function keptIds(record: SourceRecord, outcome: MapOutcome): ReadonlySet<string> | undefined {
  if (outcome.kind === 'filtered') return outcome.beforeStart ? undefined : new Set();
  if (outcome.skipped.includes(record.id)) return undefined;
  return new Set([...outcome.records.map((r) => r.sourceId), ...outcome.skipped]);
}

/**
 * A stored part that reached the sink (it has a target), or whose write is in doubt with a known
 * payload (its look-up key finds it): one that never reached the sink has nothing to retract.
 */
function retractable(part: PartEntry): boolean {
  return part.targetId !== null || (part.pendingWrite && Boolean(part.payloadJson));
}

/**
 * The sink records that retract, under `action`, `record`'s stored parts its mapping no longer keeps
 * (see keptIds) and that are retractable. A part is retracted once: its content hash is then the
 * retraction's. The payload sent is the one last written or attempted, under the new action.
 */
export function retractions(
  stream: StreamPlan,
  action: NonNullable<StreamPlan['removedParts']>,
  record: SourceRecord,
  outcome: MapOutcome,
  stored: readonly PartEntry[],
): RemovedPart[] {
  const kept = keptIds(record, outcome);
  if (!kept) return [];
  const removed: RemovedPart[] = [];
  for (const part of stored) {
    if (kept.has(part.sourceId) || !retractable(part)) continue;
    const last = part.payloadJson ? (JSON.parse(part.payloadJson) as { object?: string; data?: Record<string, unknown> }) : {};
    const object = last.object ?? stream.target.object;
    const data = last.data ?? {};
    const dataJson = stableStringify(data);
    const canonical = canonicalOfMapped(object, action, dataJson);
    const contentHash = hashOfCanonical(canonical);
    if (part.contentHash === contentHash) continue;
    const { payloadJson: _payload, ...previous } = part;
    const key = stream.target.key === undefined ? undefined : getPath(data, stream.target.key);
    removed.push({
      canonical,
      record: {
        stream: stream.name,
        object,
        sourceId: part.sourceId,
        ...(record.version !== undefined ? { sourceVersion: record.version } : {}),
        deleted: record.deleted,
        action,
        data,
        ...(key !== undefined && key !== null && key !== '' ? { naturalKey: String(key) } : {}),
        contentHash,
        dataJson,
        previous: previous satisfies LedgerEntry,
      },
    });
  }
  return removed;
}
