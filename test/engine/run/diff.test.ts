/** The field diff of `ledgersync plan`: exact paths, element by element, absent sides left out. */
import { describe, expect, it } from 'vitest';
import { diffAgainstCurrent, diffRecords, formatChange } from '../../../engine/run/diff.js';

describe('diffRecords (against the payload last written)', () => {
  it('names each changed leaf by its path, lists element by element, in path order', () => {
    const before = {
      DisplayName: 'Acme Corp',
      Line: [
        { Amount: '10.00', SalesItemLineDetail: { ItemRef: { value: '1' } } },
        { Amount: '5.00', SalesItemLineDetail: { ItemRef: { value: '7' } } },
      ],
      Notes: 'cus_1',
    };
    const after = {
      DisplayName: 'Jane Doe',
      Line: [
        { Amount: '10.00', SalesItemLineDetail: { ItemRef: { value: '1' } } },
        { Amount: '5.00', SalesItemLineDetail: { ItemRef: { value: '9' } } },
      ],
      Notes: 'cus_1',
    };
    expect(diffRecords(before, after)).toEqual([
      { path: 'DisplayName', before: 'Acme Corp', after: 'Jane Doe' },
      { path: 'Line[1].SalesItemLineDetail.ItemRef.value', before: '7', after: '9' },
    ]);
  });

  it('a new field has no before, a field gone has no after, a line added or removed is one change', () => {
    const changes = diffRecords({ a: 1, lines: [{ x: 1 }] }, { b: 2, lines: [{ x: 1 }, { x: 2, y: 'round-off' }] });
    expect(changes).toEqual([
      { path: 'a', before: 1 },
      { path: 'b', after: 2 },
      { path: 'lines[1]', after: { x: 2, y: 'round-off' } },
    ]);
    expect('after' in changes[0]!).toBe(false);
    expect('before' in changes[1]!).toBe(false);
  });

  it('a number and its decimal string are different payloads; equal records have no diff', () => {
    expect(diffRecords({ Amount: 12.5 }, { Amount: '12.50' })).toEqual([{ path: 'Amount', before: 12.5, after: '12.50' }]);
    expect(diffRecords({ a: { b: [1, { c: null }] } }, { a: { b: [1, { c: null }] } })).toEqual([]);
    expect(diffRecords({ x: null }, { x: 'set' })).toEqual([{ path: 'x', before: null, after: 'set' }]);
  });

  it('quotes keys that are not plain names', () => {
    expect(diffRecords({ 'cf 1': 'a' }, { 'cf 1': 'b' })).toEqual([{ path: '["cf 1"]', before: 'a', after: 'b' }]);
    expect(diffRecords({ x: { 'a.b': 1 } }, { x: { 'a.b': 2 } })).toEqual([{ path: 'x["a.b"]', before: 1, after: 2 }]);
  });
});

describe('diffAgainstCurrent (against the document the target holds)', () => {
  it('compares only what the mapping sends, at every depth, and reads the target’s numbers as the decimals they are', () => {
    const current = {
      Id: '1042',
      SyncToken: '3',
      DocNumber: 'inv_1',
      TotalAmt: 15,
      MetaData: { CreateTime: '2026-01-01' },
      Line: [
        { Id: '1', LineNum: 1, Amount: 10, SalesItemLineDetail: { ItemRef: { value: '1', name: 'Services' } } },
        { Id: '2', LineNum: 2, Amount: 5, SalesItemLineDetail: { ItemRef: { value: '7' } } },
      ],
    };
    const after = {
      DocNumber: 'inv_1',
      Line: [
        { Amount: '10.00', SalesItemLineDetail: { ItemRef: { value: '1' } } },
        { Amount: '5.00', SalesItemLineDetail: { ItemRef: { value: '9' } } },
        { Amount: '0.01', Description: 'Rounding' },
      ],
      PrivateNote: 'new',
    };
    expect(diffAgainstCurrent(current, after)).toEqual([
      { path: 'Line[1].SalesItemLineDetail.ItemRef.value', before: '7', after: '9' },
      { path: 'Line[2]', after: { Amount: '0.01', Description: 'Rounding' } },
      { path: 'PrivateNote', after: 'new' },
    ]);
  });

  it('different amounts are still different', () => {
    expect(diffAgainstCurrent({ Amount: 12.5 }, { Amount: '12.51' })).toEqual([{ path: 'Amount', before: 12.5, after: '12.51' }]);
    expect(diffAgainstCurrent({ Amount: '-0.50' }, { Amount: '-0.5' })).toEqual([]);
  });
});

describe('formatChange', () => {
  it('prints path: before → after, (none) for an absent side', () => {
    expect(formatChange({ path: 'DisplayName', before: 'A', after: 'B' })).toBe('DisplayName: "A" → "B"');
    expect(formatChange({ path: 'Line[2]', after: { Amount: '0.01' } })).toBe('Line[2]: (none) → {"Amount":"0.01"}');
  });
});
