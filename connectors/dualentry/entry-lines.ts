/**
 * A journal's lines as DualEntry takes them. DualEntry keeps a line's debit and credit to 2 decimal
 * places whatever the currency (its OpenAPI's pattern for both is `^…\d*\.?\d{0,2}0*$`), so an amount
 * of a 3-decimal currency (KWD, BHD, OMR…) posts as it is only when its last decimal is 0. Any other
 * is rounded to DualEntry's 2 decimals only when the sink names a rounding account, which then takes
 * the difference on a line of its own, so the entry still balances; without one the journal is
 * refused before anything is posted. Nothing is ever rounded silently.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { currencyExponent } from '../../domain/money/currencies.js';
import { formatMinor } from '../../domain/money/money.js';
import type { JournalDraft, JournalLine } from '../../domain/revrec/journal.js';
import type { DualEntryEntryLine } from './api.js';

/** Decimal places DualEntry keeps on a journal line. */
const DUALENTRY_DECIMALS = 2;

/** The memo of the line that takes what rounding to DualEntry's decimals moved. */
export const ROUNDING_MEMO = "Rounding to DualEntry's 2 decimal places";

/** The DualEntry lines (positions from 1) of a journal `fitToDualEntry` returned. */
export function entryLines(fitted: JournalDraft): DualEntryEntryLine[] {
  return fitted.lines.map((line, i) => ({
    account_number: Number(line.account),
    debit: formatMinor(line.debit, fitted.currency),
    credit: formatMinor(line.credit, fitted.currency),
    position: i + 1,
    memo: line.memo,
  }));
}

/**
 * `journal` as DualEntry can hold it: unchanged when every amount fits its 2 decimals; otherwise each
 * line rounded half away from zero, with a line on `roundingAccount` for the difference. When every
 * line rounds to nothing the result has no lines, which DualEntry refuses: the caller sends nothing.
 * Throws `dualentry_amount_precision` when an amount does not fit and there is no rounding account.
 */
export function fitToDualEntry(journal: JournalDraft, roundingAccount: string | undefined, describe: string): JournalDraft {
  const extra = currencyExponent(journal.currency) - DUALENTRY_DECIMALS;
  if (extra <= 0) return journal;
  const unit = 10 ** extra;
  const inexact = journal.lines.filter((line) => line.debit % unit !== 0 || line.credit % unit !== 0);
  if (!inexact.length) return journal;
  if (!roundingAccount) {
    const amounts = inexact.map((line) => `${line.account} ${formatMinor(line.debit || line.credit, journal.currency)}`);
    throw new LedgersyncError(
      'dualentry_amount_precision',
      'record',
      `${describe}: DualEntry keeps ${DUALENTRY_DECIMALS} decimal places, and ${inexact.length} ${journal.currency} line(s) need ${DUALENTRY_DECIMALS + extra} (${amounts.join(', ')}); nothing was posted`,
      {
        fix: `set sink.rounding_account (DUALENTRY_ROUNDING_ACCOUNT in the example) to the DualEntry account that takes rounding differences: each line is then rounded to ${DUALENTRY_DECIMALS} decimals and the difference posted there, so the entry balances`,
        details: { currency: journal.currency, lines: amounts },
      },
    );
  }
  const round = (minor: number) => Math.floor((minor + unit / 2) / unit) * unit;
  // A line that rounds to nothing is left out (DualEntry refuses a line with neither side): the rounding line takes it.
  const lines: JournalLine[] = journal.lines
    .map((line) => ({ ...line, debit: round(line.debit), credit: round(line.credit) }))
    .filter((line) => line.debit !== 0 || line.credit !== 0);
  const difference = lines.reduce((sum, line) => sum + line.debit - line.credit, 0);
  if (difference !== 0) {
    lines.push({
      account: roundingAccount,
      debit: Math.max(0, -difference),
      credit: Math.max(0, difference),
      memo: ROUNDING_MEMO,
      accountingCodes: [],
    });
  }
  return { ...journal, lines };
}
