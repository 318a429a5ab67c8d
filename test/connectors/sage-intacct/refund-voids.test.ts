/**
 * A refund voided (or deleted) in Chargebee after it was posted to Sage Intacct: each piece it posted
 * is taken back as the SDK writes it, in the order Intacct needs. refund_settlements reverses the AP
 * payment (ApPaymentReverse: reverse_appayment) and reports each knockoff still applied (no SDK
 * function takes back one application); then refund_reversals reverses the AP bill (BillReverse:
 * reverse_bill) and the AR debit (InvoiceReverse: reverse_invoice). Before, both refund streams
 * filtered the voided refund out and Intacct kept it paid out behind an exit-0 run.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import { MARCH_1, creditNote, customer, invoice, payment, refund } from './scenario.js';

const DAY = 86_400;
const MARCH_7 = MARCH_1 + 6 * DAY;
const MARCH_7_PARTS = { year: '2024', month: '03', day: '07' };

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const calls = (sandbox: Sandbox, element: string) => sandbox.intacct.state.requests.flatMap((r) => (r.calls ?? []).filter((c) => c.element === element));
/** Functions of the write requests, in the order the fake received them. */
const sent = (sandbox: Sandbox) => sandbox.intacct.state.requests.flatMap((r) => r.functions).filter((f) => f.startsWith('reverse_'));

const letters = (sandbox: Sandbox, stream: string) => sandbox.deadLetters(stream);

const debitOf = (sandbox: Sandbox, id: string) =>
  [...sandbox.intacct.state.arDocuments.values()].find((d) => d.kind === 'invoice' && d.RECORDID === `refund_${id}`)!;
const memoOf = (sandbox: Sandbox, id: string) => [...sandbox.intacct.state.arDocuments.values()].find((d) => d.kind === 'adjustment' && d.RECORDID === id)!;
const billOf = (sandbox: Sandbox, id: string) => [...sandbox.intacct.state.bills.values()].find((b) => b.RECORDID === `bill_${id}`)!;
const apPaymentOf = (sandbox: Sandbox, id: string) => [...sandbox.intacct.state.apPayments.values()].find((p) => p.DESCRIPTION === `refund id - ${id}`)!;

/** What a person does in Intacct for the knockoff's dead letter: reverses that one application. */
function reverseApplicationByHand(sandbox: Sandbox, paymentKey: string, invoiceKey: string): void {
  const state = sandbox.intacct.state;
  const application = state.applications.find((a) => a.PAYMENTKEY === paymentKey && a.RECORDKEY === invoiceKey)!;
  state.arDocuments.get(invoiceKey)!.applied -= application.amount;
  state.arDocuments.get(paymentKey)!.applied += application.amount;
  state.applications = state.applications.filter((a) => a !== application);
}

/** One function sent to the fake gateway as a person's script would, answered as raw XML. */
async function call(sandbox: Sandbox, fn: string): Promise<string> {
  const c = sandbox.intacct.credentials;
  const body = `<?xml version="1.0" encoding="UTF-8"?><request><control><senderid>${c.senderId}</senderid><password>${c.senderPassword}</password><controlid>t</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control><operation transaction="false"><authentication><login><userid>${c.userId}</userid><companyid>${c.companyId}</companyid><password>${c.userPassword}</password></login></authentication><content><function controlid="f">${fn}</function></content></operation></request>`;
  const res = await fetch(sandbox.intacct.url, { method: 'POST', body, headers: { 'content-type': 'application/xml' } });
  return res.text();
}

function refundOfCreditNote(sandbox: Sandbox): void {
  customer(sandbox.cb, 'cust_rv');
  invoice(sandbox.cb, 'inv_rv', 'cust_rv', [{ id: 'l1', amount: 1_000, entityId: 'x', description: 'A' }], { paid: 1_000 });
  payment(sandbox.cb, 'txn_rv_pay', 'cust_rv', 1_000, [{ invoiceId: 'inv_rv', amount: 1_000 }]);
  creditNote(sandbox.cb, 'cn_rv', 'cust_rv', 1_000, { type: 'refundable', referenceInvoiceId: 'inv_rv', refunds: [{ txnId: 'txn_rv', amount: 1_000 }] });
  refund(sandbox.cb, 'txn_rv', 'cust_rv', 1_000, 'cn_rv');
}

describe('Sage Intacct: a refund voided in Chargebee after it was posted', () => {
  it('reverses the AP payment, then the bill; names the knockoff to reverse by hand; reverses the debit once it is gone', async () => {
    s = await startSandbox();
    refundOfCreditNote(s);
    expect((await s.run()).exitCode).toBe(0);
    const debit = debitOf(s, 'txn_rv');
    const memo = memoOf(s, 'cn_rv');
    const bill = billOf(s, 'txn_rv');
    const apPayment = apPaymentOf(s, 'txn_rv');
    expect(debit.applied).toBe(debit.total);
    expect(bill.paid).toBe(bill.total);

    s.cb.state.touch('transactions', 'txn_rv', { status: 'voided', voided_at: MARCH_7 } as never);
    s.cb.state.touch('credit_notes', 'cn_rv', { status: 'refund_due', amount_refunded: 0, amount_available: 1_000, linked_refunds: [] } as never);
    const first = await s.run();

    // The AP side is taken back in full, payment before bill, as the SDK writes both.
    expect(calls(s, 'reverse_appayment')).toEqual([
      { element: 'reverse_appayment', body: { '@key': apPayment.RECORDNO, datereversed: MARCH_7_PARTS, description: 'Chargebee refund txn_rv voided' } },
    ]);
    expect(calls(s, 'reverse_bill')).toEqual([
      { element: 'reverse_bill', body: { '@key': bill.RECORDNO, datereversed: MARCH_7_PARTS, description: 'Chargebee refund txn_rv voided' } },
    ]);
    expect(sent(s).indexOf('reverse_appayment')).toBeLessThan(sent(s).indexOf('reverse_bill'));
    expect(apPaymentOf(s, 'txn_rv').reversed).toEqual({ date: '2024-03-07', description: 'Chargebee refund txn_rv voided' });
    expect(billOf(s, 'txn_rv').reversed).toBeDefined();

    // The knockoff cannot be taken back through the API: a dead letter names the application; the
    // debit it applies is refused and its letter names the credit memo still applied to it.
    expect(first.exitCode).toBe(1);
    const [knockoff] = letters(s, 'refund_settlements');
    expect(knockoff).toMatchObject({ sourceId: 'txn_rv', errorCode: 'intacct_void_by_hand', details: { sourceId: 'txn_rv#knockoff' } });
    expect(knockoff!.message).toContain(`AR payment or credit memo RECORDNO ${memo.RECORDNO} still applies 10 to invoice RECORDNO ${debit.RECORDNO}`);
    expect(knockoff!.message).toContain("memo 'refund knockoff txn_rv'");
    expect(knockoff!.fix).toMatch(
      new RegExp(`reverse by hand the application of AR payment or credit memo RECORDNO ${memo.RECORDNO}: 10 to invoice RECORDNO ${debit.RECORDNO}`),
    );
    const [debitLetter] = letters(s, 'refund_reversals');
    expect(debitLetter).toMatchObject({ sourceId: 'txn_rv', details: { sourceId: 'txn_rv#debit' } });
    expect(debitLetter!.message).toContain(`reverse ARINVOICE refund_txn_rv (RECORDNO ${debit.RECORDNO}, reverse_invoice)`);
    expect(debitLetter!.fix).toContain(
      `Still applied to invoice refund_txn_rv (RECORDNO ${debit.RECORDNO}): AR payment or credit memo RECORDNO ${memo.RECORDNO} (10`,
    );
    expect(debitOf(s, 'txn_rv').reversed).toBeUndefined();

    // Reversed by hand: the next run settles the knockoff and reverses the debit.
    reverseApplicationByHand(s, memo.RECORDNO, debit.RECORDNO);
    const second = await s.run();
    expect(second.exitCode).toBe(0);
    expect(letters(s, 'refund_settlements')).toEqual([]);
    expect(letters(s, 'refund_reversals')).toEqual([]);
    expect(debitOf(s, 'txn_rv').reversed).toEqual({ date: '2024-03-07', description: 'Chargebee refund txn_rv voided' });
    expect(memoOf(s, 'cn_rv').applied).toBe(0n);

    // Settled: nothing is reversed twice.
    expect((await s.run()).exitCode).toBe(0);
    expect(sent(s).filter((f) => f === 'reverse_appayment' || f === 'reverse_bill')).toHaveLength(2);
    expect(calls(s, 'reverse_invoice').filter((c) => (c.body as Record<string, unknown>)['@key'] === debit.RECORDNO)).toHaveLength(2);
  }, 120_000);

  it('a refund of an excess payment voided with its payment is taken back in full in one run', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_xs');
    invoice(s.cb, 'inv_xs', 'cust_xs', [{ id: 'l1', amount: 3_000, entityId: 'x', description: 'A' }], { paid: 3_000 });
    payment(s.cb, 'txn_xs_pay', 'cust_xs', 5_000, [{ invoiceId: 'inv_xs', amount: 3_000 }]);
    refund(s.cb, 'txn_xs_ref', 'cust_xs', 2_000, 'unused');
    s.cb.state.touch('transactions', 'txn_xs_ref', { linked_credit_notes: [], refunded_txn_id: 'txn_xs_pay' } as never);
    await s.run();
    expect((await s.run()).exitCode).toBe(0);
    expect(debitOf(s, 'txn_xs_ref').applied).toBe(debitOf(s, 'txn_xs_ref').total);

    // The payment's reversal takes back its knockoff too: nothing is left for a person to do.
    s.cb.state.touch('transactions', 'txn_xs_pay', { status: 'voided', voided_at: MARCH_7 } as never);
    s.cb.state.touch('transactions', 'txn_xs_ref', { status: 'voided', voided_at: MARCH_7 } as never);
    const run = await s.run();
    expect(run.exitCode, JSON.stringify([...letters(s, 'refund_settlements'), ...letters(s, 'refund_reversals')])).toBe(0);
    expect(debitOf(s, 'txn_xs_ref').reversed).toBeDefined();
    expect(billOf(s, 'txn_xs_ref').reversed).toBeDefined();
    expect(apPaymentOf(s, 'txn_xs_ref').reversed).toBeDefined();
  }, 120_000);

  it('a refund voided before it was ever posted sends no reversal', async () => {
    s = await startSandbox();
    refundOfCreditNote(s);
    s.cb.state.touch('transactions', 'txn_rv', { status: 'voided', voided_at: MARCH_7 } as never);
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(sent(s)).toEqual([]);
    expect(debitOf(s, 'txn_rv')).toBeUndefined();
    expect(billOf(s, 'txn_rv')).toBeUndefined();
  }, 120_000);

  it('the fake refuses to reverse a bill its AP payment still pays, as Intacct does', async () => {
    s = await startSandbox();
    refundOfCreditNote(s);
    expect((await s.run()).exitCode).toBe(0);
    const bill = billOf(s, 'txn_rv');
    const answer = await call(
      s,
      `<reverse_bill key="${bill.RECORDNO}"><datereversed><year>2024</year><month>03</month><day>07</day></datereversed></reverse_bill>`,
    );
    expect(answer).toMatch(/BL03000151/);
    expect(answer).toMatch(/Reverse the payments first/);
    expect(billOf(s, 'txn_rv').reversed).toBeUndefined();
  }, 120_000);
});
