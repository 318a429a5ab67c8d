import { describe, expect, it } from 'vitest';
import { PeriodCalendar } from '../../../domain/revrec/calendar.js';
import { allocateByWeights } from '../../../domain/revrec/allocate.js';
import { allocateLine, documentSchedule, type RevenueDocument, type RevenueLine } from '../../../domain/revrec/schedule.js';
import { formatMinor } from '../../../domain/money/money.js';

const at = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h) / 1000;
const monthly = new PeriodCalendar('month', 'UTC');

function line(partial: Partial<RevenueLine> & Pick<RevenueLine, 'amount'>): RevenueLine {
  return { id: 'li_1', discount: 0, tax: 0, recognition: 'ratable', accountingCode: 'SAAS', ...partial };
}

function byPeriod(allocations: Array<{ period: string; revenue: number }>): Record<string, number> {
  return Object.fromEntries(allocations.map((a) => [a.period, a.revenue]));
}

describe('allocateByWeights', () => {
  it('gives the leftover units to the largest remainders, earliest first on a tie', () => {
    expect(allocateByWeights(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocateByWeights(1000, [7, 14])).toEqual([333, 667]);
    expect(allocateByWeights(-100, [1, 1, 1])).toEqual([-34, -33, -33]);
  });

  it('stays exact where amount × days passes 2^53', () => {
    const shares = allocateByWeights(9_000_000_000_000_000 / 1000, [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]);
    expect(shares.reduce((a, b) => a + b, 0)).toBe(9_000_000_000_000);
  });
});

describe('recognition schedules', () => {
  it('monthly: a month billed on the 1st is recognised in that month', () => {
    const l = line({ amount: 4900, dateFrom: at(2026, 10, 1), dateTo: at(2026, 11, 1) });
    expect(byPeriod(allocateLine(l, at(2026, 10, 1), monthly))).toEqual({ '2026-10': 4900 });
  });

  it('annual prepaid: 12 months ratably by day, summing exactly to the line', () => {
    const l = line({ amount: 120000, dateFrom: at(2026, 1, 1), dateTo: at(2027, 1, 1) });
    expect(byPeriod(allocateLine(l, at(2026, 1, 1), monthly))).toEqual({
      '2026-01': 10192,
      '2026-02': 9205,
      '2026-03': 10192,
      '2026-04': 9863,
      '2026-05': 10192,
      '2026-06': 9863,
      '2026-07': 10192,
      '2026-08': 10192,
      '2026-09': 9863,
      '2026-10': 10192,
      '2026-11': 9863,
      '2026-12': 10191,
    });
  });

  it('annual prepaid by quarter', () => {
    const quarterly = new PeriodCalendar('quarter', 'UTC');
    const l = line({ amount: 120000, dateFrom: at(2026, 1, 1), dateTo: at(2027, 1, 1) });
    // 90, 91, 92, 92 days of 365
    expect(byPeriod(allocateLine(l, at(2026, 1, 1), quarterly))).toEqual({ '2026-Q1': 29589, '2026-Q2': 29918, '2026-Q3': 30247, '2026-Q4': 30246 });
  });

  it('mid-month start: split by the days in each month', () => {
    const l = line({ amount: 3100, dateFrom: at(2026, 1, 15, 10), dateTo: at(2026, 2, 15, 10) });
    expect(byPeriod(allocateLine(l, at(2026, 1, 15, 10), monthly))).toEqual({ '2026-01': 1700, '2026-02': 1400 });
  });

  it('prorated upgrade: the prorated charge covers only the rest of the term', () => {
    // Term Mar 15 → Apr 15, upgraded on Mar 25: 21 days left, 7 in March and 14 in April.
    const l = line({ amount: 1000, dateFrom: at(2026, 3, 25), dateTo: at(2026, 4, 15) });
    expect(byPeriod(allocateLine(l, at(2026, 3, 25), monthly))).toEqual({ '2026-03': 333, '2026-04': 667 });
  });

  it('one-off charge: recognised at once in the document period', () => {
    const setup = line({ amount: 25000, recognition: 'point_in_time', dateFrom: at(2026, 5, 20), dateTo: at(2026, 5, 20) });
    expect(byPeriod(allocateLine(setup, at(2026, 5, 20), monthly))).toEqual({ '2026-05': 25000 });
    const noDates = line({ amount: 900 });
    expect(byPeriod(allocateLine(noDates, at(2026, 6, 3), monthly))).toEqual({ '2026-06': 900 });
  });

  it('JPY and KWD lines allocate in their own minor units', () => {
    const yen = line({ amount: 10000, dateFrom: at(2026, 1, 15), dateTo: at(2026, 2, 15) });
    const yenShares = allocateLine(yen, at(2026, 1, 15), monthly);
    expect(byPeriod(yenShares)).toEqual({ '2026-01': 5484, '2026-02': 4516 });
    expect(yenShares.map((s) => formatMinor(s.revenue, 'JPY'))).toEqual(['5484', '4516']);

    const dinar = line({ amount: 1000, dateFrom: at(2026, 1, 15), dateTo: at(2026, 2, 15) });
    const dinarShares = allocateLine(dinar, at(2026, 1, 15), monthly);
    expect(byPeriod(dinarShares)).toEqual({ '2026-01': 548, '2026-02': 452 });
    expect(dinarShares.map((s) => formatMinor(s.revenue, 'KWD'))).toEqual(['0.548', '0.452']);
  });

  it('a credit note reversing part of a recognised line catches up in its own period', () => {
    const invoice: RevenueDocument = {
      id: 'inv_1',
      kind: 'invoice',
      date: at(2026, 1, 1),
      currency: 'USD',
      lines: [line({ amount: 120000, dateFrom: at(2026, 1, 1), dateTo: at(2027, 1, 1) })],
    };
    // Refund of Mar 1 → Jul 1 (31 + 30 + 31 + 30 days), issued Apr 10: March was recognised already.
    const credit: RevenueDocument = {
      id: 'cn_1',
      kind: 'credit_note',
      date: at(2026, 4, 10),
      currency: 'USD',
      lines: [line({ amount: 12200, dateFrom: at(2026, 3, 1), dateTo: at(2026, 7, 1) })],
    };
    const creditRows = documentSchedule(credit, monthly);
    expect(creditRows.filter((r) => r.component === 'revenue').map((r) => [r.period, r.amount])).toEqual([
      ['2026-04', -6100],
      ['2026-05', -3100],
      ['2026-06', -3000],
    ]);
    expect(creditRows.find((r) => r.component === 'billed')).toEqual({ period: '2026-04', accountingCode: 'SAAS', component: 'billed', amount: -12200 });

    const net = new Map<string, number>();
    for (const row of [...documentSchedule(invoice, monthly), ...creditRows]) {
      if (row.component === 'revenue') net.set(row.period, (net.get(row.period) ?? 0) + row.amount);
    }
    expect(net.get('2026-03')).toBe(10192);
    expect(net.get('2026-04')).toBe(9863 - 6100);
    expect(net.get('2026-05')).toBe(10192 - 3100);
    expect(net.get('2026-07')).toBe(10192);
  });

  it('discounts are recognised to contra-revenue alongside the gross amount; billing nets them', () => {
    const doc: RevenueDocument = {
      id: 'inv_2',
      kind: 'invoice',
      date: at(2026, 1, 15),
      currency: 'USD',
      lines: [line({ amount: 3100, discount: 310, tax: 248, dateFrom: at(2026, 1, 15), dateTo: at(2026, 2, 15) })],
    };
    const rows = documentSchedule(doc, monthly).map((r) => `${r.period} ${r.component} ${r.amount}`);
    expect(rows.sort()).toEqual([
      '2026-01 billed 2790',
      '2026-01 discount 170',
      '2026-01 revenue 1700',
      '2026-01 tax 248',
      '2026-02 discount 140',
      '2026-02 revenue 1400',
    ]);
  });

  it('a back-dated invoice recognises the past service in its own period', () => {
    const l = line({ amount: 3000, dateFrom: at(2026, 1, 1), dateTo: at(2026, 4, 1) });
    expect(byPeriod(allocateLine(l, at(2026, 2, 20), monthly))).toEqual({ '2026-02': 1967, '2026-03': 1033 });
  });

  it('reads service dates in the pipeline timezone', () => {
    const newYork = new PeriodCalendar('month', 'America/New_York');
    // 2026-02-01T02:00Z is still January 31 in New York.
    const l = line({ amount: 100, recognition: 'point_in_time', dateFrom: at(2026, 2, 1, 2) });
    expect(byPeriod(allocateLine(l, at(2026, 2, 1, 2), newYork))).toEqual({ '2026-01': 100 });
    expect(byPeriod(allocateLine(l, at(2026, 2, 1, 2), monthly))).toEqual({ '2026-02': 100 });
  });
});

describe('calendar', () => {
  it('matches Intl for instants around daylight-saving changes', () => {
    const zones = ['America/New_York', 'Europe/Berlin', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Chatham'];
    for (const zone of zones) {
      const calendar = new PeriodCalendar('month', zone);
      const reference = new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' });
      for (let t = Date.UTC(2026, 0, 1) / 1000; t < Date.UTC(2027, 0, 1) / 1000; t += 3_607) {
        const expected = reference.format(new Date(t * 1000));
        const [y, m, d] = expected.split('-').map(Number) as [number, number, number];
        if (calendar.dayOf(t) !== Date.UTC(y, m - 1, d) / 86_400_000) throw new Error(`${zone} ${t}: expected ${expected}`);
      }
    }
    expect(new PeriodCalendar('quarter').parseKey('2026-Q4')).toMatchObject({ key: '2026-Q4' });
  });
});
