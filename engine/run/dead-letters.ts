/**
 * Dead letters as a person works through them: grouped by cause (code and fix), with counts and a
 * few example ids, and the records that only wait for another record (`reference_not_synced`)
 * listed under the failure that blocks them instead of as causes of their own.
 */
import type { DeadLetter } from '../state/store.js';

export interface DeadLetterRef {
  stream: string;
  source_id: string;
}

export interface BlockedRecord extends DeadLetterRef {
  /** The record it points at, which has not reached the target. */
  blocked_by: DeadLetterRef;
}

/** One cause, as `status`, `status --json` and `run --json` report it (snake_case, like every --json output). */
export interface DeadLetterCause {
  code: string;
  kind: string;
  /** The fix shared by every record of the cause. */
  fix: string | null;
  /** The first record's message (the others differ by id or value). */
  message: string;
  /** Records failed for this cause. */
  count: number;
  streams: string[];
  records: DeadLetterRef[];
  /** Records waiting for one of `records` (directly or through another waiting record). */
  blocked: BlockedRecord[];
}

const key = (stream: string, sourceId: string) => `${stream}\u0000${sourceId}`;
const refOf = (d: DeadLetter): DeadLetterRef => ({ stream: d.stream, source_id: d.sourceId });

/** The record a `reference_not_synced` dead letter waits for, from its details. */
export function blockerOf(letter: DeadLetter): DeadLetterRef | undefined {
  if (letter.errorCode !== 'reference_not_synced') return undefined;
  const stream = letter.details['stream'];
  const sourceId = letter.details['sourceId'];
  return typeof stream === 'string' && typeof sourceId === 'string' && sourceId !== '' ? { stream, source_id: sourceId } : undefined;
}

/**
 * Groups dead letters by cause, largest first. A record waiting for a record that is itself a dead
 * letter is listed under the cause of the first record in its chain that failed for a reason of
 * its own; one waiting for a record that is not a dead letter (filtered out, never read) stays a
 * cause, grouped by the stream it waits for.
 */
export function groupDeadLetters(letters: readonly DeadLetter[]): DeadLetterCause[] {
  const byKey = new Map(letters.map((d) => [key(d.stream, d.sourceId), d]));
  const rootOf = (letter: DeadLetter): DeadLetter => {
    const seen = new Set<DeadLetter>();
    let current = letter;
    for (;;) {
      seen.add(current);
      const blocker = blockerOf(current);
      const next = blocker && byKey.get(key(blocker.stream, blocker.source_id));
      if (!next || seen.has(next)) return current;
      current = next;
    }
  };
  const causes = new Map<string, DeadLetterCause>();
  const causeOf = (root: DeadLetter): DeadLetterCause => {
    const waitingFor = blockerOf(root);
    const causeKey = waitingFor ? `${root.errorCode}\u0000${waitingFor.stream}` : `${root.errorCode}\u0000${root.fix ?? ''}`;
    let cause = causes.get(causeKey);
    if (!cause) {
      cause = {
        code: root.errorCode,
        kind: root.errorKind,
        fix: waitingFor
          ? `the ${waitingFor.stream} records they point to are not in the target and not waiting as dead letters (filtered out, deleted, before start_date, or not read yet): sync those records, then run again`
          : root.fix,
        message: root.message,
        count: 0,
        streams: [],
        records: [],
        blocked: [],
      };
      causes.set(causeKey, cause);
    }
    return cause;
  };
  for (const letter of letters) {
    const root = rootOf(letter);
    const cause = causeOf(root);
    if (root === letter) {
      cause.count++;
      cause.records.push(refOf(letter));
      if (!cause.streams.includes(letter.stream)) cause.streams.push(letter.stream);
    } else {
      cause.blocked.push({ ...refOf(letter), blocked_by: blockerOf(letter)! });
    }
  }
  return [...causes.values()].sort((a, b) => b.count + b.blocked.length - (a.count + a.blocked.length) || a.code.localeCompare(b.code));
}

export interface CauseFilter {
  /** Causes with a failed or blocked record of this stream. */
  stream?: string | undefined;
  /** Causes of this error code. */
  code?: string | undefined;
}

export function filterCauses(causes: readonly DeadLetterCause[], filter: CauseFilter): DeadLetterCause[] {
  return causes.filter(
    (c) =>
      (filter.code === undefined || c.code === filter.code) &&
      (filter.stream === undefined || c.records.some((r) => r.stream === filter.stream) || c.blocked.some((r) => r.stream === filter.stream)),
  );
}

/** Up to `limit` ids of a list, then how many more: `inv_1, inv_2, inv_3 and 2 more`. */
function someIds(refs: readonly DeadLetterRef[], limit: number, withStream: boolean): string {
  const shown = refs.slice(0, limit).map((r) => (withStream ? `${r.stream} ${r.source_id}` : r.source_id));
  return refs.length > limit ? `${shown.join(', ')} and ${refs.length - limit} more` : shown.join(', ');
}

/**
 * The text `status` and `run` print: one block per cause with its count, fix and example ids, and
 * under it the records it blocks, per blocking record.
 * @param limit example ids listed per cause and per blocking record (default 3)
 */
export function formatCauses(causes: readonly DeadLetterCause[], limit = 3): string[] {
  const lines: string[] = [];
  for (const cause of causes) {
    const streams = cause.streams.join(', ');
    lines.push(
      `  [${cause.code}] ${cause.count} ${streams} record(s)${cause.blocked.length ? `, blocking ${cause.blocked.length} more` : ''}: ${cause.message}`,
    );
    if (cause.fix) lines.push(`    fix: ${cause.fix}`);
    const byStream = new Map<string, DeadLetterRef[]>();
    for (const r of cause.records) byStream.set(r.stream, [...(byStream.get(r.stream) ?? []), r]);
    for (const [stream, refs] of byStream) lines.push(`    ${stream}: ${someIds(refs, limit, false)}`);
    const byBlocker = new Map<string, BlockedRecord[]>();
    for (const b of cause.blocked) {
      const k = key(b.blocked_by.stream, b.blocked_by.source_id);
      byBlocker.set(k, [...(byBlocker.get(k) ?? []), b]);
    }
    const blockers = [...byBlocker.values()];
    for (const blocked of blockers.slice(0, limit)) {
      const by = blocked[0]!.blocked_by;
      lines.push(`      ${by.stream} ${by.source_id} blocks ${blocked.length}: ${someIds(blocked, limit, true)}`);
    }
    if (blockers.length > limit) lines.push(`      and ${blockers.length - limit} more blocking record(s)`);
  }
  return lines;
}
