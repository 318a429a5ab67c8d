/**
 * Documents voided (or deleted) in Chargebee after they were posted to Sage Intacct: the example maps
 * them to `_action: void` and the sink takes them back, as the SDK's InvoiceReverse / ArPaymentReverse
 * / ArAdjustmentDelete write it. Before, a voided invoice or credit note was mapped to `skip` and a
 * voided payment was filtered out: Intacct kept them open or applied, and the run exited 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { behindFaultProxy, startSandbox, type Sandbox } from './e2e-harness.js';
import { MARCH_1, creditNote, customer, invoice, payment } from './scenario.js';

const DAY = 86_400;
const MARCH_10 = MARCH_1 + 9 * DAY;

let sandbox: Sandbox | undefined;
afterEach(async () => {
  await sandbox?.close();
  sandbox = undefined;
});

async function open(): Promise<Sandbox> {
  sandbox = await startSandbox({ cb: { customers: 0 } });
  customer(sandbox.cb, 'cus_v');
  return sandbox;
}

const line = (id: string, amount: number) => ({ id, amount, entityId: 'pro-USD-monthly', description: 'Pro plan' });

function document(s: Sandbox, kind: 'invoice' | 'adjustment', recordId: string) {
  return [...s.intacct.state.arDocuments.values()].find((d) => d.kind === kind && d.RECORDID === recordId);
}

const due = (s: Sandbox, recordId: string) => {
  const d = document(s, 'invoice', recordId)!;
  return d.total - d.applied;
};

/** Every call of a function the fake received, with its body. */
const calls = (s: Sandbox, element: string) => s.intacct.state.requests.flatMap((r) => (r.calls ?? []).filter((c) => c.element === element));

const deadLetter = (s: Sandbox, stream: string, sourceId: string) => s.deadLetters(stream).find((l) => l.sourceId === sourceId);

describe('Sage Intacct: documents voided in Chargebee after they were posted', () => {
  it('an invoice voided after posting is reversed on the day it was voided, once', async () => {
    const s = await open();
    invoice(s.cb, 'inv_v', 'cus_v', [line('l1', 10_000)]);
    expect((await s.run()).exitCode).toBe(0);
    const posted = document(s, 'invoice', 'inv_v')!;
    expect(due(s, 'inv_v')).toBe(1_000_000n);

    s.cb.state.touch('invoices', 'inv_v', { status: 'voided', voided_at: MARCH_10 + 3600, amount_due: 0 });
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(run.streams['invoices']).toMatchObject({ updated: 1, failed: 0 });
    expect(calls(s, 'reverse_invoice')).toEqual([
      {
        element: 'reverse_invoice',
        body: { '@key': posted.RECORDNO, datereversed: { year: '2024', month: '03', day: '10' }, description: 'Chargebee invoice inv_v voided' },
      },
    ]);
    expect(document(s, 'invoice', 'inv_v')!.reversed).toEqual({ date: '2024-03-10', description: 'Chargebee invoice inv_v voided' });
    expect(due(s, 'inv_v')).toBe(0n);

    // Settled: the next run sends nothing for it.
    expect((await s.run()).exitCode).toBe(0);
    expect(calls(s, 'reverse_invoice')).toHaveLength(1);
  });

  it('an invoice voided before it was ever posted is skipped, and one reversed in Intacct already is not reversed again', async () => {
    const s = await open();
    invoice(s.cb, 'inv_never', 'cus_v', [line('l1', 5_000)]);
    invoice(s.cb, 'inv_by_hand', 'cus_v', [line('l1', 7_000)]);
    s.cb.state.touch('invoices', 'inv_never', { status: 'voided', voided_at: MARCH_10 });
    expect((await s.run()).exitCode).toBe(0);
    expect(document(s, 'invoice', 'inv_never')).toBeUndefined();

    // Reversed by hand in Intacct (or by a run whose answer was lost) before Chargebee's void reaches it.
    const byHand = document(s, 'invoice', 'inv_by_hand')!;
    s.intacct.state.arDocuments.set(byHand.RECORDNO, { ...byHand, reversed: { date: '2024-03-09', description: 'by hand' }, applied: byHand.total });
    s.cb.state.touch('invoices', 'inv_by_hand', { status: 'voided', voided_at: MARCH_10 });
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(run.streams['invoices']).toMatchObject({ failed: 0 });
    expect(calls(s, 'reverse_invoice')).toEqual([]);
  });

  it('an invoice Intacct cannot reverse (a payment applied to it) is a dead letter naming it and the fix', async () => {
    const s = await open();
    const total = invoice(s.cb, 'inv_paid', 'cus_v', [line('l1', 10_000)], { paid: 10_000 });
    payment(s.cb, 'txn_p', 'cus_v', total, [{ invoiceId: 'inv_paid', amount: total }]);
    expect((await s.run()).exitCode).toBe(0);

    s.cb.state.touch('invoices', 'inv_paid', { status: 'voided', voided_at: MARCH_10 });
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(run.streams['invoices']).toMatchObject({ failed: 1 });
    const letter = deadLetter(s, 'invoices', 'inv_paid')!;
    const recordNo = document(s, 'invoice', 'inv_paid')!.RECORDNO;
    expect(letter.message).toContain(`reverse ARINVOICE inv_paid (RECORDNO ${recordNo}, reverse_invoice)`);
    expect(letter.message).toMatch(/payments or credits applied/);
    expect(letter.fix).toMatch(
      /invoice inv_paid .* were voided in Chargebee too, nothing: this run reverses them after the invoices, and the next run reverses the invoice; otherwise reverse its payments and credits in Intacct first/,
    );
    expect(due(s, 'inv_paid')).toBe(0n);
  });

  it('a payment voided after posting is reversed, its invoice is due again, and its applications are not sent again', async () => {
    const s = await open();
    const total = invoice(s.cb, 'inv_p', 'cus_v', [line('l1', 10_000)], { paid: 10_000 });
    payment(s.cb, 'txn_v', 'cus_v', total, [{ invoiceId: 'inv_p', amount: total }]);
    expect((await s.run()).exitCode).toBe(0);
    expect(due(s, 'inv_p')).toBe(0n);
    const posted = [...s.intacct.state.arPayments.values()].find((p) => p.DOCNUMBER === 'txn_v')!;

    const applications = () => calls(s, 'apply_arpayment').filter((c) => JSON.stringify(c.body).includes(posted.RECORDNO)).length;
    const appliedBefore = applications();
    s.cb.state.touch('transactions', 'txn_v', { status: 'voided', voided_at: MARCH_10, linked_invoices: [] });
    s.cb.state.touch('invoices', 'inv_p', { status: 'payment_due', amount_paid: 0, amount_due: total });
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(run.streams['payments']).toMatchObject({ updated: 1, failed: 0 });
    expect(run.streams['payment_applications']?.failed ?? 0).toBe(0);
    expect(calls(s, 'reverse_arpayment')).toEqual([
      {
        element: 'reverse_arpayment',
        body: { '@key': posted.RECORDNO, datereversed: { year: '2024', month: '03', day: '10' }, description: 'Chargebee payment txn_v voided' },
      },
    ]);
    expect(due(s, 'inv_p')).toBe(1_000_000n);
    expect(s.intacct.state.applications.filter((a) => a.PAYMENTKEY === posted.RECORDNO)).toEqual([]);

    expect((await s.run()).exitCode).toBe(0);
    expect(calls(s, 'reverse_arpayment')).toHaveLength(1);
    expect(applications()).toBe(appliedBefore);
  });

  it('a credit note voided after posting is deleted; one still applied to an invoice is a dead letter naming it', async () => {
    const s = await open();
    invoice(s.cb, 'inv_c', 'cus_v', [line('l1', 10_000)]);
    creditNote(s.cb, 'cn_free', 'cus_v', 2_000, { type: 'refundable' });
    creditNote(s.cb, 'cn_applied', 'cus_v', 3_000, { referenceInvoiceId: 'inv_c', allocations: [{ invoiceId: 'inv_c', amount: 3_000 }] });
    expect((await s.run()).exitCode).toBe(0);
    const applied = document(s, 'adjustment', 'cn_applied')!;

    s.cb.state.touch('credit_notes', 'cn_free', { status: 'voided', voided_at: MARCH_10 });
    s.cb.state.touch('credit_notes', 'cn_applied', { status: 'voided', voided_at: MARCH_10 });
    const run = await s.run();
    expect(run.exitCode).toBe(1);
    expect(run.streams['credit_notes']).toMatchObject({ updated: 1, failed: 1 });
    expect(document(s, 'adjustment', 'cn_free')).toBeUndefined();
    const letter = deadLetter(s, 'credit_notes', 'cn_applied')!;
    expect(letter.message).toContain(`delete ARADJUSTMENT cn_applied (RECORDNO ${applied.RECORDNO}, delete_aradjustment)`);
    expect(letter.fix).toMatch(/reverse the applications of credit memo cn_applied/);
  });

  it('a reversal whose answer is lost once is looked up, found reversed, and not sent again', async () => {
    const s = await open();
    const proxy = await behindFaultProxy(s);
    try {
      invoice(s.cb, 'inv_lost', 'cus_v', [line('l1', 4_000)]);
      expect((await s.run()).exitCode).toBe(0);
      s.cb.state.touch('invoices', 'inv_lost', { status: 'voided', voided_at: MARCH_10 });
      proxy.inject({ method: 'POST', body: /<reverse_invoice/, times: 1, fault: { kind: 'status', status: 502 } });
      const run = await s.run();
      expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
      expect(run.streams['invoices']).toMatchObject({ updated: 1, failed: 0 });
      expect(calls(s, 'reverse_invoice')).toHaveLength(1);
      expect(due(s, 'inv_lost')).toBe(0n);
    } finally {
      await proxy.close();
    }
  });
});
