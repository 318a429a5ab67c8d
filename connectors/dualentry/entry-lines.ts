/**
 * A journal's lines as DualEntry takes them. DualEntry keeps a line's debit and credit to 2 decimal
 * places whatever the currency (its OpenAPI's pattern for both is `^…\d*\.?\d{0,2}0*$`), so an amount
 * of a 3-decimal currency (KWD, BHD, OMR…) posts only when its last decimal is 0. Any other is refused
 * here, before anything is posted: ledgersync never rounds money to fit.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { currencyExponent } from '../../domain/money/currencies.js';
import { formatMinor } from '../../domain/money/money.js';
import type { JournalDraft } from '../../domain/revrec/journal.js';
import type { DualEntryEntryLine } from './api.js';

/** Decimal places DualEntry keeps on a journal line. */
const DUALENTRY_DECIMALS = 2;

/** The DualEntry lines of `journal` (positions from 1); throws `dualentry_amount_precision` when an amount has more decimals than DualEntry keeps. */
export function entryLines(journal: JournalDraft, describe: string): DualEntryEntryLine[] {
  assertPostable(journal, describe);
  return journal.lines.map((line, i) => ({
    account_number: Number(line.account),
    debit: formatMinor(line.debit, journal.currency),
    credit: formatMinor(line.credit, journal.currency),
    position: i + 1,
    memo: line.memo,
  }));
}

/** Throws `dualentry_amount_precision` naming the lines whose amounts DualEntry cannot hold exactly. */
export function assertPostable(journal: JournalDraft, describe: string): void {
  const extra = currencyExponent(journal.currency) - DUALENTRY_DECIMALS;
  if (extra <= 0) return;
  const unit = 10 ** extra;
  const inexact = journal.lines.filter((line) => line.debit % unit !== 0 || line.credit % unit !== 0);
  if (!inexact.length) return;
  const amounts = inexact.map((line) => `${line.account} ${formatMinor(line.debit || line.credit, journal.currency)}`);
  throw new LedgersyncError(
    'dualentry_amount_precision',
    'record',
    `${describe}: DualEntry keeps ${DUALENTRY_DECIMALS} decimal places, and ${inexact.length} ${journal.currency} line(s) need ${DUALENTRY_DECIMALS + extra} (${amounts.join(', ')}); nothing was posted`,
    {
      fix: `post ${journal.currency} amounts that end in 0 at the ${DUALENTRY_DECIMALS + extra}th decimal, or keep ${journal.currency} out of this DualEntry pipeline: ledgersync does not round money to fit`,
      details: { currency: journal.currency, lines: amounts },
    },
  );
}
