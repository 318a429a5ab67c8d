/**
 * Invoices and credit notes carry at most a window of their line items in an answer, with
 * `line_items_next_offset` when more remain; `GET /invoices/{id}` (and credit notes) takes
 * `line_items_limit` (1..300) and `line_items_offset` to read the rest. As the chargebee package
 * (v3.16, 2025-12) defines them: `line_items_next_offset` on Invoice and CreditNote, the two
 * parameters on their RetrieveRequest.
 */
import { paramWrongValue } from './errors.js';
import type { StoredRecord } from './state.js';

/** The largest `line_items_limit` Chargebee takes. */
export const MAX_LINE_ITEMS_LIMIT = 300;

const WINDOWED = new Set(['invoices', 'credit_notes']);

/** `record` with `limit` of its line items from `offset`, and the offset of the next window if any remain. */
export function lineItemWindow(resource: string, record: StoredRecord, limit: number, offset = 0): StoredRecord {
  const lines = record['line_items'];
  if (!WINDOWED.has(resource) || !Array.isArray(lines) || (offset === 0 && lines.length <= limit)) return record;
  const end = offset + limit;
  const { line_items_next_offset: _old, ...rest } = record;
  return {
    ...rest,
    line_items: lines.slice(offset, end),
    ...(end < lines.length ? { line_items_next_offset: encodeLineOffset(record.id, end) } : {}),
  } as StoredRecord;
}

/** The window a retrieve asks for with `line_items_limit` and `line_items_offset`. */
export function requestedWindow(record: StoredRecord, query: URLSearchParams, defaultLimit: number): { limit: number; offset: number } {
  const rawLimit = query.get('line_items_limit');
  let limit = defaultLimit;
  if (rawLimit !== null) {
    if (!/^\d+$/.test(rawLimit)) throw paramWrongValue('line_items_limit', `invalid value ${JSON.stringify(rawLimit)}; it must be an integer`);
    limit = Number(rawLimit);
    if (limit < 1) throw paramWrongValue('line_items_limit', 'cannot be less than 1');
    if (limit > MAX_LINE_ITEMS_LIMIT) throw paramWrongValue('line_items_limit', `cannot be more than ${MAX_LINE_ITEMS_LIMIT}`);
  }
  const rawOffset = query.get('line_items_offset');
  if (rawOffset === null || rawOffset === '') return { limit, offset: 0 };
  if (rawOffset.length > 1000) throw paramWrongValue('line_items_offset', 'cannot be longer than 1000 characters');
  return { limit, offset: decodeLineOffset(record.id, rawOffset) };
}

function encodeLineOffset(id: string, index: number): string {
  return Buffer.from(JSON.stringify([id, index])).toString('base64url');
}

function decodeLineOffset(id: string, offset: string): number {
  try {
    const [owner, index] = JSON.parse(Buffer.from(offset, 'base64url').toString('utf8')) as [unknown, unknown];
    if (owner === id && typeof index === 'number' && Number.isInteger(index) && index >= 0) return index;
  } catch {
    // falls through to the refusal
  }
  throw paramWrongValue('line_items_offset', 'invalid value; pass the line_items_next_offset of this document as it was returned');
}
