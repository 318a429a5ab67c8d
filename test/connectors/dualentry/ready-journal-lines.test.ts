/**
 * Ready-made journals (`journal_entry`) whose lines balance but are not in DualEntry's one-side-per-line
 * shape: a 0.00 row, a line with both a debit and a credit, a signed export. Each line is netted to
 * one side and a line of 0 is left out; only totals that really differ are `unbalanced_journal`.
 * And an entry date the calendar does not have is refused before anything is sent.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDualEntrySink } from '../../../connectors/dualentry/index.js';
import { parseReadyJournal } from '../../../connectors/dualentry/documents.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { factoryInput, memoryKv, sinkContext } from './helpers.js';

let fake: FakeDualEntry;
beforeEach(async () => {
  fake = await startFakeDualEntry();
});
afterEach(async () => {
  await fake.close();
});

type Line = Record<string, string>;
const journal = (id: string, lines: Line[], options: { date?: string; hash?: string; currency?: string } = {}) => ({
  stream: 'export',
  object: 'journal_entry',
  sourceId: id,
  deleted: false,
  action: 'upsert' as const,
  contentHash: options.hash ?? id,
  data: { date: options.date ?? '2026-10-31', memo: `RevRec ${id}`, currency: options.currency ?? 'USD', lines },
});

const sinkOf = () => createDualEntrySink(factoryInput({ url: fake.url, apiKey: fake.apiKey, companyId: fake.companyId, extensions: {} }));
const posted = (n: number) => fake.state.entries[n]!.items.map((i) => [i.account_number, i.debit, i.credit]);
const requestsSent = () => fake.state.requests.length;

describe('DualEntry ready-made journals: lines netted to one side', () => {
  it('leaves out a 0.00 row (a signed export) and posts the rest', async () => {
    const [result] = await sinkOf().write(
      [
        journal('J-zero', [
          { account_number: '2400', debit: '10.00' },
          { account_number: '4900', debit: '0.00' },
          { account_number: '4000', credit: '10.00' },
          { account_number: '4010', debit: '0', credit: '0.00' },
        ]),
      ],
      sinkContext(memoryKv()),
    );
    expect(result, JSON.stringify(result)).toMatchObject({ status: 'created' });
    expect(posted(0)).toEqual([
      [2400, '10.00', '0.00'],
      [4000, '0.00', '10.00'],
    ]);
  });

  it('nets a line carrying both a debit and a credit, and leaves out one whose sides are equal', async () => {
    const [result] = await sinkOf().write(
      [
        journal('J-both', [
          { account_number: '2400', debit: '10.00', credit: '4.00' },
          { account_number: '4000', debit: '1.00', credit: '7.00' },
          { account_number: '4010', debit: '3.50', credit: '3.50' },
        ]),
      ],
      sinkContext(memoryKv()),
    );
    expect(result, JSON.stringify(result)).toMatchObject({ status: 'created' });
    expect(posted(0)).toEqual([
      [2400, '6.00', '0.00'],
      [4000, '0.00', '6.00'],
    ]);
  });

  it('still moves a negative amount to the other side, exactly (no float: 0.1 + 0.2 stays 0.30)', () => {
    const { journal: parsed } = parseReadyJournal('J-signed', {
      date: '2026-10-31',
      currency: 'USD',
      lines: [
        { account_number: '2400', debit: '0.1' },
        { account_number: '2400', debit: '0.2' },
        { account_number: '4000', debit: '-0.30' },
        { account_number: '4010', credit: '-5.00', debit: '-5.00' },
      ],
    });
    expect(parsed.lines.map((l) => [l.account, l.debit, l.credit])).toEqual([
      ['2400', 10, 0],
      ['2400', 20, 0],
      ['4000', 0, 30],
    ]);
  });

  it('dead-letters a journal whose totals differ as unbalanced_journal with the totals, whatever its 0.00 rows', async () => {
    const [result] = await sinkOf().write(
      [
        journal('J-off', [
          { account_number: '2400', debit: '10.00', credit: '0.00' },
          { account_number: '4900', debit: '0.00' },
          { account_number: '4000', credit: '9.99' },
        ]),
      ],
      sinkContext(memoryKv()),
    );
    expect(result).toMatchObject({
      status: 'failed',
      error: { code: 'unbalanced_journal', kind: 'record', fix: 'correct the exported journal so debits equal credits; nothing was posted' },
    });
    expect(result!.status === 'failed' && result!.error.message).toBe('journal J-off: debits 10.00 ≠ credits 9.99 USD');
    expect(fake.state.entries).toHaveLength(0);
  });

  it('skips a journal whose every line is 0.00, sending nothing', async () => {
    const [result] = await sinkOf().write(
      [
        journal('J-empty', [
          { account_number: '2400', debit: '0.00' },
          { account_number: '4000', credit: '0.00' },
        ]),
      ],
      sinkContext(memoryKv()),
    );
    expect(result).toEqual({ status: 'skipped', reason: 'every line of the journal is 0.00: nothing to post' });
    expect(requestsSent()).toBe(0);
  });

  it('reverses a posted journal that changes to all 0.00 lines, once, and posts it again when it has amounts', async () => {
    const kv = memoryKv();
    const sink = sinkOf();
    const amounts = (amount: string, hash: string) =>
      journal(
        'J-1',
        [
          { account_number: '2400', debit: amount },
          { account_number: '4000', credit: amount },
        ],
        { hash },
      );
    expect(await sink.write([amounts('10.00', 'a')], sinkContext(kv))).toMatchObject([{ status: 'created' }]);
    expect(await sink.write([amounts('0.00', 'b')], sinkContext(kv))).toMatchObject([{ status: 'updated' }]);
    expect(await sink.write([amounts('0.00', 'c')], sinkContext(kv))).toMatchObject([
      { status: 'skipped', reason: 'every line of the journal is 0.00: nothing to post' },
    ]);
    expect(await sink.write([amounts('12.00', 'd')], sinkContext(kv))).toMatchObject([{ status: 'updated' }]);
    expect(fake.state.entries.map((e) => [e.memo.replace(/ \[.*\]$/, ''), e.amount])).toEqual([
      ['RevRec J-1', '10.00'],
      ['Reversal of RevRec J-1', '10.00'],
      ['RevRec J-1', '12.00'],
    ]);
  });
});

describe('DualEntry ready-made journals: the entry date', () => {
  const balanced: Line[] = [
    { account_number: '2400', debit: '10.00' },
    { account_number: '4000', credit: '10.00' },
  ];

  it('refuses a date the calendar does not have as a record error naming the record and field, before sending anything', async () => {
    const sink = sinkOf();
    for (const date of ['2026-02-30', '2025-02-29', '2026-04-31', '2026-13-01', '2026-00-10']) {
      const [result] = await sink.write([journal('J-bad-date', balanced, { date })], sinkContext(memoryKv()));
      expect(result, date).toMatchObject({ status: 'failed', error: { code: 'invalid_mapped_record', kind: 'record', details: { field: 'date' } } });
      expect(result!.status === 'failed' && result!.error.message).toBe(`record J-bad-date: date ${date} is not a day of the calendar; nothing was posted`);
      expect(result!.status === 'failed' && result!.error.fix).toMatch(/correct the journal's date in the export/);
    }
    expect(requestsSent()).toBe(0);
  });

  it('posts a leap day', async () => {
    const [result] = await sinkOf().write([journal('J-leap', balanced, { date: '2024-02-29' })], sinkContext(memoryKv()));
    expect(result).toMatchObject({ status: 'created' });
    expect(fake.state.entries[0]!.date).toBe('2024-02-29');
  });
});
