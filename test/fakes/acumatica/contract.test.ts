/** The contract model read from Acumatica's OpenAPI file, and how bodies are checked against it (no server). */
import { describe, expect, it } from 'vitest';
import { loadContractSchema, parseDateTime, unwrapEntity, validateEntity, wrapEntity } from './openapi.js';

const contract = loadContractSchema();

describe('contract of Default/24.200.001 from the OpenAPI file', () => {
  it('knows the entities, their wrapped fields, details, linked entities and actions', () => {
    expect(contract.topLevelEntities.has('Customer')).toBe(true);
    expect(contract.topLevelEntities.has('JournalTransaction')).toBe(true);
    expect(contract.topLevelEntities.has('CashAccount')).toBe(false);
    expect(contract.entity('Customer')!.fields.get('CustomerID')).toEqual({ kind: 'value', type: 'StringValue' });
    expect(contract.entity('Customer')!.fields.get('BillingContact')).toEqual({ kind: 'linked', schema: 'Contact' });
    expect(contract.entity('Invoice')!.fields.get('Details')).toEqual({ kind: 'detail', schema: 'InvoiceDetail' });
    expect(contract.entity('InvoiceDetail')!.fields.get('Amount')).toEqual({ kind: 'value', type: 'DecimalValue' });
    expect(contract.entity('Payment')!.fields.get('DocumentsToApply')).toEqual({ kind: 'detail', schema: 'PaymentDetail' });
    expect(contract.entity('SalesInvoice')!.fields.has('ExternalRef')).toBe(true);
    expect(contract.entity('Invoice')!.fields.has('ExternalRef')).toBe(false);
    expect(contract.hasAction('Invoice', 'ReleaseInvoice')).toBe(true);
    expect(contract.hasAction('Payment', 'ReleasePayment')).toBe(true);
    expect(contract.hasAction('JournalTransaction', 'ReleaseJournalTransaction')).toBe(true);
    expect(contract.hasAction('Invoice', 'ReleasePayment')).toBe(false);
    expect(contract.entity('StringValue')).toBeUndefined();
  });
});

describe('body validation (what Web API would refuse while binding the body)', () => {
  const messages = (entity: string, body: unknown) => validateEntity(contract, entity, body).map((v) => `${v.path}: ${v.message}`);

  it('accepts wrapped values, detail collections of wrapped rows, linked entities and the Entity base members', () => {
    const body = {
      id: '2f3c1c2e-7a4f-4b7e-9d2a-0c5b1f0e9a11',
      Customer: { value: 'C1' },
      Hold: { value: false },
      Date: { value: '2026-01-31' },
      Details: [{ Amount: { value: 12.5 }, Qty: { value: 2 }, delete: false }],
      BillToContact: { Email: { value: 'a@b.c' } },
      note: { value: 'hello' },
      custom: { Document: { UsrRef: { type: 'CustomStringField', value: 'x' } } },
      _links: { self: '/x' },
    };
    expect(messages('Invoice', body)).toEqual([]);
  });

  it('refuses unwrapped values, unknown fields, wrong types and out-of-range integers, naming the path', () => {
    expect(messages('Customer', { CustomerID: 'C1' })).toEqual([
      "CustomerID: Error converting value \"C1\" to type 'PX.Api.ContractBased.Models.StringValue'. Path 'CustomerID'.",
    ]);
    expect(messages('Customer', { Nickname: { value: 'x' } })).toEqual([
      "Nickname: Could not find member 'Nickname' on object of type 'Customer'. Path 'Nickname'.",
    ]);
    expect(messages('Invoice', { Details: [{ Amount: { value: '12.50' } }] })[0]).toMatch(/^Details\[0\]\.Amount\.value: .*JSON number/);
    expect(messages('Invoice', { Details: { Amount: { value: 1 } } })[0]).toMatch(/requires a JSON array/);
    expect(messages('Invoice', { Hold: { value: 'no' } })[0]).toMatch(/Hold\.value: Error converting value "no" to type 'System.Nullable`1\[System.Boolean\]'/);
    expect(messages('Customer', { BAccountID: { value: 2 ** 31 } })[0]).toMatch(/too large or small for an Int32/);
    expect(messages('Invoice', { Date: { value: '31/01/2026' } })[0]).toMatch(/Could not convert string to DateTime/);
    expect(messages('Invoice', { Date: { value: '2026-02-30' } })[0]).toMatch(/Could not convert string to DateTime/);
    expect(messages('Invoice', { Customer: { value: 'C1', valu: 1 } })[0]).toMatch(/Could not find member 'valu' on object of type 'StringValue'/);
    expect(messages('Invoice', { delete: true })[0]).toMatch(/Could not find member 'delete'/);
    expect(messages('Invoice', { custom: { Document: { UsrRef: { value: 'x' } } } })[0]).toMatch(/custom field type/);
  });

  it('unwraps exactly: decimals as units of 10^-6, dates to the tenant zone, rounding past six decimals noted', () => {
    const notes = { rounded: [] as { path: string; sent: number }[] };
    const plain = unwrapEntity(
      contract,
      'Invoice',
      {
        Customer: { value: 'C1' },
        Date: { value: '2026-01-31T23:30:00-02:00' },
        Details: [{ Amount: { value: 1234567.89 } }, { Amount: { value: 0.1234567 } }],
        Hold: {},
      },
      notes,
    );
    expect(plain['Customer']).toBe('C1');
    expect(plain['Date']).toBe('2026-02-01T01:30:00+00:00');
    expect((plain['Details'] as any[])[0].Amount).toBe(1234567890000n);
    expect((plain['Details'] as any[])[1].Amount).toBe(123457n);
    expect('Hold' in plain).toBe(false);
    expect(notes.rounded).toEqual([{ path: 'Details[1].Amount', sent: 0.1234567 }]);
    expect(wrapEntity(contract, 'Invoice', { Customer: 'C1', Details: [{ Amount: 1 }] })).toEqual({
      Customer: { value: 'C1' },
      Details: [{ Amount: { value: 1 } }],
    });
    expect(parseDateTime('2026-01-31T10:00:00.5Z')).toBe(Date.UTC(2026, 0, 31, 10, 0, 0, 500));
  });
});
