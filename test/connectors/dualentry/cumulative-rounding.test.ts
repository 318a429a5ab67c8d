/**
 * Recognition entries of a 3-decimal currency are rounded to DualEntry's 2 decimals cumulatively, per
 * account: after every entry each account holds its exact total rounded once, so a document changed
 * and then voided leaves 0.00 everywhere, where rounding each period's lines on its own left 0.01 KWD
 * of receivable and of deferred revenue that no entry took back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDualEntrySink } from '../../../connectors/dualentry/index.js';
import { fitCumulatively, ROUNDING_MEMO, type AccountTotals } from '../../../connectors/dualentry/entry-lines.js';
import { RevrecLedger, type PostingRecord } from '../../../connectors/dualentry/revrec-ledger.js';
import { PeriodCalendar } from '../../../domain/revrec/calendar.js';
import type { JournalLine } from '../../../domain/revrec/journal.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { at, documentRecord, factoryInput, memoryKv, sinkContext } from './helpers.js';

let fake: FakeDualEntry;
beforeEach(async () => {
  fake = await startFakeDualEntry();
});
afterEach(async () => {
  await fake.close();
});

const ROUNDING_ACCOUNT = '7990';
const base = () => ({ url: fake.url, apiKey: fake.apiKey, companyId: fake.companyId, connection: { rounding_account: ROUNDING_ACCOUNT } });

/** An annual KWD invoice of `amount` fils, served 2026-01-01 to 2027-01-01. */
const kwdInvoice = (amount: number) =>
  documentRecord('inv_K', {
    kind: 'invoice',
    date: at(2026, 1, 1),
    currency: 'KWD',
    lines: [{ id: 'l1', amount, date_from: at(2026, 1, 1), date_to: at(2027, 1, 1), accounting_code: 'SAAS' }],
  });

/** Net debit in fils by account over every KWD entry DualEntry holds. */
function heldInDualEntry(): Record<string, number> {
  const net: Record<string, number> = {};
  for (const entry of fake.state.entries) {
    if (entry.currency_iso_4217_code !== 'KWD') continue;
    for (const item of entry.items) {
      const account = String(item.account_number);
      net[account] = (net[account] ?? 0) + Math.round(Number(item.debit) * 1000) - Math.round(Number(item.credit) * 1000);
    }
  }
  return net;
}

/** Net debit in fils by account of the exact (unrounded) journals recorded, rounded once to 2 decimals half away from zero. */
function exactRoundedOnce(ledger: RevrecLedger): Record<string, number> {
  const exact: Record<string, number> = {};
  for (const period of ledger.periods()) {
    for (const record of ledger.postings(period)) for (const line of record.lines) exact[line.account] = (exact[line.account] ?? 0) + line.debit - line.credit;
  }
  return Object.fromEntries(Object.entries(exact).map(([account, fils]) => [account, Math.sign(fils) * Math.floor((Math.abs(fils) + 5) / 10) * 10]));
}

async function writeAndPost(records: Parameters<ReturnType<typeof createDualEntrySink>['write']>[0], now: number, kv: ReturnType<typeof memoryKv>) {
  const sink = createDualEntrySink(factoryInput(base()), { now: () => now });
  await sink.write(records, sinkContext(kv));
  await sink.close!(sinkContext(kv));
  expect(sink.lastAutomaticPostings.filter((o) => o.status === 'failed')).toEqual([]);
}

describe('revrec into DualEntry: a 3-decimal currency rounded cumulatively per account', () => {
  it('a KWD invoice of 1,200.006 corrected to 600.003 and then voided leaves 0.00 on every account', async () => {
    const kv = memoryKv();
    const ledger = new RevrecLedger(kv);
    const mapped = ['1200', '2400', '4000'];
    const heldEqualsExactRoundedOnce = () => {
      const held = heldInDualEntry();
      const expected = exactRoundedOnce(ledger);
      for (const account of mapped) expect(held[account] ?? 0, `account ${account}`).toBe(expected[account] ?? 0);
    };

    await writeAndPost([kwdInvoice(1200006)], at(2026, 3, 5), kv); // January and February
    heldEqualsExactRoundedOnce();
    await writeAndPost([kwdInvoice(600003)], at(2026, 4, 5), kv); // March carries the correction
    heldEqualsExactRoundedOnce();
    await writeAndPost([{ ...kwdInvoice(600003), action: 'void' }], at(2026, 5, 5), kv); // April takes it all back
    heldEqualsExactRoundedOnce();
    await writeAndPost([], at(2027, 2, 5), kv);

    const held = heldInDualEntry();
    expect(held['1200']).toBeDefined();
    // Chargebee bills nothing: receivable, deferred revenue and revenue hold nothing, and so the rounding account nets to 0 too.
    expect(Object.fromEntries(Object.entries(held).filter(([, fils]) => fils !== 0))).toEqual({});
    // Every entry went out in DualEntry's 2 decimals.
    for (const entry of fake.state.entries)
      for (const item of entry.items) expect([item.debit, item.credit].every((a) => Math.round(Number(a) * 1000) % 10 === 0)).toBe(true);
  });

  it('a repost (reversal and correction) is rounded the same way, and the void after it still leaves 0.00', async () => {
    const kv = memoryKv();
    const ledger = new RevrecLedger(kv);
    await writeAndPost([kwdInvoice(1200006)], at(2026, 2, 5), kv); // January
    const sink = createDualEntrySink(factoryInput(base()), { now: () => at(2026, 2, 6) });
    await sink.write([kwdInvoice(600003)], sinkContext(kv));
    const repost = await sink.post('2026-01', { repost: true }, sinkContext(kv));
    expect([repost.status, repost.entries.map((e) => e.kind)]).toEqual(['reposted', ['reversal', 'correction']]);
    const held = heldInDualEntry();
    const expected = exactRoundedOnce(ledger);
    for (const account of ['1200', '2400', '4000']) expect(held[account] ?? 0, `account ${account}`).toBe(expected[account] ?? 0);

    await writeAndPost([{ ...kwdInvoice(600003), action: 'void' }], at(2026, 3, 5), kv);
    await writeAndPost([], at(2027, 2, 5), kv);
    expect(Object.fromEntries(Object.entries(heldInDualEntry()).filter(([, fils]) => fils !== 0))).toEqual({});
  });

  it('each line takes what brings its account to the exact total rounded once; the rounding account takes only the imbalance', () => {
    const line = (account: string, debit: number, credit: number): JournalLine => ({ account, debit, credit, memo: `m${account}`, accountingCodes: [] });
    // Before: 1200 holds 0.01 for an exact 0.005, 2400 -0.01 for -0.005; two lines on one account round in turn.
    const posted: AccountTotals = { '1200': [5, 10], '2400': [-5, -10] };
    const fitted = fitCumulatively(
      { currency: 'KWD', lines: [line('1200', 5, 0), line('2400', 0, 5), line('2400', 3, 0), line('4000', 0, 3)] },
      ROUNDING_ACCOUNT,
      'test',
      posted,
    );
    // 1200: 0.010 exact → 0.01 held, nothing to add; 2400: -0.010 → -0.01, then -0.007 → -0.01; 4000: -0.003 → 0.00.
    expect(fitted.lines).toEqual([]);

    const second = fitCumulatively({ currency: 'KWD', lines: [line('1200', 0, 10), line('2400', 10, 0)] }, ROUNDING_ACCOUNT, 'test', posted);
    // 0.005 - 0.010 = -0.005 → -0.01, from +0.01 held: a credit of 0.02; 2400 the mirror: a debit of 0.02.
    expect(second.lines.map((l) => [l.account, l.debit, l.credit])).toEqual([
      ['1200', 0, 20],
      ['2400', 20, 0],
    ]);
    expect(second.lines.some((l) => l.memo === ROUNDING_MEMO)).toBe(false);

    const odd = fitCumulatively({ currency: 'KWD', lines: [line('1200', 1005, 0), line('4000', 0, 1005)] }, ROUNDING_ACCOUNT, 'test', {});
    expect(odd.lines.map((l) => [l.account, l.debit, l.credit, l.memo])).toEqual([
      ['1200', 1010, 0, 'm1200'],
      ['4000', 0, 1010, 'm4000'],
    ]);
    const withRounding = fitCumulatively({ currency: 'KWD', lines: [line('1200', 1005, 0), line('4000', 0, 1005)] }, ROUNDING_ACCOUNT, 'test', {
      '1200': [5, 10],
    });
    // 1200: 0.005 held 0.01 → 1.010, a debit of 1.00; 4000: → -1.01, a credit of 1.01; 7990 takes the 0.01 left.
    expect(withRounding.lines.map((l) => [l.account, l.debit, l.credit, l.memo === ROUNDING_MEMO])).toEqual([
      ['1200', 1000, 0, false],
      ['4000', 0, 1010, false],
      [ROUNDING_ACCOUNT, 10, 0, true],
    ]);
  });

  it('leaves 2-decimal currencies and JPY as they are, and refuses an inexact KWD journal without a rounding account', () => {
    const lines = [
      { account: '1200', debit: 12345, credit: 0, memo: 'a', accountingCodes: [] },
      { account: '4000', debit: 0, credit: 12345, memo: 'b', accountingCodes: [] },
    ];
    for (const currency of ['USD', 'JPY']) {
      const journal = { currency, lines };
      expect(fitCumulatively(journal, ROUNDING_ACCOUNT, 'test', { '1200': [3, 0] })).toBe(journal);
    }
    expect(() => fitCumulatively({ currency: 'KWD', lines }, undefined, 'period 2026-01 KWD journal', {})).toThrow(/DualEntry keeps 2 decimal places/);
  });

  it('state kept before account totals: derives them from the entries recorded, each line rounded on its own as it was sent', () => {
    const kv = memoryKv();
    const ledger = new RevrecLedger(kv);
    const record = (ref: string, lines: JournalLine[]): PostingRecord => ({
      kind: 'journal',
      currency: 'KWD',
      ref,
      entryNumber: ref,
      internalId: ref,
      date: '2026-01-31',
      memo: ref,
      lines,
      included: [],
      postedAt: '2026-02-01T00:00:00.000Z',
      runId: 'old',
    });
    const line = (account: string, debit: number, credit: number): JournalLine => ({ account, debit, credit, memo: account, accountingCodes: [] });
    // Two entries an earlier version rounded line by line: 1.005 + 1.005 held as 1.01 + 1.01 = 2.02 on each account.
    ledger.recordPosting('2026-01', record('a', [line('1200', 1005, 0), line('2400', 0, 1005)]));
    ledger.recordPosting('2026-02', record('b', [line('1200', 1005, 0), line('2400', 0, 1005)]));
    expect(ledger.accountTotals('KWD')).toEqual({});

    // Only 2026-01 has amounts of its own; 2026-02's entry is found all the same, up to the period being posted.
    kv.set('revrec:periods', ['2026-01']);
    ledger.keepAccountTotals(new PeriodCalendar('month'), '2026-03');
    expect(ledger.accountTotals('KWD')).toEqual({ '1200': [2010, 2020], '2400': [-2010, -2020] });

    // The void then takes back exactly what DualEntry holds: 2.02, not the 2.01 the exact total rounds to.
    const voided = fitCumulatively(
      { currency: 'KWD', lines: [line('1200', 0, 2010), line('2400', 2010, 0)] },
      ROUNDING_ACCOUNT,
      'test',
      ledger.accountTotals('KWD'),
    );
    expect(voided.lines.map((l) => [l.account, l.debit, l.credit])).toEqual([
      ['1200', 0, 2020],
      ['2400', 2020, 0],
    ]);
    // Recorded with what it sent, the totals are back at 0.00 (and kept from now on).
    ledger.recordPosting('2026-03', { ...record('c', [line('1200', 0, 2010), line('2400', 2010, 0)]), rounded: voided.lines });
    expect(ledger.accountTotals('KWD')).toEqual({});
  });

  it('account totals once kept: keepAccountTotals reads nothing but their key', () => {
    const kv = memoryKv();
    const ledger = new RevrecLedger(kv);
    ledger.keepAccountTotals(new PeriodCalendar('month'), '2026-01');
    expect(kv.get('revrec:account-totals')).toEqual({});
    const read: string[] = [];
    const get = kv.get;
    kv.get = <T>(key: string) => {
      read.push(key);
      return get<T>(key);
    };
    ledger.keepAccountTotals(new PeriodCalendar('month'), '2026-12');
    expect(read).toEqual(['revrec:account-totals']);
  });
});
