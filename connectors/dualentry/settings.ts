/**
 * The pipeline's `revenue_recognition:` block, read and checked once. The JSON Schema beside this
 * file (revenue_recognition.schema.json) describes the same block for editors and the validator.
 */
import { LedgersyncError } from '../../engine/errors.js';
import type { AccountTables } from '../../domain/revrec/accounts.js';
import { PeriodCalendar, type PeriodKind } from '../../domain/revrec/calendar.js';
import { accountRoles, type AccountRole } from '../../domain/revrec/journal.js';

export interface RevrecSettings {
  /** Accounting period length. Default `month`. */
  period: PeriodKind;
  /** A period counts as closed this many days after its last day; automatic posting then posts it. Default 0. */
  closeAfterDays: number;
  /** The date entries carry: the period's last day (`period_end`, default) or its close day (`close_date`). */
  entryDate: 'period_end' | 'close_date';
  /** Memo of each entry; `{period}` and `{currency}` are filled in. */
  journalDescription: string;
  /** Post closed periods at the end of every run. Default true. */
  automaticPosting: boolean;
  /** Periods before this one are never posted (they are in the ledger's opening balances). */
  firstPeriod?: string;
  /** Lookup table of each account role. */
  accounts: AccountTables;
}

const KEYS = new Set(['period', 'close_after_days', 'entry_date', 'journal_description', 'automatic_posting', 'first_period', 'accounts', 'description']);

function invalid(path: string, expected: string, received: unknown): LedgersyncError {
  return new LedgersyncError(
    'invalid_revenue_recognition',
    'config',
    `revenue_recognition${path}: expected ${expected}, received ${JSON.stringify(received)}`,
    {
      fix: 'correct the revenue_recognition block of the pipeline (see connectors/dualentry/revenue_recognition.schema.json)',
    },
  );
}

export function parseRevrecSettings(block: unknown): RevrecSettings {
  if (typeof block !== 'object' || block === null || Array.isArray(block)) throw invalid('', 'a mapping', block);
  const raw = block as Record<string, unknown>;
  for (const key of Object.keys(raw)) if (!KEYS.has(key)) throw invalid(`.${key}`, `one of ${[...KEYS].join(', ')}`, key);

  const period = raw['period'] ?? 'month';
  if (period !== 'month' && period !== 'quarter') throw invalid('.period', '"month" or "quarter"', period);
  const closeAfterDays = raw['close_after_days'] ?? 0;
  if (typeof closeAfterDays !== 'number' || !Number.isInteger(closeAfterDays) || closeAfterDays < 0 || closeAfterDays > 366) {
    throw invalid('.close_after_days', 'a whole number of days from 0 to 366', closeAfterDays);
  }
  const entryDate = raw['entry_date'] ?? 'period_end';
  if (entryDate !== 'period_end' && entryDate !== 'close_date') throw invalid('.entry_date', '"period_end" or "close_date"', entryDate);
  const journalDescription = raw['journal_description'] ?? 'Chargebee revenue recognition {period} {currency}';
  if (typeof journalDescription !== 'string' || journalDescription.trim() === '' || journalDescription.length > 200) {
    throw invalid('.journal_description', 'a non-empty text of at most 200 characters', journalDescription);
  }
  const automaticPosting = raw['automatic_posting'] ?? true;
  if (typeof automaticPosting !== 'boolean') throw invalid('.automatic_posting', 'true or false', automaticPosting);
  let firstPeriod: string | undefined;
  if (raw['first_period'] !== undefined) {
    firstPeriod = String(raw['first_period']);
    try {
      new PeriodCalendar(period).parseKey(firstPeriod);
    } catch {
      throw invalid('.first_period', period === 'month' ? 'a month like "2026-01"' : 'a quarter like "2026-Q1"', raw['first_period']);
    }
  }
  const accountsRaw = raw['accounts'];
  if (typeof accountsRaw !== 'object' || accountsRaw === null || Array.isArray(accountsRaw))
    throw invalid('.accounts', 'a mapping of account role to lookup table name', accountsRaw);
  const accounts: AccountTables = {};
  for (const [role, table] of Object.entries(accountsRaw as Record<string, unknown>)) {
    if (!accountRoles.includes(role as AccountRole)) throw invalid(`.accounts.${role}`, `one of ${accountRoles.join(', ')}`, role);
    if (typeof table !== 'string' || table === '') throw invalid(`.accounts.${role}`, 'a lookup table name', table);
    accounts[role as AccountRole] = table;
  }
  for (const role of ['accounts_receivable', 'deferred_revenue', 'revenue', 'contra_revenue'] as const) {
    if (!accounts[role]) throw invalid(`.accounts.${role}`, 'a lookup table name', undefined);
  }
  return {
    period,
    closeAfterDays,
    entryDate,
    journalDescription,
    automaticPosting,
    ...(firstPeriod !== undefined ? { firstPeriod } : {}),
    accounts,
  };
}
