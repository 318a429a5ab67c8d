/**
 * Refunds settled end to end against the fake company: a refund paying out two credit notes, and the
 * refund of an excess payment (Chargebee creates no credit note for it).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import { MARCH_1, creditNote, customer, invoice, payment, refund } from './scenario.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const DAY = 86_400;

function lettersOf(sandbox: Sandbox, pattern: RegExp): string[] {
  const store = StateStore.open(sandbox.statePath);
  try {
    return store
      .deadLetters('chargebee-to-intacct')
      .filter((l) => pattern.test(l.sourceId))
      .map((l) => `${l.stream}/${l.sourceId}: ${l.message}`);
  } finally {
    store.close();
  }
}

describe('Intacct refunds settled', () => {
  it('a USD 30.00 refund of credit notes of 10.00 and 20.00 knocks off each memo by its share and settles the refund', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_rf');
    invoice(s.cb, 'inv_rf1', 'cust_rf', [{ id: 'l1', amount: 1_000, entityId: 'x', description: 'A' }], { paid: 1_000 });
    invoice(s.cb, 'inv_rf2', 'cust_rf', [{ id: 'l2', amount: 2_000, entityId: 'x', description: 'B' }], { paid: 2_000 });
    payment(s.cb, 'txn_rf_pay', 'cust_rf', 3_000, [
      { invoiceId: 'inv_rf1', amount: 1_000 },
      { invoiceId: 'inv_rf2', amount: 2_000 },
    ]);
    creditNote(s.cb, 'cn_rf1', 'cust_rf', 1_000, { type: 'refundable', referenceInvoiceId: 'inv_rf1', refunds: [{ txnId: 'txn_rf', amount: 1_000 }] });
    creditNote(s.cb, 'cn_rf2', 'cust_rf', 2_000, { type: 'refundable', referenceInvoiceId: 'inv_rf2', refunds: [{ txnId: 'txn_rf', amount: 2_000 }] });
    refund(s.cb, 'txn_rf', 'cust_rf', 3_000, 'cn_rf1');
    const linked = (cnId: string, amount: number) => ({
      cn_id: cnId,
      applied_amount: amount,
      applied_at: MARCH_1 + 4 * DAY,
      cn_reason_code: 'other',
      cn_date: MARCH_1 + 2 * DAY,
      cn_total: amount,
      cn_status: 'refunded',
    });
    s.cb.state.touch('transactions', 'txn_rf', { linked_credit_notes: [linked('cn_rf1', 1_000), linked('cn_rf2', 2_000)] } as never);
    const run = await s.run();
    expect(lettersOf(s, /rf/)).toEqual([]);
    for (const id of ['cn_rf1', 'cn_rf2']) {
      const memo = [...s.intacct.state.arDocuments.values()].find((d) => d.kind === 'adjustment' && d.RECORDID === id)!;
      expect(memo.total - memo.applied, `${id} still open in Intacct`).toBe(0n);
    }
    const debit = [...s.intacct.state.arDocuments.values()].find((d) => d.kind === 'invoice' && d.RECORDID === 'refund_txn_rf')!;
    expect(debit.total - debit.applied, 'refund debit still open').toBe(0n);
    expect(run.exitCode).toBe(0);
  }, 120_000);

  it('a USD 20.00 refund of the unapplied part of a 50.00 payment is knocked off against the payment and paid out', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_xs');
    invoice(s.cb, 'inv_xs', 'cust_xs', [{ id: 'l1', amount: 3_000, entityId: 'x', description: 'A' }], { paid: 3_000 });
    payment(s.cb, 'txn_xs_pay', 'cust_xs', 5_000, [{ invoiceId: 'inv_xs', amount: 3_000 }]);
    refund(s.cb, 'txn_xs_ref', 'cust_xs', 2_000, 'unused');
    s.cb.state.touch('transactions', 'txn_xs_ref', { linked_credit_notes: [], refunded_txn_id: 'txn_xs_pay', reference_transaction_id: 'txn_xs_pay' } as never);
    await s.run();
    const second = await s.run();
    expect(lettersOf(s, /xs/)).toEqual([]);
    const debit = [...s.intacct.state.arDocuments.values()].find((d) => d.kind === 'invoice' && d.RECORDID === 'refund_txn_xs_ref')!;
    expect(debit.total - debit.applied, 'refund debit still open').toBe(0n);
    const bill = [...s.intacct.state.bills.values()].find((b) => b.RECORDID === 'bill_txn_xs_ref');
    expect(bill?.paid, 'the AP bill of the refund is paid').toBe(bill?.total);
    expect(second.exitCode).toBe(0);
  }, 120_000);
});
