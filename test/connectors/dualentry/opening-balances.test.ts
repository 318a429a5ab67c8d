/**
 * `first_period`: earlier periods are the opening balances. What a document scheduled into them when
 * first seen is in those balances; a later change to it (a void) is carried into the first open
 * period, like a change to a posted period.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDualEntrySink } from '../../../connectors/dualentry/index.js';
import { RevrecLedger } from '../../../connectors/dualentry/revrec-ledger.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { annualInvoice, at, factoryInput, memoryKv, revrecBlock, sinkContext } from './helpers.js';

let fake: FakeDualEntry;
beforeEach(async () => {
  fake = await startFakeDualEntry();
});
afterEach(async () => {
  await fake.close();
});

const base = () => ({ url: fake.url, apiKey: fake.apiKey, companyId: fake.companyId });
const fromMarch = { revenue_recognition: { ...revrecBlock, first_period: '2026-03' } };
const cents = (text: string) => Math.round(Number(text) * 100);
/** Net debit (debit − credit) posted on an account across every entry, in cents. */
const net = (account: number) =>
  fake.state.entries
    .flatMap((e) => e.items)
    .filter((i) => i.account_number === account)
    .reduce((sum, i) => sum + cents(i.debit) - cents(i.credit), 0);
const itemsOf = (date: string) => fake.state.entries.find((e) => e.date === date)?.items.map((i) => [i.account_number, i.debit, i.credit]);
const voided = () => ({ ...annualInvoice(), action: 'delete' as const, data: {} });

function expectEveryEntryBalanced(): void {
  for (const entry of fake.state.entries) {
    expect(entry.items.reduce((sum, i) => sum + cents(i.debit) - cents(i.credit), 0)).toBe(0);
    expect(entry.items.length).toBeGreaterThanOrEqual(2);
  }
}

describe('revrec first_period: opening balances', () => {
  it('a document from the opening balances voided after the cut-over takes back its receivable and deferred revenue in the first open period', async () => {
    const kv = memoryKv();
    // 1,200.00 billed 2026-01-01; January (101.92) and February (92.05) recognised in the opening
    // balances: AR 1,200.00 Dr, deferred revenue 1,006.03 Cr, revenue 193.97 Cr.
    const march = createDualEntrySink(factoryInput({ ...base(), extensions: fromMarch }), { now: () => at(2026, 4, 2) });
    await march.write([annualInvoice()], sinkContext(kv));
    await march.close!(sinkContext(kv));
    expect(itemsOf('2026-03-31')).toEqual([
      [2400, '101.92', '0.00'],
      [4000, '0.00', '101.92'],
    ]);

    const april = createDualEntrySink(factoryInput({ ...base(), extensions: fromMarch }), { now: () => at(2026, 5, 2) });
    await april.write([voided()], sinkContext(kv));
    await april.close!(sinkContext(kv));
    expect(april.lastAutomaticPostings.map((o) => [o.period, o.status])).toEqual([['2026-04', 'posted']]);
    // The billing comes off AR, and the revenue of January, February (opening) and March (posted) is reversed.
    expect(itemsOf('2026-04-30')).toEqual([
      [1200, '0.00', '1200.00'],
      [2400, '1200.00', '0.00'],
      [2400, '0.00', '295.89'],
      [4000, '295.89', '0.00'],
    ]);
    expectEveryEntryBalanced();
    // With the opening balances (AR +1,200.00, deferred −1,006.03, revenue −193.97) every account is back to zero.
    expect(net(1200)).toBe(-120000);
    expect(net(2400)).toBe(100603);
    expect(net(4000)).toBe(19397);

    // Nothing is left to carry: May posts nothing.
    const may = createDualEntrySink(factoryInput({ ...base(), extensions: fromMarch }), { now: () => at(2026, 6, 2) });
    await may.close!(sinkContext(kv));
    expect(fake.state.entries).toHaveLength(2);
  });

  it('a void in the same month as the cut-over posting is carried into the next open period, never into the opening periods', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput({ ...base(), extensions: fromMarch }), { now: () => at(2026, 3, 10) });
    await sink.write([annualInvoice()], sinkContext(kv));
    await sink.write([voided()], sinkContext(kv));
    const later = createDualEntrySink(factoryInput({ ...base(), extensions: fromMarch }), { now: () => at(2026, 4, 2) });
    await later.close!(sinkContext(kv));
    // March's own revenue is gone with the document; the opening balances' share is reversed in March.
    expect(itemsOf('2026-03-31')).toEqual([
      [1200, '0.00', '1200.00'],
      [2400, '1200.00', '0.00'],
      [2400, '0.00', '193.97'],
      [4000, '193.97', '0.00'],
    ]);
    expect(fake.state.entries.map((e) => e.date)).toEqual(['2026-03-31']);
    expectEveryEntryBalanced();
  });

  it('state kept before opening amounts were recorded: what earlier periods held then stays the opening balance', async () => {
    const kv = memoryKv();
    const march = createDualEntrySink(factoryInput({ ...base(), extensions: fromMarch }), { now: () => at(2026, 4, 2) });
    await march.write([annualInvoice()], sinkContext(kv));
    await march.close!(sinkContext(kv));
    // The state an earlier version left: no opening amounts, no posted-through watermark.
    for (const key of [...kv.data.keys()]) if (key.startsWith('revrec:opening') || key === 'revrec:posted-through') kv.data.delete(key);
    expect(new RevrecLedger(kv).unposted('2026-01', { afterOpeningBalance: true })).toEqual([]);

    const april = createDualEntrySink(factoryInput({ ...base(), extensions: fromMarch }), { now: () => at(2026, 5, 2) });
    await april.write([voided()], sinkContext(kv));
    await april.close!(sinkContext(kv));
    expect(net(1200)).toBe(-120000);
    expect(net(2400)).toBe(100603);
    expectEveryEntryBalanced();
  });

  it("an unchanged document's opening share is never posted, however many runs go by", async () => {
    const kv = memoryKv();
    for (const month of [4, 5, 6]) {
      const sink = createDualEntrySink(factoryInput({ ...base(), extensions: fromMarch }), { now: () => at(2026, month, 2) });
      await sink.write([annualInvoice()], sinkContext(kv));
      await sink.close!(sinkContext(kv));
    }
    // March, April, May: recognition only (101.92, 98.63, 101.92), nothing of January's billing.
    expect(fake.state.entries.map((e) => [e.date, e.items.map((i) => i.account_number)])).toEqual([
      ['2026-03-31', [2400, 4000]],
      ['2026-04-30', [2400, 4000]],
      ['2026-05-31', [2400, 4000]],
    ]);
    expect(net(1200)).toBe(0);
    expect(net(4000)).toBe(-(10192 + 9863 + 10192));
  });
});
