import { describe, expect, it } from 'vitest';
import { RevrecLedger } from '../../../connectors/dualentry/revrec-ledger.js';
import { PeriodCalendar } from '../../../domain/revrec/calendar.js';
import { documentSchedule, type RevenueDocument } from '../../../domain/revrec/schedule.js';
import { at, memoryKv } from './helpers.js';

const calendar = new PeriodCalendar('month', 'UTC');
const invoice = (id: string, amount: number): RevenueDocument => ({
  id,
  kind: 'invoice',
  date: at(2026, 1, 1),
  currency: 'USD',
  lines: [{ id: 'l', amount, discount: 0, tax: 0, dateFrom: at(2026, 1, 1), dateTo: at(2026, 4, 1), recognition: 'ratable', accountingCode: 'SAAS' }],
});
const update = (doc: RevenueDocument) => ({ key: `invoices:${doc.id}`, currency: doc.currency, rows: documentSchedule(doc, calendar) });
const revenue = (ledger: RevrecLedger, period: string) => ledger.unposted(period).find((r) => r.component === 'revenue')?.amount ?? 0;

describe('revrec ledger state', () => {
  it('replacing a document moves the period totals by the difference only', () => {
    const ledger = new RevrecLedger(memoryKv());
    ledger.replaceDocuments([update(invoice('a', 9000)), update(invoice('b', 900))]);
    expect(['2026-01', '2026-02', '2026-03'].map((p) => revenue(ledger, p))).toEqual([3100 + 310, 2800 + 280, 3100 + 310]);
    expect(ledger.replaceDocuments([update(invoice('a', 0))])).toEqual([true]);
    expect(['2026-01', '2026-02', '2026-03'].map((p) => revenue(ledger, p))).toEqual([310, 280, 310]);
  });

  it('a crash in the middle of a batch is finished by the next ledger on the same store', () => {
    const kv = memoryKv();
    new RevrecLedger(kv).replaceDocuments([update(invoice('a', 9000))]);
    let writes = 0;
    const crashing = {
      ...kv,
      set: (key: string, value: unknown) => {
        // Let the write-ahead record and one more key through, then "crash".
        if (++writes > 2) throw new Error('power cut');
        kv.set(key, value);
      },
    };
    expect(() => new RevrecLedger(crashing).replaceDocuments([update(invoice('a', 18000)), update(invoice('b', 900))])).toThrow('power cut');
    const recovered = new RevrecLedger(kv);
    expect(kv.get('revrec:wal')).toBeUndefined();
    expect(['2026-01', '2026-02', '2026-03'].map((p) => revenue(recovered, p))).toEqual([6200 + 310, 5600 + 280, 6200 + 310]);
    // Replaying the same batch (the runner re-sends unconfirmed records) changes nothing.
    recovered.replaceDocuments([update(invoice('a', 18000)), update(invoice('b', 900))]);
    expect(revenue(recovered, '2026-01')).toBe(6510);
  });
});

describe('revrec ledger on a store with transactions', () => {
  it('uses the store transaction instead of the write-ahead record', () => {
    const kv = memoryKv();
    const keysWritten: string[] = [];
    let inTransaction = 0;
    const transactional = {
      ...kv,
      set: (key: string, value: unknown) => {
        keysWritten.push(`${inTransaction ? 'tx:' : ''}${key}`);
        kv.set(key, value);
      },
      transaction: (fn: () => void) => {
        inTransaction++;
        try {
          fn();
        } finally {
          inTransaction--;
        }
      },
    };
    new RevrecLedger(transactional).replaceDocuments([update(invoice('a', 9000))]);
    expect(keysWritten.every((k) => k.startsWith('tx:'))).toBe(true);
    expect(keysWritten).not.toContain('tx:revrec:wal');
    expect(revenue(new RevrecLedger(kv), '2026-02')).toBe(2800);
  });
});
