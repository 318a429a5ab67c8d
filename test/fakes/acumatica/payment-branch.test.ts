/**
 * A payment's branch on the fake tenant. The Default endpoint's Payment has `Branch` and `BranchID`,
 * both mapped to CurrentDocument.BranchID (Default_24.200.001 endpoint metadata): either sets the
 * document's branch, an unknown one is refused, and without either it is the user's branch.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAcumatica, startFakeAcumatica } from './index.js';
import { AcumaticaTestClient } from './test-client.js';

let fake: FakeAcumatica;
let client: AcumaticaTestClient;

beforeEach(async () => {
  fake = await startFakeAcumatica({
    seed: {
      branches: [
        { BranchID: 'MAIN', BranchName: 'Head Office' },
        { BranchID: 'EU', BranchName: 'Acme GmbH' },
      ],
    },
  });
  client = new AcumaticaTestClient(fake);
  await client.login();
  await client.put('Customer', { CustomerID: 'C1', CustomerName: 'First' });
});
afterEach(async () => fake.close());

const payment = (fields: Record<string, unknown>) =>
  client.put('Payment', { Type: 'Payment', CustomerID: 'C1', PaymentMethod: 'CARD', PaymentAmount: 10, Hold: false, ...fields });

describe('Payment branch', () => {
  it('Branch or BranchID sets both, upper case as stored; neither is the default branch', async () => {
    const eu = await payment({ PaymentRef: 'p1', Branch: 'eu' });
    expect([eu.status, eu.json.Branch.value, eu.json.BranchID.value]).toEqual([200, 'EU', 'EU']);
    const byId = await payment({ PaymentRef: 'p2', BranchID: 'EU' });
    expect([byId.json.Branch.value, byId.json.BranchID.value]).toEqual(['EU', 'EU']);
    const main = await payment({ PaymentRef: 'p3' });
    expect([main.json.Branch.value, main.json.BranchID.value]).toEqual(['MAIN', 'MAIN']);
  });

  it('an unknown branch is refused (422, naming the field)', async () => {
    const refused = await payment({ PaymentRef: 'p4', Branch: 'APAC' });
    expect(refused.status).toBe(422);
    expect(refused.json.Branch.error).toBe("Branch 'APAC' cannot be found in the system.");
  });

  it('a payment in branch EU pays an invoice of branch EU, and its voiding document is in EU too', async () => {
    const invoice = await client.put('Invoice', { Type: 'Invoice', Customer: 'C1', Hold: false, Details: [{ Amount: 10, Branch: 'EU' }] });
    const ref = invoice.json.ReferenceNbr.value as string;
    expect((await client.release('Invoice', 'ReleaseInvoice', { Type: 'Invoice', ReferenceNbr: ref })).status).toBe(204);
    const paid = await payment({ PaymentRef: 'p5', Branch: 'EU', DocumentsToApply: [{ DocType: 'Invoice', ReferenceNbr: ref, AmountPaid: 10 }] });
    expect(paid.status).toBe(200);
    const nbr = paid.json.ReferenceNbr.value as string;
    expect((await client.release('Payment', 'ReleasePayment', { Type: 'Payment', ReferenceNbr: nbr })).status).toBe(204);
    expect(fake.state.record('Invoice', 'Invoice', ref)).toMatchObject({ Balance: 0, Status: 'Closed' });
    expect((await client.release('Payment', 'VoidPayment', { Type: 'Payment', ReferenceNbr: nbr })).status).toBe(204);
    expect(fake.state.record('Payment', 'Voided Payment', nbr)).toMatchObject({ Branch: 'EU', BranchID: 'EU' });
  });
});
