/**
 * A credit note applied to the same invoice twice (Chargebee lists one allocation per application):
 * one Payment for the invoice, of their sum, so the part id (the invoice) names one document and a
 * later version of the note never rewrites one application with the other's amount.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { money } from '../../../domain/money/money.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

function snapshot(sb: Sandbox) {
  const memo = sb.qbo.state.entities('CreditMemo').find((m) => m['DocNumber'] === 'CN-10001')!;
  return {
    balance: sb.qbo.state.entities('Invoice').find((e) => e['DocNumber'] === '20008')!['Balance'],
    remaining: memo['RemainingCredit'],
    payments: sb.qbo.state
      .entities('Payment')
      .filter((p) => String(p['PaymentRefNum']).startsWith('CN-10001>'))
      .map((p) => `${String(p['PaymentRefNum'])}: ${JSON.stringify((p['Line'] as Array<{ Amount: number }>).map((l) => l.Amount))}`),
  };
}

describe('QBO credit_note_allocations: two allocations of one credit note to one invoice', () => {
  it('stay applied in full, in Payments the ledger can tell apart, after the note changes again', async () => {
    s = await startSandbox({ customers: 40 });
    const note = s.cb.state.all('credit_notes').find((n) => n.id === 'CN-10001')!;
    const [a] = note.allocations!;
    s.cb.state.touch('credit_notes', 'CN-10001', {
      allocations: [
        { ...a, allocated_amount: 10000 },
        { ...a, allocated_amount: 11776, allocated_at: a!.allocated_at! + 3600 },
      ],
    } as never);
    await s.run();
    const first = snapshot(s);
    // A later version of the same note (e.g. a comment, a refund of nothing): nothing about its allocations changed.
    s.cb.state.touch('credit_notes', 'CN-10001', { create_reason_code: 'subscription change (edited)' } as never);
    await s.run();
    const due = Number(money(s.cb.state.all('invoices').find((i) => i.id === '20008')!.amount_due ?? 0, 'EUR'));
    expect({ first, second: snapshot(s) }).toEqual({
      first: { balance: due, remaining: 0, payments: expect.any(Array) },
      second: { balance: due, remaining: 0, payments: first.payments },
    });
    // One PaymentRefNum per Payment: a look-up by it (after a lost answer) must find one document.
    expect(new Set(first.payments.map((p) => p.split(':')[0])).size).toBe(first.payments.length);
  }, 60_000);
});
