/** VoidPayment on the fake tenant: the voiding document, its release reversing the applications, and what Acumatica refuses. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAcumatica, startFakeAcumatica } from './index.js';
import { AcumaticaTestClient, unwrap } from './test-client.js';

let fake: FakeAcumatica;
let client: AcumaticaTestClient;

beforeEach(async () => {
  fake = await startFakeAcumatica();
  client = new AcumaticaTestClient(fake);
  await client.login();
  await client.put('Customer', { CustomerID: 'C1', CustomerName: 'First' });
});
afterEach(async () => fake.close());

async function openDocument(type: string, amount: number): Promise<string> {
  const created = await client.put('Invoice', { Type: type, Customer: 'C1', Hold: false, Details: [{ Amount: amount }] });
  const ref = created.json.ReferenceNbr.value as string;
  expect((await client.release('Invoice', 'ReleaseInvoice', { Type: type, ReferenceNbr: ref })).status).toBe(204);
  return ref;
}

async function releasedPayment(type: string, amount: number, applications: Record<string, unknown>[]): Promise<string> {
  const created = await client.put('Payment', {
    Type: type,
    CustomerID: 'C1',
    PaymentMethod: 'CARD',
    PaymentRef: 'txn_1',
    PaymentAmount: amount,
    Hold: false,
    DocumentsToApply: applications,
  });
  expect(created.status).toBe(200);
  const ref = created.json.ReferenceNbr.value as string;
  expect((await client.release('Payment', 'ReleasePayment', { Type: type, ReferenceNbr: ref })).status).toBe(204);
  return ref;
}

describe('VoidPayment', () => {
  it('creates the Voided Payment under the same number, on hold; its release reopens the invoices and voids the payment', async () => {
    const first = await openDocument('Invoice', 100);
    const second = await openDocument('Invoice', 40);
    const payment = await releasedPayment('Payment', 120, [{ ReferenceNbr: first, AmountPaid: 80 }, { ReferenceNbr: second }]);
    expect(fake.state.record('Invoice', 'Invoice', second)).toMatchObject({ Balance: 0, Status: 'Closed' });

    expect((await client.release('Payment', 'VoidPayment', { Type: 'Payment', ReferenceNbr: payment })).status).toBe(204);
    const voiding = fake.state.record('Payment', 'Voided Payment', payment)!;
    expect(voiding).toMatchObject({ Status: 'On Hold', PaymentAmount: -120, PaymentRef: 'txn_1', CustomerID: 'C1' });
    expect((voiding['DocumentsToApply'] as Record<string, unknown>[]).map((row) => [row['DocType'], row['ReferenceNbr'], row['AmountPaid']])).toEqual([
      ['Invoice', first, 80],
      ['Invoice', second, 40],
    ]);
    // Nothing is reversed before the voiding document is released.
    expect(fake.state.record('Payment', 'Payment', payment)!['Status']).toBe('Closed');
    expect(fake.state.record('Invoice', 'Invoice', second)!['Balance']).toBe(0);
    // Asked again, VoidPayment opens the voiding document already there.
    expect((await client.release('Payment', 'VoidPayment', { Type: 'Payment', ReferenceNbr: payment })).status).toBe(204);
    expect(fake.state.records('Payment').filter((p) => p['Type'] === 'Voided Payment')).toHaveLength(1);

    const onHold = await client.release('Payment', 'ReleasePayment', { Type: 'Voided Payment', ReferenceNbr: payment });
    expect(onHold.json.exceptionMessage).toMatch(/on hold/);
    const amountChanged = await client.put('Payment', { Type: 'Voided Payment', ReferenceNbr: payment, PaymentAmount: 5 });
    expect(amountChanged.status).toBe(422);
    expect((await client.put('Payment', { Type: 'Voided Payment', ReferenceNbr: payment, Hold: false })).json.Status.value).toBe('Balanced');
    expect((await client.release('Payment', 'ReleasePayment', { Type: 'Voided Payment', ReferenceNbr: payment })).status).toBe(204);

    expect(fake.state.record('Invoice', 'Invoice', first)).toMatchObject({ Balance: 100, Status: 'Open' });
    expect(fake.state.record('Invoice', 'Invoice', second)).toMatchObject({ Balance: 40, Status: 'Open' });
    expect(fake.state.record('Payment', 'Payment', payment)).toMatchObject({ Status: 'Voided' });
    const released = unwrap((await client.api('GET', `Payment/Voided%20Payment/${payment}?$expand=ApplicationHistory`)).json as Record<string, unknown>);
    expect(released['Status']).toBe('Closed');
    expect(released['ApplicationHistory'].map((row: any) => [row.AdjustedRefNbr, row.AmountPaid, row.Balance])).toEqual([
      [first, -80, 100],
      [second, -40, 40],
    ]);

    const again = await client.release('Payment', 'VoidPayment', { Type: 'Payment', ReferenceNbr: payment });
    expect(again.status).toBe(400);
    expect(again.json.exceptionMessage).toMatch(/already been voided/);
  });

  it('a Voided Refund gives the credit memo its balance back', async () => {
    const memo = await openDocument('Credit Memo', 30);
    const refund = await releasedPayment('Customer Refund', 30, [{ DocType: 'Credit Memo', ReferenceNbr: memo }]);
    expect(fake.state.record('Invoice', 'Credit Memo', memo)).toMatchObject({ Balance: 0, Status: 'Closed' });
    expect((await client.release('Payment', 'VoidPayment', { Type: 'Customer Refund', ReferenceNbr: refund })).status).toBe(204);
    await client.put('Payment', { Type: 'Voided Refund', ReferenceNbr: refund, Hold: false });
    expect((await client.release('Payment', 'ReleasePayment', { Type: 'Voided Refund', ReferenceNbr: refund })).status).toBe(204);
    expect(fake.state.record('Invoice', 'Credit Memo', memo)).toMatchObject({ Balance: 30, Status: 'Open' });
    expect(fake.state.record('Payment', 'Customer Refund', refund)!['Status']).toBe('Voided');
  });

  it('refuses an unreleased payment, a refunded one, and a voiding document entered by hand', async () => {
    const held = await client.put('Payment', { CustomerID: 'C1', PaymentMethod: 'CARD', PaymentAmount: 10 });
    const unreleased = await client.release('Payment', 'VoidPayment', { Type: 'Payment', ReferenceNbr: held.json.ReferenceNbr.value });
    expect(unreleased.status).toBe(400);
    expect(unreleased.json.exceptionMessage).toMatch(/not been released: delete it/);

    const paid = await releasedPayment('Payment', 50, []);
    const refund = await client.put('Payment', {
      Type: 'Customer Refund',
      CustomerID: 'C1',
      PaymentMethod: 'CARD',
      PaymentAmount: 50,
      Hold: false,
      DocumentsToApply: [{ DocType: 'Payment', ReferenceNbr: paid }],
    });
    await client.release('Payment', 'ReleasePayment', { Type: 'Customer Refund', ReferenceNbr: refund.json.ReferenceNbr.value });
    const refunded = await client.release('Payment', 'VoidPayment', { Type: 'Payment', ReferenceNbr: paid });
    expect(refunded.status).toBe(400);
    expect(refunded.json.exceptionMessage).toMatch(/void the customer refund applied to it/);
    expect(fake.state.records('Payment').some((p) => p['Type'] === 'Voided Payment')).toBe(false);

    const entered = await client.put('Payment', { Type: 'Voided Payment', CustomerID: 'C1', PaymentMethod: 'CARD', PaymentAmount: 10 });
    expect(entered.status).toBe(422);
    expect(entered.json.Type.error).toMatch(/created by voiding the payment/);
  });
});
