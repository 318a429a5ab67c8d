/** The bodies sent to QuickBooks Online: amounts as JSON numbers, as QBO's XSD (xs:decimal) and Intuit's SDKs have them. */
import { describe, expect, it } from 'vitest';
import { decimalJson } from '../../../connectors/quickbooks-online/api.js';

const fields = new Set(['Amount', 'UnitPrice', 'Qty', 'TotalAmt', 'ExchangeRate']);

describe('decimalJson', () => {
  it('writes a decimal field as a JSON number with the mapped digits, never through a float', () => {
    const body = {
      DocNumber: '0042',
      TotalAmt: '12345678901234.10',
      Line: [{ Amount: '2700', Description: '2700', SalesItemLineDetail: { Qty: 2, UnitPrice: '1350.00', ItemRef: { value: '22' } } }],
      ExchangeRate: 1.0825,
      PrivateNote: undefined,
    };
    expect(decimalJson(body, fields)).toBe(
      '{"DocNumber":"0042","TotalAmt":12345678901234.10,"Line":[{"Amount":2700,"Description":"2700","SalesItemLineDetail":{"Qty":2,"UnitPrice":1350.00,"ItemRef":{"value":"22"}}}],"ExchangeRate":1.0825}',
    );
    // What QBO parses it to: the same structure, the decimals as numbers.
    expect(JSON.parse(decimalJson(body, fields))).toMatchObject({ TotalAmt: 12345678901234.1, Line: [{ Amount: 2700, Description: '2700' }] });
  });

  it('leaves text that is not a plain decimal as text, even in a decimal field', () => {
    expect(decimalJson({ Amount: '12,50', UnitPrice: '' }, fields)).toBe('{"Amount":"12,50","UnitPrice":""}');
  });
});
