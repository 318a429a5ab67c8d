import { describe, expect, it } from 'vitest';
import { holdsAll } from '../../../connectors/quickbooks-online/compare.js';

const sentInvoice = {
  DocNumber: 'INV-1',
  TxnDate: '2024-03-01',
  CustomerRef: { value: '58' },
  Line: [{ DetailType: 'SalesItemLineDetail', Amount: '20.00', SalesItemLineDetail: { ItemRef: { value: '7' }, Qty: 1, UnitPrice: '20.00' } }],
  sparse: true,
};
const heldInvoice = {
  Id: '130',
  SyncToken: '0',
  DocNumber: 'INV-1',
  TxnDate: '2024-03-01',
  CustomerRef: { value: '58', name: 'Acme Corp' },
  Line: [
    {
      Id: '1',
      LineNum: 1,
      DetailType: 'SalesItemLineDetail',
      Amount: 20,
      SalesItemLineDetail: { ItemRef: { value: '7', name: 'Pro' }, Qty: 1, UnitPrice: 20 },
    },
    { DetailType: 'SubTotalLineDetail', Amount: 20, SubTotalLineDetail: {} },
  ],
  TotalAmt: 20,
  MetaData: { CreateTime: '2024-03-01T00:00:00Z' },
};

describe('holdsAll: is what the sink would send already in QuickBooks?', () => {
  it('yes when every mapped field is there, amounts compared as exact decimals, with what QBO adds around them', () => {
    expect(holdsAll(heldInvoice, sentInvoice)).toBe(true);
  });

  it('no when a value differs, a field or a line is missing, or a line is added that is not a subtotal', () => {
    expect(holdsAll(heldInvoice, { ...sentInvoice, TxnDate: '2024-03-02' })).toBe(false);
    expect(holdsAll(heldInvoice, { ...sentInvoice, PrivateNote: 'x' })).toBe(false);
    expect(holdsAll(heldInvoice, { ...sentInvoice, Line: [...sentInvoice.Line, sentInvoice.Line[0]] })).toBe(false);
    expect(holdsAll({ ...heldInvoice, Line: [...heldInvoice.Line, heldInvoice.Line[0]] }, sentInvoice)).toBe(false);
    expect(holdsAll(heldInvoice, { ...sentInvoice, Line: [{ ...sentInvoice.Line[0], Amount: '20.01' }] })).toBe(false);
  });

  it('compares text as text: "007" is not 7 unless one side is a number, and 1e3 is no decimal', () => {
    expect(holdsAll({ DocNumber: '7' }, { DocNumber: '007' })).toBe(false);
    expect(holdsAll({ Qty: 7 }, { Qty: '007.0' })).toBe(true);
    expect(holdsAll({ Qty: 1000 }, { Qty: '1e3' })).toBe(false);
    expect(holdsAll({ Taxable: true }, { Taxable: 'true' })).toBe(true);
    expect(holdsAll({}, { Notes: null })).toBe(true);
    expect(holdsAll({ Notes: 'x' }, { Notes: null })).toBe(false);
  });
});
