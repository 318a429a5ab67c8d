import { describe, expect, it } from 'vitest';
import { lookupAccountResolver } from '../../../domain/revrec/accounts.js';
import { PeriodCalendar } from '../../../domain/revrec/calendar.js';
import { assertBalanced, buildJournals, journalTotals, type TotalsRow } from '../../../domain/revrec/journal.js';
import { allocateLine, documentSchedule, type RevenueDocument } from '../../../domain/revrec/schedule.js';
import { isLedgersyncError } from '../../../engine/errors.js';

const lookups = {
  ar: { values: { EU: '1210' }, default: '1200' },
  deferred: { values: {}, default: '2400' },
  revenue: { values: { SAAS: '4000', SERVICES: '4010' }, default: '4020' },
  contra: { values: {}, default: '4900' },
  tax: { values: {}, default: '2100' },
};
const resolve = lookupAccountResolver(
  { accounts_receivable: 'ar', deferred_revenue: 'deferred', revenue: 'revenue', contra_revenue: 'contra', tax_payable: 'tax' },
  lookups,
);

/** Small deterministic PRNG (mulberry32), so a failing case can be replayed. */
function prng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randomDocument(random: () => number, i: number): RevenueDocument {
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const currency = ['USD', 'EUR', 'JPY', 'KWD'][int(0, 3)] as string;
  const date = Date.UTC(2025, 0, 1) / 1000 + int(0, 730) * 86_400 + int(0, 86_399);
  const lines = Array.from({ length: int(1, 5) }, (_, j) => {
    const amount = int(0, 5_000_000);
    const discount = random() < 0.3 ? int(0, amount) : 0;
    const from = date + int(-40, 40) * 86_400;
    const length = [0, 1, 28, 30, 31, 90, 365, 366, 730, 1095][int(0, 9)] as number;
    return {
      id: `li_${i}_${j}`,
      amount,
      discount,
      tax: random() < 0.5 ? int(0, amount >> 3) : 0,
      dateFrom: from,
      dateTo: from + length * 86_400 + int(0, 86_399),
      recognition: random() < 0.15 ? ('point_in_time' as const) : ('ratable' as const),
      accountingCode: ['SAAS', 'SERVICES', '', 'EU', 'OTHER'][int(0, 4)] as string,
    };
  });
  return { id: `doc_${i}`, kind: random() < 0.2 ? 'credit_note' : 'invoice', date, currency, lines };
}

describe('journals', () => {
  it('balance per currency and period for 10,000 random invoices and credit notes, and every line sums exactly', () => {
    const random = prng(20261122);
    const calendar = new PeriodCalendar('month', 'Europe/Berlin');
    const totals = new Map<string, Map<string, TotalsRow>>();
    let lineCount = 0;
    const failures: string[] = [];
    for (let i = 0; i < 10_000; i++) {
      const document = randomDocument(random, i);
      const documentPeriod = calendar.periodOfDay(calendar.dayOf(document.date)).key;
      for (const line of document.lines) {
        lineCount++;
        const shares = allocateLine(line, document.date, calendar);
        const periods = shares.map((s) => s.period);
        // Exact sums, never before the document's period, ascending periods.
        if (
          shares.reduce((sum, s) => sum + s.revenue, 0) !== line.amount ||
          shares.reduce((sum, s) => sum + s.discount, 0) !== line.discount ||
          periods.some((p) => p < documentPeriod) ||
          periods.join() !== [...new Set(periods)].sort().join()
        ) {
          failures.push(`${document.id}/${line.id}: ${JSON.stringify(shares)}`);
        }
      }
      for (const row of documentSchedule(document, calendar)) {
        let period = totals.get(row.period);
        if (!period) totals.set(row.period, (period = new Map()));
        const key = `${document.currency}|${row.accountingCode}|${row.component}`;
        const existing = period.get(key);
        if (existing) existing.amount += row.amount;
        else period.set(key, { currency: document.currency, accountingCode: row.accountingCode, component: row.component, amount: row.amount });
      }
    }
    expect(failures.slice(0, 5)).toEqual([]);
    expect(lineCount).toBeGreaterThan(25_000);
    let journalsChecked = 0;
    for (const rows of totals.values()) {
      for (const journal of buildJournals(rows.values(), resolve)) {
        const { debit, credit } = journalTotals(journal);
        expect(debit).toBe(credit);
        expect(journal.lines.every((l) => (l.debit === 0) !== (l.credit === 0) && l.debit >= 0 && l.credit >= 0)).toBe(true);
        journalsChecked++;
      }
    }
    expect(journalsChecked).toBeGreaterThan(100);
  });

  it('posts billing, release, revenue, contra-revenue and tax on the mapped accounts', () => {
    const [journal] = buildJournals(
      [
        { currency: 'USD', accountingCode: 'SAAS', component: 'billed', amount: 2790 },
        { currency: 'USD', accountingCode: 'SAAS', component: 'tax', amount: 248 },
        { currency: 'USD', accountingCode: 'SAAS', component: 'revenue', amount: 1700 },
        { currency: 'USD', accountingCode: 'SAAS', component: 'discount', amount: 170 },
      ],
      resolve,
    );
    expect(journal?.lines.map((l) => [l.account, l.debit, l.credit])).toEqual([
      ['1200', 3038, 0],
      ['2400', 0, 2790],
      ['2100', 0, 248],
      ['2400', 1530, 0],
      ['4000', 0, 1700],
      ['4900', 170, 0],
    ]);
  });

  it('refuses an unbalanced journal as a bug, never a post', () => {
    let caught: unknown;
    try {
      assertBalanced({
        currency: 'USD',
        lines: [
          { account: '1200', debit: 100, credit: 0, memo: 'x', accountingCodes: [] },
          { account: '4000', debit: 0, credit: 99, memo: 'y', accountingCodes: [] },
        ],
      });
    } catch (error) {
      caught = error;
    }
    expect(isLedgersyncError(caught) && caught.code).toBe('unbalanced_journal');
    expect(isLedgersyncError(caught) && caught.kind).toBe('system');
    expect(String((caught as Error).message)).toContain('debits 1.00 ≠ credits 0.99 USD');
  });

  it('names the lookup table and accounting code when a mapping has no account', () => {
    const strict = lookupAccountResolver(
      { accounts_receivable: 'ar', deferred_revenue: 'deferred', revenue: 'strict_revenue', contra_revenue: 'contra' },
      {
        ...lookups,
        strict_revenue: { values: { SAAS: '4000' } },
      },
    );
    expect(() => strict('revenue', 'HARDWARE')).toThrow(/accounting code "HARDWARE": lookups.strict_revenue has no such key and no default/);
    expect(() => strict('tax_payable', 'SAAS')).toThrow(/revenue_recognition.accounts.tax_payable names no lookup table/);
  });
});
