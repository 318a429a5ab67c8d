/**
 * Every period at or before the latest one posted is final: a back-dated document (an imported
 * invoice, an invoice dated in the past) reaching an empty closed period before the first one that
 * had amounts goes into the first open period, never into a new entry dated before entries already posted.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDualEntrySink } from '../../../connectors/dualentry/index.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { at, factoryInput, memoryKv, monthlyInvoice, revrecBlock, sinkContext } from './helpers.js';

let fake: FakeDualEntry;
beforeEach(async () => {
  fake = await startFakeDualEntry();
});
afterEach(async () => {
  await fake.close();
});

const base = () => ({ url: fake.url, apiKey: fake.apiKey, companyId: fake.companyId });

/** March and April 2026 posted by a run on 2026-05-02; nothing before March. */
async function marchAndAprilPosted(kv: ReturnType<typeof memoryKv>, extensions?: Record<string, unknown>): Promise<void> {
  const sink = createDualEntrySink(factoryInput({ ...base(), ...(extensions ? { extensions } : {}) }), { now: () => at(2026, 5, 2) });
  await sink.write([monthlyInvoice('inv_mar', 2026, 3, 10000), monthlyInvoice('inv_apr', 2026, 4, 10000)], sinkContext(kv));
  await sink.close!(sinkContext(kv));
  expect(fake.state.entries.map((e) => e.date)).toEqual(['2026-03-31', '2026-04-30']);
}

describe('revrec: empty closed periods before the first one with amounts', () => {
  it('a back-dated January invoice goes into May, the first open period, with its billing and recognition', async () => {
    const kv = memoryKv();
    await marchAndAprilPosted(kv);
    const june = createDualEntrySink(factoryInput(base()), { now: () => at(2026, 6, 2) });
    await june.write([monthlyInvoice('inv_jan', 2026, 1, 5000)], sinkContext(kv));
    await june.close!(sinkContext(kv));
    expect(june.lastAutomaticPostings.map((o) => [o.period, o.status])).toEqual([['2026-05', 'posted']]);
    expect(fake.state.entries.map((e) => e.date)).toEqual(['2026-03-31', '2026-04-30', '2026-05-31']);
    expect(fake.state.entries[2]!.items.map((i) => [i.account_number, i.debit, i.credit])).toEqual([
      [1200, '50.00', '0.00'],
      [2400, '0.00', '50.00'],
      [2400, '50.00', '0.00'],
      [4000, '0.00', '50.00'],
    ]);
    // January counts as posted, without an entry of its own.
    expect(june.status(sinkContext(kv)).periods.find((p) => p.period === '2026-01')).toMatchObject({ posted: true, entries: [] });
  });

  it('a January locked in DualEntry does not matter: nothing is dated in it, and May posts (no batch waits in retry)', async () => {
    const kv = memoryKv();
    await marchAndAprilPosted(kv);
    fake.lockPeriod('2026-01');
    const june = createDualEntrySink(factoryInput(base()), { now: () => at(2026, 6, 2) });
    await june.write([monthlyInvoice('inv_jan', 2026, 1, 5000), monthlyInvoice('inv_may', 2026, 5, 10000)], sinkContext(kv));
    const report = await june.close!(sinkContext(kv));
    expect(report).toBeUndefined();
    expect(fake.state.entries.map((e) => e.date)).toEqual(['2026-03-31', '2026-04-30', '2026-05-31']);
    // May's 100.00 and January's 50.00.
    expect(fake.state.entries[2]!.items.find((i) => i.account_number === 1200)!.debit).toBe('150.00');
    expect(june.status(sinkContext(kv)).retry).toBeUndefined();
  });

  it('posting the old period on demand reports nothing to post: its amounts go to the first open period', async () => {
    const kv = memoryKv();
    await marchAndAprilPosted(kv);
    const sink = createDualEntrySink(factoryInput(base()), { now: () => at(2026, 5, 20) });
    await sink.write([monthlyInvoice('inv_jan', 2026, 1, 5000)], sinkContext(kv));
    expect((await sink.post('2026-01', { repost: false }, sinkContext(kv))).status).toBe('nothing_to_post');
    expect(fake.state.entries).toHaveLength(2);
  });

  it('with first_period, empty periods from it onwards are final too: a back-dated February invoice goes into May', async () => {
    const kv = memoryKv();
    const fromJanuary = { revenue_recognition: { ...revrecBlock, first_period: '2026-01' } };
    await marchAndAprilPosted(kv, fromJanuary);
    const june = createDualEntrySink(factoryInput({ ...base(), extensions: fromJanuary }), { now: () => at(2026, 6, 2) });
    await june.write([monthlyInvoice('inv_feb', 2026, 2, 5000)], sinkContext(kv));
    await june.close!(sinkContext(kv));
    expect(fake.state.entries.map((e) => e.date)).toEqual(['2026-03-31', '2026-04-30', '2026-05-31']);
    expect(fake.state.entries[2]!.items.find((i) => i.account_number === 1200)!.debit).toBe('50.00');
  });
});
