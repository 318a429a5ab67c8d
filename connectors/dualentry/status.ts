/**
 * What `ledgersync status` shows for a revenue-recognition pipeline: each period (posted or not,
 * with its entries) and the batch waiting in retry with what to fix.
 */
import type { KeyValueStore } from '../../engine/connector/types.js';
import { formatMinor } from '../../domain/money/money.js';
import { RevrecLedger, type PostingRecord, type RetryState } from './revrec-ledger.js';

export interface RevrecStatus {
  /** The batch waiting to post and what to fix, if any. */
  retry?: RetryState;
  periods: Array<{ period: string; posted: boolean; entries: PostingRecord[] }>;
}

/** Reads the state the DualEntry sink keeps in its key/value store (scope `dualentry`). */
export function revrecStatus(kv: KeyValueStore): RevrecStatus {
  const ledger = new RevrecLedger(kv);
  const retry = ledger.retryState();
  return {
    ...(retry ? { retry } : {}),
    periods: ledger.periods().map((period) => ({ period, posted: ledger.isPosted(period), entries: ledger.postings(period) })),
  };
}

/** The most recent periods listed by `ledgersync status`; a backfill can span years. */
const SHOWN_PERIODS = 24;

/**
 * An entry's amount for a person. State written before currencies were checked against ISO 4217
 * may hold an entry in a code it does not list: show its minor units rather than fail `status`.
 */
function amountShown(minor: number, currency: string): string {
  try {
    return formatMinor(minor, currency);
  } catch {
    return `${minor} minor units`;
  }
}

/** Human lines for `ledgersync status`. */
export function formatRevrecStatus(status: RevrecStatus): string[] {
  const lines = ['revenue recognition:'];
  if (status.retry) {
    const r = status.retry;
    lines.push(`  RETRY ${r.period}: [${r.code}] ${r.message}${r.fix ? ` — fix: ${r.fix}` : ''} (attempts ${r.attempts}, since ${r.firstFailedAt})`);
  }
  if (!status.periods.length) lines.push('  (no schedule yet)');
  const shown = status.periods.slice(-SHOWN_PERIODS);
  if (shown.length < status.periods.length) lines.push(`  … ${status.periods.length - shown.length} earlier period(s) (use --json)`);
  for (const p of shown) {
    const entries = p.entries.map((e) => {
      const debit = e.lines.reduce((sum, l) => sum + l.debit, 0);
      return `${e.kind} #${e.entryNumber} ${e.currency} ${amountShown(debit, e.currency)} dated ${e.date}`;
    });
    lines.push(`  ${p.period}  ${p.posted ? 'posted ' : 'open   '}${entries.length ? '  ' + entries.join('; ') : ''}`);
  }
  return lines;
}
