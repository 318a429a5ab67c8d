/**
 * The hash chain of the audit trail, as pure functions: each sealed entry's hash covers every field
 * of the entry and the hash of the entry before it, so an entry edited, deleted or inserted after
 * the fact no longer fits the chain. Tested without SQLite.
 */
import { sha256Hex } from '../transform/hash.js';

/** `prev_hash` of a pipeline's first entry. */
export const GENESIS_HASH = '0'.repeat(64);

/** The columns of a sealed audit entry that its hash covers (the column names of `audit_log`). */
export interface ChainedFields {
  seq: number;
  pipeline: string;
  run_id: string;
  trigger: string;
  stream: string;
  source_id: string;
  source_version: string | null;
  object: string;
  action: string;
  outcome: string;
  target_id: string | null;
  target_version: string | null;
  payload_kind: string;
  payload_hash: string;
  payload_json: string;
  answer_json: string | null;
  started_at: string;
  finished_at: string | null;
  prev_hash: string;
}

export const CHAINED_COLUMNS: readonly (keyof ChainedFields)[] = [
  'seq',
  'pipeline',
  'run_id',
  'trigger',
  'stream',
  'source_id',
  'source_version',
  'object',
  'action',
  'outcome',
  'target_id',
  'target_version',
  'payload_kind',
  'payload_hash',
  'payload_json',
  'answer_json',
  'started_at',
  'finished_at',
  'prev_hash',
];

/**
 * sha256 over every chained column in a fixed order, each as `name:byte length:value` (or
 * `name=null`), so no two entries hash alike by moving text between columns, and the payload copy is
 * hashed as stored instead of being escaped once more.
 */
export function entryHash(fields: ChainedFields): string {
  // One string hashed once: the same bytes as feeding the parts one by one, at a fraction of the calls.
  let text = '';
  for (const column of CHAINED_COLUMNS) {
    const value = fields[column];
    if (value === null) {
      text += `${column}=null\n`;
      continue;
    }
    const part = String(value);
    text += `${column}:${Buffer.byteLength(part)}:${part}\n`;
  }
  return sha256Hex(text);
}

/** A sealed entry as stored: its fields and the hash it was sealed with. */
export interface StoredEntry extends ChainedFields {
  entry_hash: string;
}

export type ChainBreak =
  | { reason: 'missing'; seq: number; message: string }
  | { reason: 'edited'; seq: number; message: string }
  | { reason: 'unlinked'; seq: number; message: string }
  | { reason: 'truncated'; seq: number; message: string };

export interface ChainHead {
  seq: number;
  entryHash: string;
}

/**
 * Walks the chain in `seq` order and returns the first entry that does not fit, or undefined when
 * every entry fits and the last one is the recorded head.
 */
export function firstBreak(entries: Iterable<StoredEntry>, head: ChainHead | undefined): ChainBreak | undefined {
  let expected = 1;
  let previous = GENESIS_HASH;
  for (const entry of entries) {
    if (entry.seq !== expected) {
      const gap = entry.seq - 1 > expected ? `entries ${expected}–${entry.seq - 1} are` : `entry ${expected} is`;
      return { reason: 'missing', seq: expected, message: `${gap} missing from the chain (deleted?)` };
    }
    if (entry.prev_hash !== previous) {
      return {
        reason: 'unlinked',
        seq: entry.seq,
        message: `entry ${entry.seq} does not follow entry ${entry.seq - 1}: one of the two was changed after it was written`,
      };
    }
    if (entryHash(entry) !== entry.entry_hash) {
      return { reason: 'edited', seq: entry.seq, message: `entry ${entry.seq} was changed after it was written: its content no longer matches its hash` };
    }
    previous = entry.entry_hash;
    expected++;
  }
  const last = expected - 1;
  if (head && (head.seq !== last || head.entryHash !== previous)) {
    if (head.seq > last) {
      return {
        reason: 'truncated',
        seq: last + 1,
        message: `the trail ends at entry ${last}, but ${head.seq} were written: entr${head.seq - last > 1 ? `ies ${last + 1}–${head.seq} were` : `y ${head.seq} was`} removed`,
      };
    }
    return { reason: 'edited', seq: last, message: `entry ${last}, the last one, is not the one recorded as the head of the trail (entry ${head.seq})` };
  }
  if (!head && last > 0) return { reason: 'truncated', seq: last, message: 'the record of the head of the trail was removed' };
  return undefined;
}
