/**
 * Turns schedule totals into journal lines, one journal per currency, and proves each balances
 * before anything is sent. Every schedule component posts a debit and a credit of the same amount,
 * so a journal that does not balance is a bug in ledgersync, never something to post.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { formatMinor } from '../money/money.js';
import type { ScheduleComponent } from './schedule.js';

export type AccountRole = 'accounts_receivable' | 'deferred_revenue' | 'revenue' | 'contra_revenue' | 'tax_payable';
export const accountRoles: readonly AccountRole[] = ['accounts_receivable', 'deferred_revenue', 'revenue', 'contra_revenue', 'tax_payable'];

/** Account number for a role and a Chargebee accounting code; throws when the mapping has none. */
export type AccountResolver = (role: AccountRole, accountingCode: string) => string;

export interface TotalsRow {
  currency: string;
  accountingCode: string;
  component: ScheduleComponent;
  /** Signed minor units. */
  amount: number;
}

type Purpose = 'ar' | 'tax_payable' | 'deferred_billed' | 'deferred_released' | 'revenue' | 'contra_revenue';

const purposes: Record<Purpose, { role: AccountRole; memo: string; order: number }> = {
  ar: { role: 'accounts_receivable', memo: 'Billed to accounts receivable', order: 0 },
  deferred_billed: { role: 'deferred_revenue', memo: 'Billed to deferred revenue', order: 1 },
  tax_payable: { role: 'tax_payable', memo: 'Tax billed', order: 2 },
  deferred_released: { role: 'deferred_revenue', memo: 'Deferred revenue released', order: 3 },
  revenue: { role: 'revenue', memo: 'Revenue recognized', order: 4 },
  contra_revenue: { role: 'contra_revenue', memo: 'Discounts recognized to contra-revenue', order: 5 },
};

/** Debit-positive legs of each component: the legs of one component always sum to zero. */
const legs: Record<ScheduleComponent, ReadonlyArray<[Purpose, 1 | -1]>> = {
  billed: [
    ['ar', 1],
    ['deferred_billed', -1],
  ],
  tax: [
    ['ar', 1],
    ['tax_payable', -1],
  ],
  revenue: [
    ['deferred_released', 1],
    ['revenue', -1],
  ],
  discount: [
    ['contra_revenue', 1],
    ['deferred_released', -1],
  ],
};

export interface JournalLine {
  account: string;
  /** Minor units, ≥ 0; exactly one of debit and credit is non-zero. */
  debit: number;
  credit: number;
  memo: string;
  /** The mapping role the account was resolved for (absent on ready-made journals). */
  role?: AccountRole;
  /** Chargebee accounting codes whose amounts this line carries (to name the mapping when the account is refused). */
  accountingCodes: string[];
}

export interface JournalDraft {
  currency: string;
  lines: JournalLine[];
}

/** One journal per currency (sorted), lines aggregated per purpose and account, zero lines dropped. */
export function buildJournals(rows: Iterable<TotalsRow>, resolve: AccountResolver): JournalDraft[] {
  const byCurrency = new Map<string, Map<string, { purpose: Purpose; account: string; amount: number; codes: Set<string> }>>();
  for (const row of rows) {
    if (row.amount === 0) continue;
    let groups = byCurrency.get(row.currency);
    if (!groups) byCurrency.set(row.currency, (groups = new Map()));
    for (const [purpose, sign] of legs[row.component]) {
      const account = resolve(purposes[purpose].role, row.accountingCode);
      const key = `${purpose}\u0000${account}`;
      let group = groups.get(key);
      if (!group) groups.set(key, (group = { purpose, account, amount: 0, codes: new Set() }));
      group.amount += sign * row.amount;
      group.codes.add(row.accountingCode);
    }
  }
  const journals: JournalDraft[] = [];
  for (const currency of [...byCurrency.keys()].sort()) {
    const groups = [...(byCurrency.get(currency) as Map<string, { purpose: Purpose; account: string; amount: number; codes: Set<string> }>).values()]
      .filter((g) => g.amount !== 0)
      .sort((a, b) => purposes[a.purpose].order - purposes[b.purpose].order || a.account.localeCompare(b.account, 'en', { numeric: true }));
    if (groups.length === 0) continue;
    const lines = groups.map((g) => {
      const codes = [...g.codes].sort();
      const named = codes.map((c) => c || 'default');
      const suffix = named.length <= 5 ? named.join(', ') : `${named.slice(0, 5).join(', ')} and ${named.length - 5} more`;
      return {
        account: g.account,
        debit: Math.max(g.amount, 0),
        credit: g.amount < 0 ? -g.amount : 0,
        memo: `${purposes[g.purpose].memo} (${suffix})`,
        role: purposes[g.purpose].role,
        accountingCodes: codes,
      };
    });
    const journal = { currency, lines };
    assertBalanced(journal);
    journals.push(journal);
  }
  return journals;
}

export function journalTotals(journal: JournalDraft): { debit: number; credit: number } {
  let debit = 0;
  let credit = 0;
  for (const line of journal.lines) {
    debit += line.debit;
    credit += line.credit;
  }
  return { debit, credit };
}

/** Throws a `system` error (a bug report, not a post) unless debits equal credits and every line is well formed. */
export function assertBalanced(journal: JournalDraft): void {
  const problems: string[] = [];
  journal.lines.forEach((line, i) => {
    if (!Number.isSafeInteger(line.debit) || !Number.isSafeInteger(line.credit) || line.debit < 0 || line.credit < 0) {
      problems.push(`line ${i + 1} has a non-integer or negative amount (debit ${line.debit}, credit ${line.credit})`);
    } else if ((line.debit === 0) === (line.credit === 0)) {
      problems.push(`line ${i + 1} must have exactly one of debit and credit (debit ${line.debit}, credit ${line.credit})`);
    }
  });
  const { debit, credit } = journalTotals(journal);
  if (debit !== credit) {
    problems.push(`debits ${formatMinor(debit, journal.currency)} ≠ credits ${formatMinor(credit, journal.currency)} ${journal.currency}`);
  }
  if (journal.lines.length < 2) problems.push('a journal needs at least two lines');
  if (problems.length) {
    throw new LedgersyncError('unbalanced_journal', 'system', `refusing to post an invalid ${journal.currency} journal: ${problems.join('; ')}`, {
      details: { currency: journal.currency, debit, credit, lines: journal.lines.length },
      fix: 'nothing was posted; this is a bug in ledgersync: report it with the pipeline file and the output of `ledgersync status`',
    });
  }
}

/** The entry that undoes a journal: every debit becomes a credit and the other way round. */
export function reverseJournal(journal: JournalDraft): JournalDraft {
  return {
    currency: journal.currency,
    lines: journal.lines.map((line) => ({ ...line, debit: line.credit, credit: line.debit, memo: `Reversal: ${line.memo}` })),
  };
}
