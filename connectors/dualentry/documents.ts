/**
 * The two record shapes the DualEntry sink accepts, read from a mapped record with messages that
 * name the field: a billing document for the recognition schedule, and a ready-made journal.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { startDateSeconds } from '../../engine/config/time.js';
import type { JournalDraft } from '../../domain/revrec/journal.js';
import { currencyExponent, decimalToMinorUnits } from '../../domain/money/money.js';
import type { RevenueDocument, RevenueLine } from '../../domain/revrec/schedule.js';
import { withoutTax } from '../../domain/revrec/tax-inclusive.js';

function bad(sourceId: string, field: string, expected: string, received: unknown): LedgersyncError {
  return new LedgersyncError(
    'invalid_mapped_record',
    'record',
    `record ${sourceId}: ${field} must be ${expected}, received ${JSON.stringify(received) ?? 'nothing'}`,
    {
      details: { field },
      fix: "correct the stream's mapping so it produces that field",
    },
  );
}

function integer(sourceId: string, field: string, value: unknown, fallback?: number): number {
  if (value === undefined || value === null) {
    if (fallback !== undefined) return fallback;
    throw bad(sourceId, field, 'an integer', value);
  }
  if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw bad(sourceId, field, 'an integer (minor units or unix seconds)', value);
  return value;
}

/** The document's currency, upper case; one ISO 4217 does not list with minor units is refused here, before anything is scheduled. */
function currencyOf(sourceId: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z]{3}$/.test(value)) throw bad(sourceId, 'currency', 'an ISO 4217 code like "USD"', value);
  const currency = value.toUpperCase();
  try {
    currencyExponent(currency);
  } catch (error) {
    const unknown = error as LedgersyncError;
    throw new LedgersyncError(unknown.code, unknown.kind, `record ${sourceId}: ${unknown.message}`, {
      details: { ...unknown.details, field: 'currency' },
      ...(unknown.fix ? { fix: unknown.fix } : {}),
    });
  }
  return currency;
}

export function parseRevenueDocument(sourceId: string, data: Record<string, unknown>): RevenueDocument {
  const kind = data['kind'];
  if (kind !== 'invoice' && kind !== 'credit_note') throw bad(sourceId, 'kind', '"invoice" or "credit_note"', kind);
  const rawLines = data['lines'] ?? [];
  if (!Array.isArray(rawLines)) throw bad(sourceId, 'lines', 'an array', rawLines);
  const lines: RevenueLine[] = rawLines.map((raw: unknown, i): RevenueLine => {
    if (typeof raw !== 'object' || raw === null) throw bad(sourceId, `lines[${i}]`, 'an object', raw);
    const line = raw as Record<string, unknown>;
    const field = (name: string) => `lines[${i}].${name}`;
    const billedAmount = integer(sourceId, field('amount'), line['amount']);
    const billedDiscount = integer(sourceId, field('discount'), line['discount'], 0);
    const tax = integer(sourceId, field('tax'), line['tax'], 0);
    if (billedDiscount < 0 || Math.abs(billedDiscount) > Math.abs(billedAmount)) {
      throw bad(sourceId, field('discount'), `between 0 and the line amount ${billedAmount}`, billedDiscount);
    }
    const inclusive = line['tax_inclusive'] ?? false;
    if (typeof inclusive !== 'boolean') throw bad(sourceId, field('tax_inclusive'), 'true or false', inclusive);
    const { amount, discount } = inclusive
      ? withoutTax({ amount: billedAmount, discount: billedDiscount, tax })
      : { amount: billedAmount, discount: billedDiscount };
    const recognition = line['recognition'] ?? 'ratable';
    if (recognition !== 'ratable' && recognition !== 'point_in_time') throw bad(sourceId, field('recognition'), '"ratable" or "point_in_time"', recognition);
    const code = line['accounting_code'] ?? '';
    if (typeof code !== 'string' && typeof code !== 'number') throw bad(sourceId, field('accounting_code'), 'a text', code);
    const dateFrom = line['date_from'] === undefined || line['date_from'] === null ? undefined : integer(sourceId, field('date_from'), line['date_from']);
    const dateTo = line['date_to'] === undefined || line['date_to'] === null ? undefined : integer(sourceId, field('date_to'), line['date_to']);
    return {
      id: String(line['id'] ?? i),
      amount,
      discount,
      tax,
      ...(dateFrom !== undefined ? { dateFrom } : {}),
      ...(dateTo !== undefined ? { dateTo } : {}),
      recognition,
      accountingCode: String(code),
    };
  });
  return { id: sourceId, kind, date: integer(sourceId, 'date', data['date']), currency: currencyOf(sourceId, data['currency']), lines };
}

export interface ReadyJournal {
  date: string;
  memo: string;
  /** Each line one-sided and non-zero; no lines when every line of the record nets to 0. */
  journal: JournalDraft;
}

/** The entry date: `YYYY-MM-DD` and a day the calendar has (DualEntry refuses 2026-02-30, which Date.parse takes for 2 March). */
function entryDate(sourceId: string, value: unknown): string {
  if (typeof value !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(value)) throw bad(sourceId, 'date', 'a date YYYY-MM-DD', value);
  if (startDateSeconds(value, 'UTC') === undefined) {
    throw new LedgersyncError('invalid_mapped_record', 'record', `record ${sourceId}: date ${value} is not a day of the calendar; nothing was posted`, {
      details: { field: 'date' },
      fix: `correct the journal's date in the export (or the stream's mapping that makes it) to a real YYYY-MM-DD date`,
    });
  }
  return value;
}

/**
 * A ready-made journal, each line netted to one side: a signed export (one amount column) arrives as
 * a negative debit or credit, and a line may carry both. A line that nets to 0 is left out: DualEntry
 * refuses a line with neither side, and it moves nothing.
 */
export function parseReadyJournal(sourceId: string, data: Record<string, unknown>): ReadyJournal {
  const date = entryDate(sourceId, data['date']);
  const memo = data['memo'] ?? '';
  if (typeof memo !== 'string') throw bad(sourceId, 'memo', 'a text', memo);
  const currency = currencyOf(sourceId, data['currency']);
  const rawLines = data['lines'];
  if (!Array.isArray(rawLines) || rawLines.length < 2) throw bad(sourceId, 'lines', 'an array of at least two lines', rawLines);
  const lines = rawLines.flatMap((raw: unknown, i) => {
    if (typeof raw !== 'object' || raw === null) throw bad(sourceId, `lines[${i}]`, 'an object', raw);
    const line = raw as Record<string, unknown>;
    const account = line['account_number'];
    if ((typeof account !== 'string' && typeof account !== 'number') || !/^\d{1,12}$/.test(String(account))) {
      throw bad(sourceId, `lines[${i}].account_number`, 'a DualEntry account number (digits)', account);
    }
    const amount = (name: 'debit' | 'credit'): bigint => {
      const value = line[name];
      if (value === undefined || value === null || value === '') return 0n;
      try {
        return decimalToMinorUnits(String(value), currency);
      } catch (error) {
        throw bad(sourceId, `lines[${i}].${name}`, `a decimal amount in ${currency} (${(error as Error).message})`, value);
      }
    };
    const net = amount('debit') - amount('credit');
    if (net === 0n) return [];
    if (net > BigInt(Number.MAX_SAFE_INTEGER) || net < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw bad(sourceId, `lines[${i}]`, `an amount small enough to post exactly (debit − credit is ${net} minor units of ${currency})`, raw);
    }
    const lineMemo = line['memo'] ?? memo;
    return [
      {
        account: String(account),
        debit: net > 0n ? Number(net) : 0,
        credit: net < 0n ? Number(-net) : 0,
        memo: typeof lineMemo === 'string' ? lineMemo : String(lineMemo),
        accountingCodes: [],
      },
    ];
  });
  return { date, memo, journal: { currency, lines } };
}
