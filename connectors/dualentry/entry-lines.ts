/**
 * A journal's lines as DualEntry takes them. DualEntry keeps a line's debit and credit to 2 decimal
 * places whatever the currency (its OpenAPI's pattern for both is `^…\d*\.?\d{0,2}0*$`), so an amount
 * of a 3-decimal currency (KWD, BHD, OMR…) posts as it is only when its last decimal is 0. Any other
 * is rounded to DualEntry's 2 decimals only when the sink names a rounding account, which then takes
 * the difference on a line of its own, so the entry still balances; without one the journal is
 * refused before anything is posted. Nothing is ever rounded silently.
 *
 * Recognition entries are rounded cumulatively (`fitCumulatively`): each account gets what brings
 * its total in DualEntry to its exact total rounded once, so roundings never pile up period after
 * period, and a document voided in full leaves 0.00 on every account it touched.
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

/**
 * What the entries of one currency put on each account, debit-positive minor units:
 * `[exact total, total DualEntry holds]`. The rounding account's own lines are not counted.
 */
export type AccountTotals = Record<string, [exact: number, held: number]>;

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

/** Minor units of the currency below DualEntry's last decimal (0 when it has 2 decimals or fewer). */
function extraUnit(currency: string): number {
  const extra = currencyExponent(currency) - DUALENTRY_DECIMALS;
  return extra > 0 ? 10 ** extra : 1;
}

/** `minor` (signed) to a multiple of `unit`, half away from zero. */
function roundToUnit(minor: number, unit: number): number {
  const magnitude = Math.floor((Math.abs(minor) + unit / 2) / unit) * unit;
  return minor < 0 ? -magnitude : magnitude;
}

function fits(line: JournalLine, unit: number): boolean {
  return line.debit % unit === 0 && line.credit % unit === 0;
}

function precisionError(journal: JournalDraft, unit: number, describe: string): LedgersyncError | undefined {
  const inexact = journal.lines.filter((line) => !fits(line, unit));
  if (!inexact.length) return undefined;
  const amounts = inexact.map((line) => `${line.account} ${formatMinor(line.debit || line.credit, journal.currency)}`);
  return new LedgersyncError(
    'dualentry_amount_precision',
    'record',
    `${describe}: DualEntry keeps ${DUALENTRY_DECIMALS} decimal places, and ${inexact.length} ${journal.currency} line(s) need ${currencyExponent(journal.currency)} (${amounts.join(', ')}); nothing was posted`,
    {
      fix: `set sink.rounding_account (DUALENTRY_ROUNDING_ACCOUNT in the example) to the DualEntry account that takes rounding differences: each line is then rounded to ${DUALENTRY_DECIMALS} decimals and the difference posted there, so the entry balances`,
      details: { currency: journal.currency, lines: amounts },
    },
  );
}

/** Signed (debit-positive) `amount` on `line`'s account; a line of 0 is left out (DualEntry refuses a line with neither side). */
function withAmount(line: JournalLine, amount: number): JournalLine[] {
  return amount === 0 ? [] : [{ ...line, debit: Math.max(amount, 0), credit: Math.max(-amount, 0) }];
}

/** Each line rounded on its own to a multiple of `unit`, half away from zero; a line that rounds to nothing is left out. */
function roundedEach(lines: readonly JournalLine[], unit: number): JournalLine[] {
  return lines.flatMap((line) => withAmount(line, roundToUnit(line.debit - line.credit, unit)));
}

/** `lines` plus, when they do not balance, a line on `roundingAccount` that makes them. */
function balancedOn(journal: JournalDraft, lines: JournalLine[], roundingAccount: string): JournalDraft {
  const difference = lines.reduce((sum, line) => sum + line.debit - line.credit, 0);
  if (difference !== 0) {
    lines.push({ account: roundingAccount, debit: Math.max(0, -difference), credit: Math.max(0, difference), memo: ROUNDING_MEMO, accountingCodes: [] });
  }
  const unchanged =
    lines.length === journal.lines.length &&
    lines.every((line, i) => line.account === journal.lines[i]?.account && line.debit === journal.lines[i]?.debit && line.credit === journal.lines[i]?.credit);
  return unchanged ? journal : { ...journal, lines };
}

/**
 * `journal` as DualEntry can hold it, each line on its own: unchanged when every amount fits its 2
 * decimals; otherwise each line rounded half away from zero, with a line on `roundingAccount` for the
 * difference. For journals posted one by one (a ready-made export); recognition entries use
 * `fitCumulatively`. When every line rounds to nothing the result has no lines, which DualEntry
 * refuses: the caller sends nothing. Throws `dualentry_amount_precision` when an amount does not fit
 * and there is no rounding account.
 */
export function fitToDualEntry(journal: JournalDraft, roundingAccount: string | undefined, describe: string): JournalDraft {
  const unit = extraUnit(journal.currency);
  if (unit === 1) return journal;
  const refused = precisionError(journal, unit, describe);
  if (!refused) return journal;
  if (!roundingAccount) throw refused;
  return balancedOn(journal, roundedEach(journal.lines, unit), roundingAccount);
}

/**
 * `journal` as DualEntry can hold it, given what the currency's earlier entries put on each account
 * (`posted`): each line takes what brings its account's total in DualEntry to the account's exact
 * total after it, rounded once (half away from zero), and the rounding account takes only what is
 * then left for the entry to balance. So an account never drifts from its exact total by more than
 * the one rounding, whatever the number of entries. Unchanged for a currency of 2 decimals or fewer,
 * and when nothing needs rounding. Throws `dualentry_amount_precision` as `fitToDualEntry` does.
 */
export function fitCumulatively(journal: JournalDraft, roundingAccount: string | undefined, describe: string, posted: Readonly<AccountTotals>): JournalDraft {
  const unit = extraUnit(journal.currency);
  if (unit === 1) return journal;
  if (!roundingAccount) {
    // Never rounded, so every account's total is exact: only this journal's amounts can need it.
    const refused = precisionError(journal, unit, describe);
    if (refused) throw refused;
    return journal;
  }
  const running = new Map<string, [number, number]>();
  const lines = journal.lines.flatMap((line) => {
    const [exact, held] = running.get(line.account) ?? posted[line.account] ?? [0, 0];
    const nextExact = exact + line.debit - line.credit;
    const nextHeld = roundToUnit(nextExact, unit);
    running.set(line.account, [nextExact, nextHeld]);
    return withAmount(line, nextHeld - held);
  });
  return balancedOn(journal, lines, roundingAccount);
}

/** Adds an entry to `totals`: `exact` its lines as computed, `held` as DualEntry holds them. */
export function addToAccountTotals(totals: AccountTotals, exact: readonly JournalLine[], held: readonly JournalLine[]): void {
  for (const line of exact) {
    const sums = (totals[line.account] ??= [0, 0]);
    sums[0] += line.debit - line.credit;
  }
  for (const line of held) {
    if (line.memo === ROUNDING_MEMO) continue;
    const sums = (totals[line.account] ??= [0, 0]);
    sums[1] += line.debit - line.credit;
  }
  for (const [account, [exactSum, heldSum]] of Object.entries(totals)) if (exactSum === 0 && heldSum === 0) delete totals[account];
}

/** An entry as recorded: its lines as computed and, when rounding to DualEntry's decimals changed them, as they were sent. */
export interface RecordedLines {
  currency: string;
  lines: readonly JournalLine[];
  rounded?: readonly JournalLine[] | undefined;
}

/**
 * The lines DualEntry holds for a recorded entry: `rounded`, when it was kept. An entry without it
 * was sent as `fitToDualEntry` makes it (recorded before recognition entries were rounded
 * cumulatively, or needing no rounding): its lines as they are when every amount fits, else each
 * rounded on its own with the difference on a line of `roundingAccount`. That line is left out when
 * no account is given: the account totals, which never count it, need only the others.
 */
export function heldLines(entry: RecordedLines, roundingAccount?: string): JournalLine[] {
  if (entry.rounded) return [...entry.rounded];
  const unit = extraUnit(entry.currency);
  if (entry.lines.every((line) => fits(line, unit))) return [...entry.lines];
  const lines = roundedEach(entry.lines, unit);
  return roundingAccount ? balancedOn({ currency: entry.currency, lines: [...entry.lines] }, lines, roundingAccount).lines : lines;
}
