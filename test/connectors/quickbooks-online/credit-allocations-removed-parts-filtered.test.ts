/**
 * removed_parts and records the stream does not map: one dated before a start_date set after it
 * failed is resolved without voiding what was posted (being before start_date decides nothing about
 * its parts), and a credit note deleted in Chargebee under allow_transaction_delete: false is
 * skipped whole, leaving its applications in QuickBooks as its CreditMemo is left.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const NOTE = 'CN-10001';

function allocationPayment(sb: Sandbox, invoiceId: string) {
  return sb.qbo.state.entities('Payment').find((p) => p['PaymentRefNum'] === `${NOTE}>${invoiceId}`)!;
}

describe('removed_parts and records that are "filtered" for another reason than their allocations', () => {
  it('a dead letter dated before a start_date set after it failed is resolved without voiding what was posted', async () => {
    s = await startSandbox({ customers: 40 });
    expect((await s.run()).exitCode).toBe(0);
    const note = s.cb.state.all('credit_notes').find((n) => n.id === NOTE)!;
    const [allocation] = note.allocations!;
    expect(allocationPayment(s, allocation!.invoice_id)['TxnStatus']).toBeUndefined();

    // A second allocation to an invoice QuickBooks does not know: the new version dead-letters ($ref).
    s.cb.state.touch('credit_notes', NOTE, { allocations: [allocation, { ...allocation, invoice_id: '99999' }] } as never);
    const failing = await s.run();
    expect(failing.streams['credit_note_allocations']?.failed).toBe(1);
    expect(allocationPayment(s, allocation!.invoice_id)['TxnStatus']).toBeUndefined();

    // Go-live moved past the credit note's date (2023): its dead letter is to be resolved, never posted.
    const noteDate = new Date(note.date! * 1000).toISOString().slice(0, 10);
    expect(noteDate < '2025-01-01').toBe(true);
    s.edit([['# start_date: 2024-01-01', 'start_date: 2025-01-01']]);
    const summary = await s.run();
    expect(summary.exitCode).toBe(0);

    // Resolved as before start_date, which decides nothing about the parts: CN-10001>20008 stays.
    expect(allocationPayment(s, allocation!.invoice_id)['TxnStatus']).toBeUndefined();
  }, 90_000);

  it('a credit note deleted in Chargebee, with allow_transaction_delete: false, leaves its applications in QuickBooks', async () => {
    s = await startSandbox({ customers: 40 });
    expect((await s.run()).exitCode).toBe(0);
    const [allocation] = s.cb.state.all('credit_notes').find((n) => n.id === NOTE)!.allocations!;
    const invoiceBalance = () => s!.qbo.state.entities('Invoice').find((e) => e['DocNumber'] === allocation!.invoice_id)!['Balance'];
    const before = invoiceBalance();

    s.cb.state.delete('credit_notes', NOTE);
    expect((await s.run()).exitCode).toBe(0);

    // The CreditMemo is kept (credit_notes maps a deletion to skip under this option) ...
    expect(s.qbo.state.entities('CreditMemo').some((m) => m['DocNumber'] === NOTE)).toBe(true);
    // ... and so must its application be: nothing a Chargebee deletion does reaches QuickBooks.
    expect(allocationPayment(s, allocation!.invoice_id)['TxnStatus']).toBeUndefined();
    expect(invoiceBalance()).toBe(before);
  }, 60_000);
});
