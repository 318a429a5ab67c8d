/** A 3-decimal currency's journal fitted to DualEntry's 2 decimals. */
import { describe, expect, it } from 'vitest';
import { entryLines, fitToDualEntry, heldLines, ROUNDING_MEMO } from '../../../connectors/dualentry/entry-lines.js';
import { assertBalanced } from '../../../domain/revrec/journal.js';

const line = (account: string, debit: number, credit: number) => ({ account, debit, credit, memo: account, accountingCodes: [] });

describe('fitToDualEntry', () => {
  it('leaves out a KWD line that rounds to nothing (0.004 of tax) instead of sending one DualEntry refuses; the rounding line takes it', () => {
    // 100.004 KWD receivable: 100.000 revenue and 0.004 tax.
    const fitted = fitToDualEntry({ currency: 'KWD', lines: [line('1200', 100004, 0), line('4000', 0, 100000), line('2200', 0, 4)] }, '7990', 'test');
    expect(entryLines(fitted).map((l) => [l.account_number, l.debit, l.credit, l.memo])).toEqual([
      [1200, '100.000', '0.000', '1200'],
      [4000, '0.000', '100.000', '4000'],
    ]);
    assertBalanced(fitted);
    // Nothing left over for the rounding account here: 100.004 rounds to 100.000, as the tax line does to 0.
    expect(fitted.lines.some((l) => l.memo === ROUNDING_MEMO)).toBe(false);
    for (const l of fitted.lines) expect(l.debit !== 0 || l.credit !== 0).toBe(true);
  });
});

describe('heldLines', () => {
  // 1.006 → 1.01, 1.003 → 1.00, 0.003 → nothing: 0.01 for the rounding line.
  const lines = [line('1200', 1006, 0), line('4000', 0, 1003), line('2200', 0, 3)];

  it('an entry recorded without `rounded` is held as fitToDualEntry sent it; without a rounding account, less the rounding line', () => {
    const sent = fitToDualEntry({ currency: 'KWD', lines }, '7990', 'test').lines;
    expect(sent.some((l) => l.memo === ROUNDING_MEMO)).toBe(true);
    expect(heldLines({ currency: 'KWD', lines }, '7990')).toEqual(sent);
    expect(heldLines({ currency: 'KWD', lines })).toEqual(sent.filter((l) => l.memo !== ROUNDING_MEMO));
  });

  it('is what was sent when it was kept, and the lines themselves when they fit', () => {
    const rounded = [line('1200', 1010, 0), line('4000', 0, 1010)];
    expect(heldLines({ currency: 'KWD', lines, rounded }, '7990')).toEqual(rounded);
    const exact = [line('1200', 1010, 0), line('4000', 0, 1010)];
    expect(heldLines({ currency: 'KWD', lines: exact }, '7990')).toEqual(exact);
    expect(heldLines({ currency: 'USD', lines: exact })).toEqual(exact);
  });
});
