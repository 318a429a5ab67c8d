/**
 * A 3-decimal currency's period whose every amount rounds to 0.00 at DualEntry's 2 decimals: no entry
 * can hold it (DualEntry refuses one without lines), so nothing is sent, the period is final, and its
 * amounts go with the next entry in that currency.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDualEntrySink } from '../../../connectors/dualentry/index.js';
import { RevrecLedger } from '../../../connectors/dualentry/revrec-ledger.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { at, documentRecord, factoryInput, memoryKv, sinkContext } from './helpers.js';

let fake: FakeDualEntry;
beforeEach(async () => {
  fake = await startFakeDualEntry();
});
afterEach(async () => {
  await fake.close();
});

const base = () => ({ url: fake.url, apiKey: fake.apiKey, companyId: fake.companyId, connection: { rounding_account: '7990' } });

/** 1.000 KWD served 2026-01-02 to 2027-01-02: January 2027 holds one day of it, 0.003 KWD. */
const kwdYear = documentRecord('inv_kwd', {
  kind: 'invoice',
  date: at(2026, 1, 2),
  currency: 'KWD',
  lines: [{ id: 'l1', amount: 1000, date_from: at(2026, 1, 2), date_to: at(2027, 1, 2), accounting_code: 'SAAS' }],
});
const usdFebruary = documentRecord('inv_usd', {
  kind: 'invoice',
  date: at(2027, 2, 1),
  currency: 'USD',
  lines: [{ id: 'l1', amount: 10000, date_from: at(2027, 2, 1), date_to: at(2027, 3, 1), accounting_code: 'SAAS' }],
});
/** A one-off 2.000 KWD charge in February 2027. */
const kwdFebruary = documentRecord('inv_kwd_feb', {
  kind: 'invoice',
  date: at(2027, 2, 10),
  currency: 'KWD',
  lines: [{ id: 'l1', amount: 2000, accounting_code: 'SAAS' }],
});

const entryPosts = () => fake.state.requests.filter((r) => r.method === 'POST' && r.path.includes('/journal-entries'));

describe('revrec: a period whose every amount rounds to nothing at DualEntry’s 2 decimals', () => {
  it('sends no entry, counts the period as posted, and later periods in every currency still post', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput(base()), { now: () => at(2027, 3, 5) });
    await sink.write([kwdYear, usdFebruary], sinkContext(kv));
    await sink.close!(sinkContext(kv));

    const outcomes = sink.lastAutomaticPostings.map((o) => [o.period, o.status, o.apiCalls]);
    expect(outcomes.slice(-2)).toEqual([
      ['2027-01', 'nothing_to_post', 0],
      ['2027-02', 'posted', 2],
    ]);
    expect(outcomes.filter(([, status]) => status === 'failed')).toEqual([]);
    // Twelve KWD months and February's USD; no request ever went out without lines.
    expect(entryPosts()).toHaveLength(13);
    for (const request of entryPosts()) expect((request.body as { items: unknown[] }).items.length).toBeGreaterThanOrEqual(2);
    expect(fake.state.entries.at(-1)).toMatchObject({ date: '2027-02-28', currency_iso_4217_code: 'USD' });
    expect(sink.status(sinkContext(kv)).periods.find((p) => p.period === '2027-01')).toMatchObject({ posted: true, entries: [] });
    expect(sink.status(sinkContext(kv)).retry).toBeUndefined();
  });

  it('carries the amounts left out into the next entry in that currency, so none is lost', async () => {
    const kv = memoryKv();
    const january = createDualEntrySink(factoryInput(base()), { now: () => at(2027, 2, 5) });
    await january.write([kwdYear], sinkContext(kv));
    await january.close!(sinkContext(kv));
    const ledger = new RevrecLedger(kv);
    const leftOut = ledger.unposted('2027-01');
    expect(leftOut.map((r) => [r.currency, r.component])).toEqual([['KWD', 'revenue']]);
    expect(leftOut[0]!.amount).toBeGreaterThan(0);
    expect(leftOut[0]!.amount).toBeLessThan(5);

    const february = createDualEntrySink(factoryInput(base()), { now: () => at(2027, 3, 5) });
    await february.write([kwdFebruary], sinkContext(kv));
    await february.close!(sinkContext(kv));
    expect(february.lastAutomaticPostings.map((o) => [o.period, o.status])).toEqual([['2027-02', 'posted']]);
    // February's entry carries January's fils with its own 2.000: nothing of either is left to post.
    expect(ledger.unposted('2027-01')).toEqual([]);
    expect(ledger.unposted('2027-02')).toEqual([]);
    const posted = ledger.postings('2027-02')[0]!;
    expect(posted.included.filter(([origin]) => origin === '2027-01')).toEqual([['2027-01', 'SAAS', 'revenue', leftOut[0]!.amount]]);
    expect(fake.state.entries.at(-1)!.items.map((i) => [i.account_number, i.debit, i.credit])).toEqual([
      [1200, '2.00', '0.00'],
      [2400, '0.00', '2.00'],
      [2400, '2.00', '0.00'],
      [4000, '0.00', '2.00'],
    ]);
  });

  it('posting such a period on demand reports nothing to post and sends nothing', async () => {
    const kv = memoryKv();
    const sink = createDualEntrySink(factoryInput(base()), { now: () => at(2027, 2, 5) });
    await sink.write([kwdYear], sinkContext(kv));
    for (let month = 1; month <= 12; month++) await sink.post(`2026-${String(month).padStart(2, '0')}`, { repost: false }, sinkContext(kv));
    const before = fake.state.requests.length;
    const outcome = await sink.post('2027-01', { repost: false }, sinkContext(kv));
    expect([outcome.status, outcome.entries, outcome.apiCalls, outcome.error]).toEqual(['nothing_to_post', [], 0, undefined]);
    expect(fake.state.requests.length).toBe(before);
  });
});
