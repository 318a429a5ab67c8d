/**
 * A payment or credit note taken off an invoice in Chargebee after its application was posted to Sage
 * Intacct (remove_payment / remove_credit_note: the invoice is due again; the money is an excess
 * payment, or moves to another invoice). No SDK function takes back one application, so the example's
 * `removed_parts: void` on payment_applications and credit_note_allocations makes each one still
 * applied a dead letter naming what to reverse by hand, settled once it is gone. Before, both streams
 * left it applied behind an exit-0 run: the invoice paid in Intacct and due in Chargebee.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { planPipeline } from '../../../engine/run/change-plan.js';
import { StateStore } from '../../../engine/state/store.js';
import { SCALE } from '../../fakes/intacct/state.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import { MARCH_1, creditNote, customer, invoice, payment } from './scenario.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const line = { id: 'l1', amount: 1_000, entityId: 'x', description: 'A' };

const letters = (sandbox: Sandbox, stream: string) => sandbox.deadLetters(stream);

const invoiceOf = (sb: Sandbox, id: string) => [...sb.intacct.state.arDocuments.values()].find((d) => d.kind === 'invoice' && d.RECORDID === id)!;
const memoOf = (sb: Sandbox, id: string) => [...sb.intacct.state.arDocuments.values()].find((d) => d.kind === 'adjustment' && d.RECORDID === id)!;
const paymentOf = (sb: Sandbox, id: string) => [...sb.intacct.state.arPayments.values()].find((p) => p.DOCNUMBER === id)!;
/** Open amount in minor units (USD cents). */
const openInIntacct = (sb: Sandbox, id: string) => Number(((invoiceOf(sb, id).total - invoiceOf(sb, id).applied) * 100n) / SCALE);
const applicationsOf = (sb: Sandbox, paymentKey: string) => sb.intacct.state.applications.filter((a) => a.PAYMENTKEY === paymentKey);
const applyCalls = (sb: Sandbox) => sb.intacct.state.requests.flatMap((r) => r.functions).filter((f) => f === 'apply_arpayment').length;

/** What a person does in Intacct for the dead letter: reverses that one application, leaving the payment or credit memo posted. */
function reverseApplicationByHand(sb: Sandbox, paymentKey: string, invoiceKey: string): void {
  const state = sb.intacct.state;
  const application = state.applications.find((a) => a.PAYMENTKEY === paymentKey && a.RECORDKEY === invoiceKey)!;
  state.arDocuments.get(invoiceKey)!.applied -= application.invoiceAmount ?? application.amount;
  const payment = state.arPayments.get(paymentKey);
  if (payment) payment.applied -= application.amount;
  // A credit memo's open balance is negative: its applications moved it towards zero.
  else state.arDocuments.get(paymentKey)!.applied += application.amount;
  state.applications = state.applications.filter((a) => a !== application);
}

const plan = (sb: Sandbox, stream: string) =>
  planPipeline({ connectors: installedConnectors, pipelinePath: sb.pipelinePath, statePath: sb.statePath, env: sb.env, log: silentLogger, streams: [stream] });

describe('Sage Intacct: an application taken back in Chargebee after it was posted', () => {
  it('a payment removed from its invoice: a dead letter names the application; the run after its hand reversal settles', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_rp');
    invoice(s.cb, 'inv_rp', 'cust_rp', [line], { paid: 1_000 });
    payment(s.cb, 'txn_rp', 'cust_rp', 1_000, [{ invoiceId: 'inv_rp', amount: 1_000 }]);
    expect((await s.run()).exitCode).toBe(0);
    const pay = paymentOf(s, 'txn_rp');
    const inv = invoiceOf(s, 'inv_rp');
    const [detail] = applicationsOf(s, pay.RECORDNO);
    expect(openInIntacct(s, 'inv_rp')).toBe(0);

    s.cb.state.touch('invoices', 'inv_rp', { status: 'payment_due', amount_paid: 0, amount_due: 1_000, linked_payments: [] } as never);
    s.cb.state.touch('transactions', 'txn_rp', { linked_invoices: [], amount_unused: 1_000 } as never);

    // plan names the application it cannot take back, as the run's dead letter will.
    const planned = await plan(s, 'payment_applications');
    expect(planned.changes).toEqual([
      expect.objectContaining({ sourceId: 'txn_rp#inv_rp', action: 'fail', error: expect.objectContaining({ code: 'intacct_void_by_hand' }) }),
    ]);

    const run = await s.run();
    expect(run.exitCode).toBe(1);
    const [letter] = letters(s, 'payment_applications');
    expect(letter).toMatchObject({ sourceId: 'txn_rp', errorCode: 'intacct_void_by_hand', details: { sourceId: 'txn_rp#inv_rp' } });
    expect(letter!.message).toContain(
      `AR payment or credit memo RECORDNO ${pay.RECORDNO} still applies 10 to invoice RECORDNO ${inv.RECORDNO} (payment detail RECORDNO ${detail!.RECORDNO})`,
    );
    expect(letter!.fix).toContain(`reverse by hand the application of AR payment or credit memo RECORDNO ${pay.RECORDNO}`);
    // The payment itself stays posted: it is the customer's excess payment in Chargebee.
    expect(paymentOf(s, 'txn_rp').reversed).toBeUndefined();

    reverseApplicationByHand(s, pay.RECORDNO, inv.RECORDNO);
    const second = await s.run();
    expect(second.exitCode).toBe(0);
    expect(letters(s, 'payment_applications')).toEqual([]);
    expect(openInIntacct(s, 'inv_rp')).toBe(1_000);

    // Settled: the next run neither writes nor letters anything.
    const third = await s.run();
    expect(third.exitCode).toBe(0);
    expect(third.streams['payment_applications']).toMatchObject({ written: 0, failed: 0 });
  }, 120_000);

  it('a payment removed while Intacct holds its application at another amount (partly reversed by hand): still named, never skipped as gone', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_pa');
    invoice(s.cb, 'inv_pa', 'cust_pa', [line], { paid: 1_000 });
    payment(s.cb, 'txn_pa', 'cust_pa', 1_000, [{ invoiceId: 'inv_pa', amount: 1_000 }]);
    expect((await s.run()).exitCode).toBe(0);
    const pay = paymentOf(s, 'txn_pa');
    const inv = invoiceOf(s, 'inv_pa');
    // Someone took 6.00 of the 10.00 application back in Intacct: 4.00 of it is still applied.
    const [detail] = applicationsOf(s, pay.RECORDNO);
    detail!.amount = 4n * SCALE;
    detail!.invoiceAmount = 4n * SCALE;
    inv.applied = 4n * SCALE;
    pay.applied = 4n * SCALE;

    s.cb.state.touch('invoices', 'inv_pa', { status: 'payment_due', amount_paid: 0, amount_due: 1_000, linked_payments: [] } as never);
    s.cb.state.touch('transactions', 'txn_pa', { linked_invoices: [], amount_unused: 1_000 } as never);
    const run = await s.run();
    // Before, the 4.00 left applied did not match the 10.00 written, so the retraction was skipped as gone, exit 0.
    expect(run.exitCode).toBe(1);
    const [letter] = letters(s, 'payment_applications');
    expect(letter).toMatchObject({ sourceId: 'txn_pa', errorCode: 'intacct_void_by_hand' });
    expect(letter!.message).toContain(`still applies 4 to invoice RECORDNO ${inv.RECORDNO}`);
    expect(openInIntacct(s, 'inv_pa')).toBe(600);
  }, 120_000);

  it('a payment moved to another invoice: the old application is retracted first; the new one is refused while the old is applied, and lands after its hand reversal', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_mv');
    invoice(s.cb, 'inv_a', 'cust_mv', [line], { paid: 1_000 });
    invoice(s.cb, 'inv_b', 'cust_mv', [line]);
    payment(s.cb, 'txn_mv', 'cust_mv', 1_000, [{ invoiceId: 'inv_a', amount: 1_000 }]);
    expect((await s.run()).exitCode).toBe(0);
    const pay = paymentOf(s, 'txn_mv');
    const a = invoiceOf(s, 'inv_a');
    expect(openInIntacct(s, 'inv_b')).toBe(1_000);

    s.cb.state.touch('invoices', 'inv_a', { status: 'payment_due', amount_paid: 0, amount_due: 1_000, linked_payments: [] } as never);
    s.cb.state.touch('invoices', 'inv_b', { status: 'paid', amount_paid: 1_000, amount_due: 0 } as never);
    s.cb.state.touch('transactions', 'txn_mv', {
      linked_invoices: [{ invoice_id: 'inv_b', applied_amount: 1_000, applied_at: MARCH_1, invoice_date: MARCH_1, invoice_status: 'paid' }],
    } as never);
    const appliesBefore = applyCalls(s);
    const run = await s.run();

    // The record's dead letter is its retraction, which goes first: it names the application on A.
    expect(run.exitCode).toBe(1);
    const [letter] = letters(s, 'payment_applications');
    expect(letter).toMatchObject({ sourceId: 'txn_mv', errorCode: 'intacct_void_by_hand', details: { sourceId: 'txn_mv#inv_a' } });
    expect(letter!.message).toContain(`still applies 10 to invoice RECORDNO ${a.RECORDNO}`);
    // Intacct refuses to apply to B the payment it still applies in full to A: nothing is applied twice.
    expect(applyCalls(s) - appliesBefore).toBe(1);
    expect(applicationsOf(s, pay.RECORDNO).map((x) => x.RECORDKEY)).toEqual([a.RECORDNO]);
    expect(openInIntacct(s, 'inv_b')).toBe(1_000);
    const store = StateStore.open(s.statePath);
    try {
      const attempts = store.audit.entries('chargebee-to-intacct', { sourceId: 'txn_mv', runId: run.runId });
      // In the record's write the retraction of A goes before the application to B, which Intacct refuses.
      expect(attempts.map((e) => [e.sourceId, e.action, e.outcome])).toEqual([
        ['txn_mv#inv_a', 'void', 'failed'],
        ['txn_mv#inv_b', 'upsert', 'failed'],
      ]);
      expect(JSON.stringify(attempts[1]!.answer)).toContain('BL03000025');
    } finally {
      store.close();
    }

    reverseApplicationByHand(s, pay.RECORDNO, a.RECORDNO);
    const second = await s.run();
    expect(second.exitCode).toBe(0);
    expect(letters(s, 'payment_applications')).toEqual([]);
    expect(openInIntacct(s, 'inv_a')).toBe(1_000);
    expect(openInIntacct(s, 'inv_b')).toBe(0);
    expect((await s.run()).streams['payment_applications']).toMatchObject({ written: 0, failed: 0 });
  }, 120_000);

  it('a credit note allocation removed: a dead letter names the credit memo application; the run after its hand reversal settles', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_cn');
    invoice(s.cb, 'inv_cn', 'cust_cn', [line]);
    creditNote(s.cb, 'cn_rm', 'cust_cn', 400, { referenceInvoiceId: 'inv_cn', allocations: [{ invoiceId: 'inv_cn', amount: 400 }] });
    expect((await s.run()).exitCode).toBe(0);
    const memo = memoOf(s, 'cn_rm');
    const inv = invoiceOf(s, 'inv_cn');
    expect(openInIntacct(s, 'inv_cn')).toBe(600);

    s.cb.state.touch('credit_notes', 'cn_rm', { status: 'refund_due', allocations: [], amount_allocated: 0, amount_available: 400 } as never);
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    const [letter] = letters(s, 'credit_note_allocations');
    expect(letter).toMatchObject({ sourceId: 'cn_rm', errorCode: 'intacct_void_by_hand', details: { sourceId: 'cn_rm#inv_cn' } });
    expect(letter!.message).toContain(`AR payment or credit memo RECORDNO ${memo.RECORDNO} still applies 4 to invoice RECORDNO ${inv.RECORDNO}`);
    expect(letter!.message).toContain("memo 'Creditmemo applied over invoice'");

    reverseApplicationByHand(s, memo.RECORDNO, inv.RECORDNO);
    expect((await s.run()).exitCode).toBe(0);
    expect(letters(s, 'credit_note_allocations')).toEqual([]);
    expect(openInIntacct(s, 'inv_cn')).toBe(1_000);
    expect(memoOf(s, 'cn_rm').applied).toBe(0n);
  }, 120_000);

  it('a payment voided is reversed whole: its applications go with it, and none is left for a person', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_vd');
    invoice(s.cb, 'inv_vd', 'cust_vd', [line], { paid: 1_000 });
    payment(s.cb, 'txn_vd', 'cust_vd', 1_000, [{ invoiceId: 'inv_vd', amount: 1_000 }]);
    expect((await s.run()).exitCode).toBe(0);

    s.cb.state.touch('invoices', 'inv_vd', { status: 'payment_due', amount_paid: 0, amount_due: 1_000, linked_payments: [] } as never);
    s.cb.state.touch('transactions', 'txn_vd', { status: 'voided', voided_at: MARCH_1 + 5 * 86_400, linked_invoices: [] } as never);
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(letters(s, 'payment_applications')).toEqual([]);
    expect(paymentOf(s, 'txn_vd').reversed).toBeDefined();
    expect(openInIntacct(s, 'inv_vd')).toBe(1_000);
  }, 120_000);
  it('a payment voided whose reversal Intacct refuses: only the payment is dead-lettered, never its applications one by one', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_cl');
    invoice(s.cb, 'inv_cl', 'cust_cl', [line], { paid: 1_000 });
    payment(s.cb, 'txn_cl', 'cust_cl', 1_000, [{ invoiceId: 'inv_cl', amount: 1_000 }]);
    expect((await s.run()).exitCode).toBe(0);

    s.cb.state.touch('invoices', 'inv_cl', { status: 'payment_due', amount_paid: 0, amount_due: 1_000, linked_payments: [] } as never);
    s.cb.state.touch('transactions', 'txn_cl', { status: 'voided', voided_at: MARCH_1 + 5 * 86_400, linked_invoices: [] } as never);
    s.intacct.state.booksClosedThrough = '2024-12-31';
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(letters(s, 'payments')).toEqual([expect.objectContaining({ sourceId: 'txn_cl' })]);
    // Reversing the payment takes its application back too: a letter to reverse it alone would mislead.
    expect(letters(s, 'payment_applications')).toEqual([]);
  }, 120_000);
});
