/**
 * A Chargebee refund of a credit note pays out credit the customer holds: the example posts it as a
 * journal entry (debit the customer's Accounts Receivable, credit the account the money left from)
 * and applies the refunded credit memos to it with a Payment of TotalAmt 0. The memo's credit is
 * spent, as Chargebee's amount_available is 0, and revenue is reduced once (by the memo), not again
 * by a refund receipt on an income item.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { money } from '../../../domain/money/money.js';
import { RECEIVABLE_ACCOUNT_IDS } from '../../fakes/qbo/company.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

interface JournalLine {
  Amount: number;
  JournalEntryLineDetail: { PostingType: string; AccountRef: { value: string }; Entity?: { Type: string; EntityRef: { value: string } } };
}
interface PaymentLine {
  Amount: number;
  LinkedTxn: { TxnId: string; TxnType: string }[];
}

const byDocNumber = (sb: Sandbox, object: string, number: string) => sb.qbo.state.entities(object).find((e) => e['DocNumber'] === number);
const application = (sb: Sandbox, refund: string) => sb.qbo.state.entities('Payment').find((p) => p['PaymentRefNum'] === refund);

describe('QuickBooks: refunds of credit notes', () => {
  it("spend the credit memo's credit through A/R, so RemainingCredit equals Chargebee's amount_available, and post no refund receipt", async () => {
    s = await startSandbox({ customers: 40 });
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    const customers = new Map(s.qbo.state.entities('Customer').map((c) => [c['Notes'], c.Id]));
    const refunds = s.cb.state.all('transactions').filter((t) => t.type === 'refund' && t.status === 'success' && !t.deleted);
    expect(refunds.length, 'the seeded site has refunds of credit notes').toBeGreaterThan(0);
    for (const refund of refunds) {
      const amount = Number(money(refund.amount, refund.currency_code!));
      const entry = byDocNumber(s, 'JournalEntry', refund.id);
      expect(entry, refund.id).toBeDefined();
      expect(entry!['TotalAmt'], refund.id).toBe(amount);
      const [debit, credit] = entry!['Line'] as JournalLine[];
      expect(debit).toMatchObject({
        Amount: amount,
        JournalEntryLineDetail: {
          PostingType: 'Debit',
          AccountRef: { value: RECEIVABLE_ACCOUNT_IDS[refund.currency_code!] },
          Entity: { Type: 'Customer', EntityRef: { value: customers.get(refund.customer_id) } },
        },
      });
      // Paid back from the account the refunded payment was deposited to.
      const paid = application(s, refund.refunded_txn_id!)!['DepositToAccountRef'];
      expect(credit).toMatchObject({ Amount: amount, JournalEntryLineDetail: { PostingType: 'Credit', AccountRef: paid } });

      const payment = application(s, refund.id);
      expect(payment, refund.id).toBeDefined();
      expect(payment!['TotalAmt']).toBe(0);
      const links = (payment!['Line'] as PaymentLine[]).flatMap((l) => l.LinkedTxn.map((t) => ({ ...t, Amount: l.Amount })));
      expect(links).toContainEqual({ TxnId: entry!.Id, TxnType: 'JournalEntry', Amount: amount });
      for (const note of refund.linked_credit_notes ?? []) {
        const memo = byDocNumber(s, 'CreditMemo', note.cn_id)!;
        expect(links).toContainEqual({ TxnId: memo.Id, TxnType: 'CreditMemo', Amount: Number(money(note.applied_amount, refund.currency_code!)) });
      }
    }
    const mismatches = s.cb.state
      .all('credit_notes')
      .filter((n) => !n.deleted && n.status === 'refunded')
      .map((n) => ({
        id: n.id,
        chargebee: Number(money(n.amount_available ?? 0, n.currency_code)),
        qbo: byDocNumber(s!, 'CreditMemo', n.id)?.['RemainingCredit'],
      }))
      .filter((n) => n.qbo !== n.chargebee);
    expect(mismatches).toEqual([]);
    expect(s.qbo.state.entities('RefundReceipt')).toEqual([]);

    const again = await s.run();
    expect(again.streams['refund_payouts']).toMatchObject({ created: 0, updated: 0, failed: 0 });
    expect(again.streams['refund_applications']).toMatchObject({ created: 0, updated: 0, failed: 0 });
  }, 180_000);

  // late_failure: the gateway returned a refund Chargebee had marked successful.
  it.each(['voided', 'late_failure'])(
    "a refund %s in Chargebee after it synced is taken back: its journal entry deleted, its Payment voided, the memo's credit open again",
    async (status) => {
      s = await startSandbox({ customers: 40 });
      expect((await s.run()).exitCode).toBe(0);
      const refund = s.cb.state
        .all('transactions')
        .find((t) => t.type === 'refund' && t.status === 'success' && !t.deleted && (t.linked_credit_notes ?? []).length > 0)!;
      const memo = () => byDocNumber(s!, 'CreditMemo', refund.linked_credit_notes![0]!.cn_id)!;
      expect(byDocNumber(s, 'JournalEntry', refund.id)).toBeDefined();
      expect(Number(memo()['RemainingCredit'])).toBe(0);

      s.cb.state.touch('transactions', refund.id, { status } as never);
      const run = await s.run();
      expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
      // The journal entry deleted and the Payment voided: one write each, none skipped as never succeeded.
      expect(run.streams['refund_payouts']).toMatchObject({ written: 1, failed: 0 });
      expect(run.streams['refund_applications']).toMatchObject({ written: 1, failed: 0 });
      expect(byDocNumber(s, 'JournalEntry', refund.id)).toBeUndefined();
      expect(application(s, refund.id)).toMatchObject({ TxnStatus: 'Voided', TotalAmt: 0 });
      expect(Number(memo()['RemainingCredit'])).toBe(Number(memo()['TotalAmt']));

      const writes = s.qbo.state.writes.length;
      expect((await s.run()).exitCode).toBe(0);
      expect(s.qbo.state.writes.length).toBe(writes);
    },
    180_000,
  );
});
