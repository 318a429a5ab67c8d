/**
 * Chargebee gives a credit note no `exchange_rate` (chargebee-node's CreditNote declares none), and
 * the fake answers so: every foreign CreditMemo, and the Payment applying it to an invoice, carries
 * the rate of the invoice it credits, which the Chargebee source gives it. Seeded payments are at the
 * rate of their own date, not their invoice's, and post all the same.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

describe('QuickBooks: foreign credit memos carry the rate of the invoice they credit', () => {
  it('every foreign CreditMemo and its allocation Payments have their invoice’s ExchangeRate; payments at other rates post', async () => {
    s = await startSandbox({ customers: 40 });
    const notes = s.cb.state.all('credit_notes').filter((n) => !n.deleted && n.currency_code !== 'USD');
    expect(notes.filter((n) => 'exchange_rate' in n).map((n) => n.id)).toEqual([]);
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(run.error ?? run.streams)).toBe(0);

    const invoices = new Map(s.cb.state.all('invoices').map((i) => [i.id, i]));
    const problems: string[] = [];
    let memos = 0;
    let applications = 0;
    for (const note of notes) {
      const rate = invoices.get(String(note.reference_invoice_id))?.exchange_rate;
      const memo = s.qbo.state.entities('CreditMemo').find((m) => m['DocNumber'] === note.id);
      if (memo) {
        memos++;
        if (memo['ExchangeRate'] !== rate)
          problems.push(`CreditMemo ${note.id} ${note.currency_code}: ExchangeRate ${String(memo['ExchangeRate'])}, invoice's ${rate}`);
      }
      for (const allocation of note.allocations ?? []) {
        const applied = s.qbo.state.entities('Payment').find((p) => p['PaymentRefNum'] === `${note.id}>${allocation.invoice_id}`);
        if (!applied) continue;
        applications++;
        if (applied['ExchangeRate'] !== rate)
          problems.push(`Payment ${note.id}>${allocation.invoice_id}: ExchangeRate ${String(applied['ExchangeRate'])}, invoice's ${rate}`);
      }
    }
    expect(problems).toEqual([]);
    expect(memos, 'foreign credit memos posted').toBeGreaterThan(0);
    expect(applications, 'foreign credit memos applied').toBeGreaterThan(0);

    // A seeded payment is at the rate of its own date: QuickBooks takes it as sent.
    const payments = s.cb.state
      .all('transactions')
      .filter((t) => !t.deleted && t.type === 'payment' && t.status === 'success' && t.currency_code !== 'USD' && (t.linked_invoices ?? []).length > 0);
    const atOtherRate = payments.filter((t) => t.exchange_rate !== invoices.get(t.linked_invoices![0]!.invoice_id)?.exchange_rate);
    expect(atOtherRate.length, 'foreign payments at another rate than their invoice').toBeGreaterThan(0);
    const posted = atOtherRate.flatMap((t) =>
      s!.qbo.state
        .entities('Payment')
        .filter((p) => p['PaymentRefNum'] === t.id)
        .map((p) => [t, p] as const),
    );
    expect(posted.length, 'posted to QuickBooks').toBeGreaterThan(0);
    for (const [t, p] of posted) expect(p['ExchangeRate'], t.id).toBe(t.exchange_rate);
  }, 180_000);
});
