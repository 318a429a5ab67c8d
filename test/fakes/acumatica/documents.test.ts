/** Document life cycles on the fake tenant: release actions, payments applied, refunds, credit memos, GL batches. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type FakeAcumatica, startFakeAcumatica } from './index.js';
import { AcumaticaTestClient, unwrap } from './test-client.js';

let fake: FakeAcumatica;
let client: AcumaticaTestClient;

async function start(options: Parameters<typeof startFakeAcumatica>[0] = {}): Promise<void> {
  fake = await startFakeAcumatica(options);
  client = new AcumaticaTestClient(fake);
  await client.login();
  await client.put('Customer', { CustomerID: 'C1', CustomerName: 'First' });
  await client.put('Customer', { CustomerID: 'C2', CustomerName: 'Second' });
  await client.put('Customer', { CustomerID: 'E1', CustomerName: 'Euro', CurrencyID: 'EUR' });
}

afterEach(async () => fake.close());

/** Creates an invoice off hold and releases it; returns its reference number. */
async function openInvoice(customer: string, amount: number, extra: Record<string, unknown> = {}): Promise<string> {
  const created = await client.put('Invoice', { Customer: customer, Hold: false, Details: [{ Amount: amount }], ...extra });
  expect(created.status).toBe(200);
  const type = created.json.Type.value;
  const released = await client.release('Invoice', 'ReleaseInvoice', { Type: type, ReferenceNbr: created.json.ReferenceNbr.value });
  expect(released.status).toBe(204);
  return created.json.ReferenceNbr.value;
}

describe('release actions', () => {
  beforeEach(() => start());

  it('answers 202 with a Location to poll, 202 while running, then 204 with the released document', async () => {
    const created = await client.put('Invoice', { Customer: 'C1', Hold: false, Details: [{ Amount: 100 }] });
    const started = await client.api('POST', 'Invoice/ReleaseInvoice', {
      entity: { Type: { value: 'Invoice' }, ReferenceNbr: { value: created.json.ReferenceNbr.value } },
    });
    expect(started.status).toBe(202);
    const location = started.headers.get('location')!;
    expect(location).toMatch(/^\/entity\/Default\/24\.200\.001\/Invoice\/ReleaseInvoice\/status\/[0-9a-f-]{36}$/);
    expect((await client.raw('GET', `http://127.0.0.1:${fake.port}${location}`)).status).toBe(202);
    const done = await client.raw('GET', `http://127.0.0.1:${fake.port}${location}`);
    expect(done.status).toBe(204);
    expect(done.headers.get('location')).toBe(`/entity/Default/24.200.001/Invoice/${created.json.id}`);
    expect(fake.state.record('Invoice', 'Invoice', created.json.ReferenceNbr.value)).toMatchObject({ Status: 'Open', Balance: 100 });
    expect(fake.state.writes.at(-1)).toMatchObject({ operation: 'action', action: 'ReleaseInvoice', entity: 'Invoice' });
  });

  it('finds the document by id too; refuses a document on hold, one already released, and an unknown one', async () => {
    const held = await client.put('Invoice', { Customer: 'C1', Details: [{ Amount: 1 }] });
    const onHold = await client.api('POST', 'Invoice/ReleaseInvoice', { entity: { id: held.json.id } });
    expect(onHold.status).toBe(400);
    expect(onHold.json.exceptionMessage).toMatch(/on hold/);
    await client.put('Invoice', { id: held.json.id, Hold: false });
    expect((await client.release('Invoice', 'ReleaseInvoice', { id: held.json.id })).status).toBe(204);
    expect((await client.api('POST', 'Invoice/ReleaseInvoice', { entity: { id: held.json.id } })).json.exceptionMessage).toMatch(/already been released/);
    expect((await client.api('POST', 'Invoice/ReleaseInvoice', { entity: { Type: { value: 'Invoice' }, ReferenceNbr: { value: 'AR999999' } } })).status).toBe(
      500,
    );
    const badBody = await client.api('POST', 'Invoice/ReleaseInvoice', { Type: { value: 'Invoice' } });
    expect(badBody.status).toBe(400);
    expect(Object.keys(badBody.json.modelState)).toEqual(['invocation.Type', 'invocation.entity']);
    expect((await client.api('POST', 'Invoice/Explode', { entity: {} })).status).toBe(400);
  });

  it('makes a released document read-only and undeletable', async () => {
    const ref = await openInvoice('C1', 50);
    const changed = await client.put('Invoice', { Type: 'Invoice', ReferenceNbr: ref, Description: 'later', Details: [{ Amount: 1 }] });
    expect(changed.status).toBe(422);
    expect(changed.json.Description.error).toMatch(/released/);
    expect(changed.json.Details).toBeDefined();
    const same = await client.put('Invoice', { Type: 'Invoice', ReferenceNbr: ref, Customer: 'c1' });
    expect(same.status).toBe(200);
    const deleted = await client.api('DELETE', `Invoice/Invoice/${ref}`);
    expect(deleted.status).toBe(500);
    expect(deleted.json.exceptionMessage).toMatch(/released and cannot be deleted/);
  });

  it('a release that fails reports it on the status poll and releases nothing', async () => {
    const created = await client.put('Invoice', { Customer: 'C1', Hold: false, Details: [{ Amount: 5 }] });
    fake.faults.failNextAction('The period 032026 is closed in General Ledger.');
    const status = await client.release('Invoice', 'ReleaseInvoice', { Type: 'Invoice', ReferenceNbr: created.json.ReferenceNbr.value });
    expect(status.status).toBe(500);
    expect(status.json.exceptionMessage).toBe('The period 032026 is closed in General Ledger.');
    expect(fake.state.record('Invoice', 'Invoice', created.json.ReferenceNbr.value)!['Status']).toBe('Balanced');
  });

  it('with actionPolls 0 the action answers 204 itself', async () => {
    await fake.close();
    await start({ actionPolls: 0 });
    const created = await client.put('Invoice', { Customer: 'C1', Hold: false, Details: [{ Amount: 5 }] });
    const done = await client.api('POST', 'Invoice/ReleaseInvoice', { entity: { id: created.json.id } });
    expect(done.status).toBe(204);
    expect(done.headers.get('location')).toBe(`/entity/Default/24.200.001/Invoice/${created.json.id}`);
  });
});

describe('payments applied to invoices', () => {
  beforeEach(() => start());

  it('applies a payment through DocumentsToApply; balances move when the payment is released', async () => {
    const first = await openInvoice('C1', 100);
    const second = await openInvoice('C1', 40.5);
    const payment = await client.put('Payment', {
      CustomerID: 'c1',
      PaymentMethod: 'card',
      PaymentRef: 'txn_123',
      PaymentAmount: 120.5,
      Hold: false,
      DocumentsToApply: [{ ReferenceNbr: first, AmountPaid: 80 }, { ReferenceNbr: second }],
    });
    expect(payment.status).toBe(200);
    const doc = unwrap(payment.json);
    expect(doc).toMatchObject({
      Type: 'Payment',
      ReferenceNbr: 'PM000001',
      CustomerID: 'C1',
      PaymentMethod: 'CARD',
      CashAccount: '10250',
      CurrencyID: 'USD',
      AppliedToDocuments: 120.5,
      AvailableBalance: 0,
      Status: 'Balanced',
    });
    expect(doc['DocumentsToApply'].map((row: any) => [row.DocType, row.ReferenceNbr, row.AmountPaid])).toEqual([
      ['Invoice', first, 80],
      ['Invoice', second, 40.5],
    ]);
    expect(fake.state.record('Invoice', 'Invoice', first)!['Balance']).toBe(100);
    expect((await client.release('Payment', 'ReleasePayment', { Type: 'Payment', ReferenceNbr: 'PM000001' })).status).toBe(204);
    expect(fake.state.record('Invoice', 'Invoice', first)).toMatchObject({ Balance: 20, Status: 'Open' });
    expect(fake.state.record('Invoice', 'Invoice', second)).toMatchObject({ Balance: 0, Status: 'Closed' });
    expect(fake.state.record('Payment', 'Payment', 'PM000001')!['Status']).toBe('Closed');
    // Released applications leave DocumentsToApply (the unreleased batch) for ApplicationHistory.
    const byRef = await client.api('GET', `Payment?$filter=${encodeURIComponent("PaymentRef eq 'TXN_123'")}&$expand=DocumentsToApply,ApplicationHistory`);
    expect(byRef.json).toHaveLength(1);
    const released = unwrap(byRef.json[0]);
    expect(released['DocumentsToApply'] ?? []).toEqual([]);
    expect(released['ApplicationHistory'].map((row: any) => [row.AdjustedDocType, row.AdjustedRefNbr, row.AmountPaid, row.Balance])).toEqual([
      ['Invoice', first, 80, 20],
      ['Invoice', second, 40.5, 0],
    ]);
    expect(released['ApplicationHistory'][0]).toMatchObject({ AdjustingDocType: 'Payment', AdjustingRefNbr: 'PM000001', Customer: 'C1', CurrencyID: 'USD' });
    expect(released).toMatchObject({ AppliedToDocuments: 120.5, AvailableBalance: 0 });
  });

  it('refuses applications to unreleased documents, other customers, other currencies, and beyond balance or amount', async () => {
    const open = await openInvoice('C1', 30);
    const other = await openInvoice('C2', 30);
    const euroDoc = await client.put('SalesInvoice', { CustomerID: 'C1', Currency: 'EUR', Hold: false, Details: [{ Amount: 30 }] });
    await client.release('SalesInvoice', 'ReleaseSalesInvoice', { Type: 'Invoice', ReferenceNbr: euroDoc.json.ReferenceNbr.value });
    const euro = euroDoc.json.ReferenceNbr.value;
    const unreleased = (await client.put('Invoice', { Customer: 'C1', Details: [{ Amount: 10 }] })).json.ReferenceNbr.value;
    const refused = await client.put('Payment', {
      CustomerID: 'C1',
      PaymentMethod: 'CHECK',
      PaymentAmount: 100,
      DocumentsToApply: [
        { ReferenceNbr: unreleased },
        { ReferenceNbr: other },
        { ReferenceNbr: euro },
        { ReferenceNbr: open, AmountPaid: 31 },
        { DocType: 'Credit Memo', ReferenceNbr: open },
      ],
    });
    expect(refused.status).toBe(422);
    const errors = refused.json.DocumentsToApply.map((row: any) =>
      (row.ReferenceNbr?.error ?? row.AmountPaid?.error ?? row.DocType?.error ?? '').replace(/AR\d+/g, 'AR…'),
    );
    expect(errors).toEqual([
      "Reference Nbr. 'AR…' cannot be found in the system. Only released Invoice documents of customer C1 can be applied.",
      "Reference Nbr. 'AR…' cannot be found in the system. Only released Invoice documents of customer C1 can be applied.",
      'The document AR… is in EUR, the payment in USD.',
      'The amount paid (31) exceeds the balance of AR… (30).',
      "Doc Type 'Credit Memo' is not one of 'Invoice', 'Debit Memo'.",
    ]);
    const over = await client.put('Payment', {
      CustomerID: 'C1',
      PaymentMethod: 'CHECK',
      PaymentAmount: 10,
      DocumentsToApply: [{ ReferenceNbr: open, AmountPaid: 20 }],
    });
    expect(over.json.error).toMatch(/DocumentsToApply: The applications \(20\) exceed what is left of the payment \(10\)/);
    expect(fake.state.records('Payment')).toEqual([]);
  });

  it('checks the payment method, its cash accounts and the amount', async () => {
    const refused = await client.put('Payment', { CustomerID: 'C1', PaymentMethod: 'CARD', CashAccount: '10200', PaymentAmount: 0 });
    expect(refused.json.CashAccount.error).toMatch(/not a cash account of Payment Method 'CARD'/);
    expect(refused.json.PaymentAmount.error).toBe("'Payment Amount' must be greater than 0.");
    expect((await client.put('Payment', { CustomerID: 'C1', PaymentMethod: 'BITCOIN', PaymentAmount: 1 })).json.PaymentMethod.error).toBe(
      "Payment Method 'BITCOIN' cannot be found in the system.",
    );
  });

  it('a released payment takes further applications, released again, but never changes what it released', async () => {
    const first = await openInvoice('C1', 10);
    const second = await openInvoice('C1', 10);
    await client.put('Payment', { CustomerID: 'C1', PaymentMethod: 'WIRE', PaymentAmount: 25, Hold: false, DocumentsToApply: [{ ReferenceNbr: first }] });
    await client.release('Payment', 'ReleasePayment', { Type: 'Payment', ReferenceNbr: 'PM000001' });
    expect(fake.state.record('Payment', 'Payment', 'PM000001')).toMatchObject({ Status: 'Open', AvailableBalance: 15 });
    const more = await client.put(
      'Payment',
      { Type: 'Payment', ReferenceNbr: 'PM000001', DocumentsToApply: [{ ReferenceNbr: second }] },
      '?$expand=DocumentsToApply',
    );
    expect(more.status).toBe(200);
    // Only the new, unreleased application: the first is history already.
    expect(more.json.DocumentsToApply.map((row: any) => [row.ReferenceNbr.value, row.AmountPaid.value])).toEqual([[second, 10]]);
    expect(fake.state.record('Payment', 'Payment', 'PM000001')).toMatchObject({ Status: 'Open', AppliedToDocuments: 20, AvailableBalance: 5 });
    await client.release('Payment', 'ReleasePayment', { Type: 'Payment', ReferenceNbr: 'PM000001' });
    expect(fake.state.record('Invoice', 'Invoice', second)!['Status']).toBe('Closed');
    const after = unwrap((await client.api('GET', 'Payment/Payment/PM000001?$expand=DocumentsToApply,ApplicationHistory')).json);
    expect(after['DocumentsToApply'] ?? []).toEqual([]);
    expect(after['ApplicationHistory'].map((row: any) => [row.AdjustedRefNbr, row.AmountPaid, row.AdjustmentNbr])).toEqual([
      [first, 10, 0],
      [second, 10, 1],
    ]);
    // Nothing left to release; a released application is not among those that can be sent again.
    expect((await client.release('Payment', 'ReleasePayment', { Type: 'Payment', ReferenceNbr: 'PM000001' })).status).toBe(400);
    const again = await client.put('Payment', { Type: 'Payment', ReferenceNbr: 'PM000001', DocumentsToApply: [{ ReferenceNbr: first, AmountPaid: 5 }] });
    expect(again.status).toBe(422);
    const history = await client.put('Payment', { Type: 'Payment', ReferenceNbr: 'PM000001', ApplicationHistory: [{ AdjustedRefNbr: first, AmountPaid: 5 }] });
    expect(history.status).toBe(422);
    expect(history.json.error).toMatch(/ApplicationHistory: The application history is read-only/);
    expect((await client.put('Payment', { Type: 'Payment', ReferenceNbr: 'PM000001', PaymentAmount: 30 })).json.PaymentAmount.error).toMatch(/released/);
  });
});

describe('credit memos and customer refunds', () => {
  beforeEach(() => start());

  it('a credit memo applied to an invoice lowers both balances when it is released', async () => {
    const invoice = await openInvoice('C1', 100);
    const memo = await client.put('Invoice', {
      Type: 'Credit Memo',
      Customer: 'C1',
      CustomerOrder: 'cn_1',
      Hold: false,
      Details: [{ Amount: 30 }],
      ApplicationsCreditMemo: [{ ReferenceNbr: invoice, AmountPaid: 25 }],
    });
    expect(memo.status).toBe(200);
    expect(memo.json.ApplicationsCreditMemo[0].Balance.value).toBe(100);
    await client.release('Invoice', 'ReleaseInvoice', { Type: 'Credit Memo', ReferenceNbr: memo.json.ReferenceNbr.value });
    expect(fake.state.record('Invoice', 'Invoice', invoice)!['Balance']).toBe(75);
    expect(fake.state.record('Invoice', 'Credit Memo', memo.json.ReferenceNbr.value)).toMatchObject({ Balance: 5, Status: 'Open' });
    const onInvoice = await client.put('Invoice', { Customer: 'C1', Details: [{ Amount: 1 }], ApplicationsCreditMemo: [{ ReferenceNbr: invoice }] });
    expect(onInvoice.status).toBe(422);
    expect(onInvoice.json.error).toBe(
      "Inserting 'Invoice' record raised at least one error. Please review the errors. ApplicationsCreditMemo: Only a credit memo can be applied to documents.",
    );
  });

  it('a released credit memo is applied further on its payment side (Payment, Type Credit Memo), not on its own form', async () => {
    const first = await openInvoice('C1', 100);
    const second = await openInvoice('C1', 40);
    const created = await client.put('Invoice', {
      Type: 'Credit Memo',
      Customer: 'C1',
      CustomerOrder: 'cn_2',
      Hold: false,
      Details: [{ Amount: 30 }],
      ApplicationsCreditMemo: [{ ReferenceNbr: first, AmountPaid: 5 }],
    });
    const memo = created.json.ReferenceNbr.value as string;
    await client.release('Invoice', 'ReleaseInvoice', { Type: 'Credit Memo', ReferenceNbr: memo });

    const onItsForm = await client.put('Invoice', {
      Type: 'Credit Memo',
      ReferenceNbr: memo,
      ApplicationsCreditMemo: [{ ReferenceNbr: second, AmountPaid: 10 }],
    });
    expect(onItsForm.status).toBe(422);
    expect(onItsForm.json.error).toMatch(/ApplicationsCreditMemo: .*cannot be changed: the document has been released/);
    expect(fake.state.record('Invoice', 'Invoice', second)!['Balance']).toBe(40);

    const side = await client.api('GET', `Payment/Credit%20Memo/${memo}?$expand=ApplicationHistory`);
    expect(unwrap(side.json)).toMatchObject({ Type: 'Credit Memo', CustomerID: 'C1', PaymentAmount: 30, AvailableBalance: 25, Status: 'Open' });
    expect(unwrap(side.json)['ApplicationHistory']).toMatchObject([{ AdjustedDocType: 'Invoice', AdjustedRefNbr: first, AmountPaid: 5 }]);

    const tooMuch = await client.put('Payment', { Type: 'Credit Memo', ReferenceNbr: memo, DocumentsToApply: [{ ReferenceNbr: second, AmountPaid: 26 }] });
    expect(tooMuch.status).toBe(422);
    expect(tooMuch.json.error).toMatch(/exceeds the balance|exceed what is left of the payment \(25\)/);
    const pending = await client.put('Payment', { Type: 'Credit Memo', ReferenceNbr: memo, DocumentsToApply: [{ ReferenceNbr: second, AmountPaid: 10 }] });
    expect(pending.status).toBe(200);
    expect(fake.state.record('Invoice', 'Invoice', second)!['Balance']).toBe(40);
    expect((await client.release('Payment', 'ReleasePayment', { Type: 'Credit Memo', ReferenceNbr: memo })).status).toBe(204);
    expect(fake.state.record('Invoice', 'Invoice', second)).toMatchObject({ Balance: 30, Status: 'Open' });
    expect(fake.state.record('Invoice', 'Credit Memo', memo)).toMatchObject({ Balance: 15, Status: 'Open' });
    expect(fake.state.record('Payment', 'Credit Memo', memo)).toMatchObject({ AvailableBalance: 15, DocumentsToApply: [] });
    const applied = fake.state.record('Invoice', 'Credit Memo', memo)!['ApplicationsCreditMemo'] as Array<Record<string, unknown>>;
    expect(applied.map((row) => [row['ReferenceNbr'], row['AmountPaid']])).toEqual([
      [first, 5],
      [second, 10],
    ]);

    const entered = await client.put('Payment', { Type: 'Credit Memo', CustomerID: 'C1', PaymentMethod: 'CARD', PaymentAmount: 10 });
    expect(entered.status).toBe(422);
    expect(entered.json.Type.error).toMatch(/entered on the Invoices and Memos form/);
  });

  it('a customer refund is a Payment of type Customer Refund applied in full to the credit memo it pays back', async () => {
    const memo = await openInvoice('C1', 30, { Type: 'Credit Memo' });
    const partial = await client.put('Payment', {
      Type: 'Customer Refund',
      CustomerID: 'C1',
      PaymentMethod: 'CARD',
      PaymentAmount: 30,
      Hold: false,
      DocumentsToApply: [{ ReferenceNbr: memo, AmountPaid: 20 }],
    });
    expect(partial.status).toBe(200);
    expect(partial.json.DocumentsToApply[0].DocType.value).toBe('Credit Memo');
    const outOfBalance = await client.release('Payment', 'ReleasePayment', { Type: 'Customer Refund', ReferenceNbr: partial.json.ReferenceNbr.value });
    expect(outOfBalance.status).toBe(400);
    expect(outOfBalance.json.exceptionMessage).toMatch(/out of balance/);
    await client.put('Payment', { Type: 'Customer Refund', ReferenceNbr: partial.json.ReferenceNbr.value, PaymentAmount: 20 });
    expect((await client.release('Payment', 'ReleasePayment', { Type: 'Customer Refund', ReferenceNbr: partial.json.ReferenceNbr.value })).status).toBe(204);
    expect(fake.state.record('Invoice', 'Credit Memo', memo)).toMatchObject({ Balance: 10, Status: 'Open' });
    expect(fake.state.record('Payment', 'Customer Refund', partial.json.ReferenceNbr.value)!['Status']).toBe('Closed');
  });

  it('a refund can pay back the unapplied balance of a released payment', async () => {
    await client.put('Payment', { CustomerID: 'C1', PaymentMethod: 'CARD', PaymentAmount: 50, Hold: false });
    await client.release('Payment', 'ReleasePayment', { Type: 'Payment', ReferenceNbr: 'PM000001' });
    const refund = await client.put('Payment', {
      Type: 'Customer Refund',
      CustomerID: 'C1',
      PaymentMethod: 'CARD',
      PaymentAmount: 50,
      Hold: false,
      DocumentsToApply: [{ DocType: 'Payment', ReferenceNbr: 'PM000001' }],
    });
    expect(refund.json.DocumentsToApply[0].AmountPaid.value).toBe(50);
    expect((await client.release('Payment', 'ReleasePayment', { Type: 'Customer Refund', ReferenceNbr: refund.json.ReferenceNbr.value })).status).toBe(204);
    expect(fake.state.record('Payment', 'Payment', 'PM000001')).toMatchObject({ AvailableBalance: 0, Status: 'Closed' });
  });
});

describe('GL journal transactions', () => {
  beforeEach(() => start());

  it('numbers batches, refuses an unbalanced batch off hold, and posts a balanced one on release', async () => {
    const lines = [
      { Account: '11000', DebitAmount: 120.1 },
      { Account: '40000', CreditAmount: 100 },
      { Account: '23100', CreditAmount: 20 },
    ];
    const unbalanced = await client.put('JournalTransaction', { Hold: false, TransactionDate: '2026-04-30', Details: lines });
    expect(unbalanced.status).toBe(422);
    expect(unbalanced.json.error).toBe('Batch is out of balance, please review. Debit total 120.1, credit total 120.');
    const held = await client.put('JournalTransaction', { TransactionDate: '2026-04-30', Description: 'Chargebee summary', Details: lines });
    expect(unwrap(held.json)).toMatchObject({
      Module: 'GL',
      BatchNbr: 'GL000001',
      Status: 'On Hold',
      PostPeriod: '042026',
      LedgerID: 'ACTUAL',
      CurrencyID: 'USD',
      BranchID: 'MAIN',
    });
    const stillOnHold = await client.api('POST', 'JournalTransaction/ReleaseJournalTransaction', {
      entity: { Module: { value: 'GL' }, BatchNbr: { value: 'GL000001' } },
    });
    expect(stillOnHold.status).toBe(400);
    const fixed = await client.put('JournalTransaction', { Module: 'GL', BatchNbr: 'GL000001', Hold: false, Details: [{ LineNbr: 1, DebitAmount: 120 }] });
    expect(fixed.status).toBe(200);
    expect((await client.release('JournalTransaction', 'ReleaseJournalTransaction', { Module: 'GL', BatchNbr: 'GL000001' })).status).toBe(204);
    expect(fake.state.record('JournalTransaction', 'GL', 'GL000001')!['Status']).toBe('Posted');
    const otherModule = await client.put('JournalTransaction', { Module: 'AR', Details: [] });
    expect(otherModule.json.Module.error).toMatch(/GL batches only/);
  });
});

describe('sales invoices', () => {
  beforeEach(() => start());

  it('carries ExternalRef, takes the customer currency, shares the AR numbering and releases with ReleaseSalesInvoice', async () => {
    await openInvoice('C1', 1);
    const created = await client.put('SalesInvoice', {
      CustomerID: 'E1',
      ExternalRef: 'inv_9',
      Hold: false,
      Details: [{ Amount: 10.5, TransactionDescr: 'Plan' }],
    });
    expect(unwrap(created.json)).toMatchObject({
      Type: 'Invoice',
      ReferenceNbr: 'AR000002',
      Currency: 'EUR',
      ExternalRef: 'inv_9',
      Amount: 10.5,
      DetailTotal: 10.5,
      Status: 'Balanced',
    });
    const found = await client.api('GET', `SalesInvoice?$filter=${encodeURIComponent("ExternalRef eq 'inv_9'")}`);
    expect(found.json).toHaveLength(1);
    expect((await client.release('SalesInvoice', 'ReleaseSalesInvoice', { Type: 'Invoice', ReferenceNbr: 'AR000002' })).status).toBe(204);
    const payment = await client.put('Payment', {
      CustomerID: 'E1',
      PaymentMethod: 'WIRE',
      PaymentAmount: 10.5,
      DocumentsToApply: [{ ReferenceNbr: 'AR000002' }],
    });
    expect(payment.status).toBe(200);
  });
});
