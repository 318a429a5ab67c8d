/**
 * `removed_parts: void` on the example's credit_note_allocations: an allocation Chargebee removes
 * (`remove_credit_note`, an invoice voided) or moves to another invoice voids the Payment that
 * applied it, so the invoice is open again in QuickBooks as in Chargebee, and the credit memo's
 * credit is free for where it went.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { planPipeline } from '../../../engine/run/change-plan.js';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const NOTE = 'CN-10001';

function applications(sb: Sandbox) {
  return sb.qbo.state
    .entities('Payment')
    .filter((p) => String(p['PaymentRefNum']).startsWith(`${NOTE}>`))
    .map((p) => ({
      ref: String(p['PaymentRefNum']),
      status: p['TxnStatus'] ?? 'Open',
      amounts: (p['Line'] as Array<{ Amount: number }>).map((l) => l.Amount),
    }));
}
const invoice = (sb: Sandbox, number: string) => sb.qbo.state.entities('Invoice').find((e) => e['DocNumber'] === number)!;
const memo = (sb: Sandbox) => sb.qbo.state.entities('CreditMemo').find((m) => m['DocNumber'] === NOTE)!;

describe('QBO credit_note_allocations: an allocation Chargebee no longer lists', () => {
  it('voids its Payment, reopening the invoice and freeing the credit, once', async () => {
    s = await startSandbox({ customers: 40 });
    await s.run();
    const [allocation] = s.cb.state.all('credit_notes').find((n) => n.id === NOTE)!.allocations!;
    const invoiceNumber = allocation!.invoice_id;
    const openBefore = Number(invoice(s, invoiceNumber)['Balance']);
    expect(applications(s)).toEqual([{ ref: `${NOTE}>${invoiceNumber}`, status: 'Open', amounts: expect.any(Array) }]);
    const applied = applications(s)[0]!.amounts[0]!;

    s.cb.state.touch('credit_notes', NOTE, { allocations: [] } as never);
    const plan = await planPipeline({
      connectors: installedConnectors,
      pipelinePath: s.pipelinePath,
      statePath: s.statePath,
      env: s.env,
      log: silentLogger,
      streams: ['credit_note_allocations'],
    });
    expect(plan.changes.filter((c) => c.stream === 'credit_note_allocations')).toEqual([
      expect.objectContaining({ sourceId: `${NOTE}#${invoiceNumber}`, action: 'void' }),
    ]);

    const summary = await s.run();
    expect(summary.exitCode).toBe(0);
    expect(applications(s)).toEqual([{ ref: `${NOTE}>${invoiceNumber}`, status: 'Voided', amounts: [0, 0] }]);
    expect(Number(invoice(s, invoiceNumber)['Balance'])).toBeCloseTo(openBefore + applied, 2);
    expect(Number(memo(s)['RemainingCredit'])).toBeCloseTo(Number(memo(s)['TotalAmt']), 2);

    const writes = s.qbo.state.writes.length;
    const idle = await s.run();
    expect(idle.exitCode).toBe(0);
    expect(s.qbo.state.writes.length).toBe(writes);
  }, 60_000);

  it('moved to another invoice: the old Payment is voided before the new one spends the credit', async () => {
    s = await startSandbox({ customers: 40 });
    const note = s.cb.state.all('credit_notes').find((n) => n.id === NOTE)!;
    const [allocation] = note.allocations!;
    // A second open invoice of the same customer, a copy of the one the note credits.
    const credited = s.cb.state.get('invoices', allocation!.invoice_id)!;
    const other = s.cb.state.create('invoices', {
      ...credited,
      id: '29001',
      status: 'payment_due',
      amount_paid: 0,
      credits_applied: 0,
      amount_due: credited.total,
      linked_payments: [],
      applied_credits: [],
      adjustment_credit_notes: [],
      issued_credit_notes: [],
    } as never);
    await s.run();
    expect(invoice(s, '29001')['Balance']).toBe(invoice(s, '29001')['TotalAmt']);
    s.cb.state.touch('credit_notes', NOTE, { allocations: [{ ...allocation, invoice_id: other!.id }] } as never);

    const summary = await s.run();
    expect(summary.exitCode).toBe(0);
    expect(
      applications(s)
        .map(({ ref, status }) => `${ref} ${String(status)}`)
        .sort(),
    ).toEqual([`${NOTE}>${allocation!.invoice_id} Voided`, `${NOTE}>${other!.id} Open`].sort());
    expect(Number(memo(s)['RemainingCredit'])).toBe(Number(memo(s)['TotalAmt']) - allocation!.allocated_amount / 100);
  }, 60_000);
});
