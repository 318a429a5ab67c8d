/** Wrapping plain mapped values as Acumatica value objects, and the sparse difference an update sends. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Contract } from '../../../connectors/acumatica/contract.js';
import { changes, unwrap, wrapRecord } from '../../../connectors/acumatica/values.js';
import { exactJson as toJson } from '../../../engine/http/exact-json.js';

const contract = Contract.load(join(import.meta.dirname, '..', '..', '..', 'connectors', 'acumatica'));
const utc = { timezone: 'UTC' };
const compare = { caseInsensitive: new Set(['CustomerID']), keepExtraRows: new Set(['DocumentsToApply']) };

describe('wrapping plain mapped records', () => {
  it('wraps values, linked entities and detail rows, and writes decimals digit for digit', () => {
    const body = wrapRecord(
      contract,
      'Invoice',
      {
        Type: 'Invoice',
        Hold: false,
        Details: [{ Amount: '12345678901234.10', Qty: 1, Account: 40000, id: 'row-1' }],
        BillToContact: { Email: 'a@b.example' },
      },
      utc,
    );
    expect(toJson(body)).toBe(
      '{"Type":{"value":"Invoice"},"Hold":{"value":false},"Details":[{"Amount":{"value":12345678901234.10},"Qty":{"value":1},"Account":{"value":"40000"},"id":"row-1"}],"BillToContact":{"Email":{"value":"a@b.example"}}}',
    );
  });

  it('refuses a field the contract does not have, suggesting the right spelling', () => {
    expect(() => wrapRecord(contract, 'Invoice', { customerorder: 'inv_1' }, utc)).toThrow(/Invoice has no field 'customerorder'/);
    try {
      wrapRecord(contract, 'Invoice', { customerorder: 'inv_1' }, utc);
    } catch (error) {
      expect((error as { fix: string }).fix).toContain("'CustomerOrder'");
    }
  });

  it('refuses a value that does not fit its type instead of guessing', () => {
    expect(() => wrapRecord(contract, 'Invoice', { Details: [{ Amount: '12,50' }] }, utc)).toThrow(/Invoice\.Details\[0\]\.Amount must be a decimal/);
    expect(() => wrapRecord(contract, 'Invoice', { Hold: 'yes' }, utc)).toThrow(/must be true or false/);
    expect(() => wrapRecord(contract, 'Invoice', { Date: '01/02/2026' }, utc)).toThrow(/must be a date/);
    expect(() => wrapRecord(contract, 'Invoice', { Details: { Amount: '1' } }, utc)).toThrow(/must be a list of InvoiceDetail rows/);
  });

  it("sends a date as its midnight in the pipeline's zone, an RFC 3339 date-time as the OpenAPI's DateTimeValue is", () => {
    const at = (timezone: string, date: string) => toJson(wrapRecord(contract, 'Invoice', { Date: date }, { timezone }));
    expect(at('UTC', '2026-01-15')).toBe('{"Date":{"value":"2026-01-15T00:00:00+00:00"}}');
    expect(at('America/New_York', '2026-01-15')).toBe('{"Date":{"value":"2026-01-15T00:00:00-05:00"}}');
    expect(at('America/New_York', '2026-07-15')).toBe('{"Date":{"value":"2026-07-15T00:00:00-04:00"}}');
    expect(at('Asia/Kolkata', '2026-01-15')).toBe('{"Date":{"value":"2026-01-15T00:00:00+05:30"}}');
    // A date-time given in full is sent as it is.
    expect(at('UTC', '2026-01-15T09:30:00Z')).toBe('{"Date":{"value":"2026-01-15T09:30:00Z"}}');
  });

  it('unwraps answers into plain values, dropping empty ones', () => {
    expect(unwrap({ id: 'g', rowNumber: 1, Amount: { value: 12.5 }, Note: {}, Details: [{ id: 'd', Amount: { value: 1 } }], _links: {} })).toEqual({
      id: 'g',
      Amount: 12.5,
      Details: [{ id: 'd', Amount: 1 }],
    });
  });
});

describe('the sparse difference of an update', () => {
  const current = {
    id: 'doc',
    CustomerID: 'CUS_1',
    Date: '2026-05-01T00:00:00+00:00',
    Description: 'Chargebee invoice inv_1',
    Details: [
      { id: 'l1', Amount: 12.5, Account: '40000' },
      { id: 'l2', Amount: 3, Account: '40100' },
    ],
  };

  it('is nothing when Acumatica holds the mapped values (case of segmented keys, decimal scale and dates aside)', () => {
    const mapped = {
      CustomerID: 'cus_1',
      Date: '2026-05-01',
      Description: 'Chargebee invoice inv_1',
      Details: [
        { Amount: '12.50', Account: '40000' },
        { Amount: '3.00', Account: '40100' },
      ],
    };
    expect(changes(contract, 'Invoice', mapped, current, compare)).toBeUndefined();
  });

  it('names changed rows by id, adds new ones and deletes lines Acumatica has beyond the mapped ones', () => {
    const mapped = { Description: 'changed', Details: [{ Amount: '12.51', Account: '40000' }] };
    expect(changes(contract, 'Invoice', mapped, current, compare)).toEqual({
      Description: 'changed',
      Details: [
        { id: 'l1', Amount: '12.51' },
        { id: 'l2', delete: true },
      ],
    });
    expect(changes(contract, 'Invoice', { Details: [{}, {}, { Amount: '1.00' }] }, current, compare)).toEqual({ Details: [{ Amount: '1.00' }] });
  });

  it('keeps applications made in Acumatica', () => {
    const payment = {
      id: 'p',
      DocumentsToApply: [
        { id: 'a1', ReferenceNbr: 'AR1', AmountPaid: 5 },
        { id: 'a2', ReferenceNbr: 'AR9', AmountPaid: 1 },
      ],
    };
    expect(changes(contract, 'Payment', { DocumentsToApply: [{ ReferenceNbr: 'AR1', AmountPaid: '5.00' }] }, payment, compare)).toBeUndefined();
  });
});
