/**
 * A payment changed in Chargebee after it was posted to Sage Intacct, followed as its dead letter says:
 * reverse it in Intacct, which takes back its applications too; the next run posts the new payment;
 * then one full refresh maps payment_applications again onto the new RECORDNO and applies it. Before,
 * the dead letter said nothing of the applications: the invoice stayed open in Intacct and paid in
 * Chargebee behind exit-0 runs.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { SCALE } from '../../fakes/intacct/state.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import { customer, invoice, payment } from './scenario.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const line = { id: 'l1', amount: 1_000, entityId: 'x', description: 'A' };
const standing = (sb: Sandbox, id: string) => [...sb.intacct.state.arPayments.values()].filter((p) => p.DOCNUMBER === id && !p.reversed);
const invoiceOf = (sb: Sandbox, id: string) => [...sb.intacct.state.arDocuments.values()].find((d) => d.kind === 'invoice' && d.RECORDID === id)!;
const openInIntacct = (sb: Sandbox, id: string) => Number(((invoiceOf(sb, id).total - invoiceOf(sb, id).applied) * 100n) / SCALE);

/** What reverse_arpayment does in Intacct (fake functions.ts reverseArPayment), done by a person. */
function reversePaymentByHand(sb: Sandbox, key: string): void {
  const state = sb.intacct.state;
  for (const a of state.applications.filter((x) => x.PAYMENTKEY === key)) state.arDocuments.get(a.RECORDKEY)!.applied -= a.invoiceAmount ?? a.amount;
  state.applications = state.applications.filter((a) => a.PAYMENTKEY !== key);
  Object.assign(state.arPayments.get(key)!, { reversed: { date: '2024-03-09', description: 'reversed by hand' }, applied: 0n });
}

describe('Sage Intacct: a changed payment reversed by hand as its dead letter says', () => {
  it('is posted anew, and the full refresh the letter names applies it to its invoice again', async () => {
    s = await startSandbox();
    customer(s.cb, 'cust_ra');
    invoice(s.cb, 'inv_ra', 'cust_ra', [line], { paid: 1_000 });
    payment(s.cb, 'txn_ra', 'cust_ra', 1_000, [{ invoiceId: 'inv_ra', amount: 1_000 }]);
    expect((await s.run()).exitCode).toBe(0);
    expect(openInIntacct(s, 'inv_ra')).toBe(0);

    // 12.00 received, 10.00 of it on the invoice (2.00 unused): the payment is a dead letter.
    s.cb.state.touch('transactions', 'txn_ra', { amount: 1_200, amount_unused: 200 } as never);
    const changed = await s.run();
    expect(changed.exitCode).toBe(1);
    const letter = JSON.stringify(changed);
    expect(letter).toContain('intacct_update_unsupported');
    expect(letter).toContain('--full-refresh');

    const [first] = standing(s, 'txn_ra');
    reversePaymentByHand(s, first!.RECORDNO);
    const repost = await s.run();
    expect(repost.exitCode).toBe(0);
    expect(standing(s, 'txn_ra').map((p) => p.amount)).toEqual([120_000n]);
    const refreshed = await s.run({ fullRefresh: true } as never);
    expect(refreshed.exitCode, JSON.stringify(refreshed)).toBe(0);

    // Chargebee: inv_ra paid by txn_ra. Intacct should agree.
    expect(openInIntacct(s, 'inv_ra')).toBe(0);
  }, 120_000);
});
