/**
 * Applications of a document that lists only the ones not yet released. A payment's
 * `DocumentsToApply` is Acumatica's Adjustments view: the applications of the payment's current,
 * unreleased batch. Releasing the payment moves that batch to `ApplicationHistory` (the released
 * postings), so a released payment shows an empty DocumentsToApply. What Chargebee says was applied
 * is therefore compared with the history first: what is released already is not sent again, what is
 * left is the part still to apply and release.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { sameDecimal, sumDecimal } from '../../domain/money/decimal.js';
import { isPlainObject, type Plain } from './values.js';

/** Descriptor `settings.application_history.<entity>`. */
export interface ApplicationHistory {
  /** The collection the mapping fills and Acumatica lists unreleased rows in (DocumentsToApply). */
  pending: string;
  /** The collection of released applications (ApplicationHistory). */
  released: string;
  /** Field of a pending row → the field of a history row naming the same document. */
  document: Readonly<Record<string, string>>;
  /** Field of a pending row → the field of a history row with the amount applied. */
  amount: Readonly<Record<string, string>>;
}

/**
 * The mapped pending rows less what `current` has released: a row whose document was released for
 * its whole amount is dropped, one released for less keeps the rest to apply. A row without an
 * amount (Acumatica then applies what the document still owes) is dropped once its document has a
 * released application. A document with a released application that the mapped rows no longer name
 * (the source removed the application) is lowered to 0, which cannot be done: a record error, as
 * for any lowering. `describe` names the document and its source record in errors.
 */
export function unreleasedApplications(mapped: Plain, current: Plain, history: ApplicationHistory, describe: string): Plain[] {
  const wanted = rowsOf(mapped[history.pending]);
  const released = rowsOf(current[history.released]);
  if (!released.length) return wanted;
  const [amountField, releasedAmountField] = Object.entries(history.amount)[0] ?? [];
  // Without the collection in the mapped record, the mapping says nothing of applications.
  if (mapped[history.pending] !== undefined && mapped[history.pending] !== null) refuseRemoved(wanted, released, history, releasedAmountField, describe);
  const out: Plain[] = [];
  for (const row of wanted) {
    const matching = released.filter((done) => Object.entries(history.document).every(([field, doneField]) => sameKey(row[field], done[doneField])));
    if (!matching.length) {
      out.push(row);
      continue;
    }
    if (!amountField || !releasedAmountField || row[amountField] === undefined || row[amountField] === null) continue;
    let rest: string;
    try {
      rest = sumDecimal([String(row[amountField]), ...matching.map((done) => negated(String(done[releasedAmountField])))]);
    } catch (error) {
      throw notDecimal(describe, documentOf(row, history), error);
    }
    if (sameDecimal(rest, '0')) continue;
    if (rest.startsWith('-')) {
      const releasedAmount = sumDecimal(matching.map((done) => String(done[releasedAmountField])));
      throw releasedApplication(describe, documentOf(row, history), releasedAmount, String(row[amountField]));
    }
    out.push({ ...row, [amountField]: rest });
  }
  return out;
}

/** A document with applications released to it (net of reversals) that no mapped row names any more. */
function refuseRemoved(wanted: Plain[], released: Plain[], history: ApplicationHistory, releasedAmountField: string | undefined, describe: string): void {
  const named = (done: Plain) => wanted.some((row) => Object.entries(history.document).every(([field, doneField]) => sameKey(row[field], done[doneField])));
  const removed = new Map<string, Plain[]>();
  for (const done of released) {
    if (named(done)) continue;
    const document = Object.values(history.document)
      .map((field) => done[field])
      .filter((value) => value !== undefined && value !== null)
      .join(' ');
    removed.set(document, [...(removed.get(document) ?? []), done]);
  }
  for (const [document, rows] of removed) {
    if (!releasedAmountField) throw releasedApplication(describe, document, 'an amount', '0');
    let releasedAmount: string;
    try {
      releasedAmount = sumDecimal(rows.map((done) => String(done[releasedAmountField])));
    } catch (error) {
      throw notDecimal(describe, document, error);
    }
    // An application reversed in Acumatica nets to 0 with its reversal: nothing is left to lower.
    if (!sameDecimal(releasedAmount, '0')) throw releasedApplication(describe, document, releasedAmount, '0');
  }
}

function releasedApplication(describe: string, document: string, releasedAmount: string, wanted: string): LedgersyncError {
  const what = wanted === '0' ? `the source no longer applies anything to it (wanted 0)` : `more than the ${wanted} the source now applies`;
  return new LedgersyncError(
    'acumatica_application_released',
    'record',
    `${describe}: ${releasedAmount} is already released to ${document}, ${what}, and a released application cannot be lowered`,
    {
      fix: `reverse the application to ${document} in Acumatica (Payments and Applications, Application History: Reverse Application), then run again: ${wanted === '0' ? 'nothing more is applied to it' : 'the new amount is applied and released'}`,
      details: { document, released: releasedAmount, wanted },
    },
  );
}

function notDecimal(describe: string, document: string, cause: unknown): LedgersyncError {
  return new LedgersyncError('acumatica_unexpected_answer', 'transient', `${describe}: an amount applied to ${document} is not a decimal number`, {
    fix: 'check the application history of the document in Acumatica, and that the mapping sends the amount as decimal text',
    cause,
  });
}

/** `mapped` with its pending rows replaced by `rows` (the collection left out when none is left). */
export function withApplications(mapped: Plain, history: ApplicationHistory, rows: Plain[]): Plain {
  const { [history.pending]: _dropped, ...rest } = mapped;
  return rows.length ? { ...rest, [history.pending]: rows } : rest;
}

function rowsOf(value: unknown): Plain[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

/** Document types and reference numbers as Acumatica compares them: case-insensitive, trimmed; a field the mapping leaves out matches any. */
function sameKey(mapped: unknown, released: unknown): boolean {
  if (mapped === undefined || mapped === null) return true;
  return (
    String(mapped).trim().toUpperCase() ===
    String(released ?? '')
      .trim()
      .toUpperCase()
  );
}

function negated(decimal: string): string {
  return decimal.startsWith('-') ? decimal.slice(1) : `-${decimal}`;
}

function documentOf(row: Plain, history: ApplicationHistory): string {
  return Object.keys(history.document)
    .map((field) => row[field])
    .filter((value) => value !== undefined && value !== null)
    .join(' ');
}
