/**
 * A released application the source removes altogether (a payment unapplied from an invoice, the
 * allocation of a credit note to an invoice voided in Chargebee) is a lowering to 0, and a released
 * application cannot be lowered: a dead letter, `acumatica_application_released`, naming the
 * Acumatica document and both amounts. Before this, the released amount stayed in Acumatica, the
 * record counted skipped, and the run exited 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import { releasedApplications, startSandbox, unpaidInvoicePair, type Sandbox } from './e2e-harness.js';

let s: Sandbox;
afterEach(async () => {
  await s.close();
});

function letters(stream: string, sourceId: string) {
  const store = StateStore.open(s.statePath);
  try {
    return store.deadLetters('chargebee-to-acumatica', stream).filter((l) => l.sourceId === sourceId);
  } finally {
    store.close();
  }
}

const invoiceRef = (order: string) =>
  String(s.acu.state.records('Invoice').find((d) => d['Type'] === 'Invoice' && d['CustomerOrder'] === order)!['ReferenceNbr']);

describe('Acumatica: a released application the source removes', () => {
  it('a payment unapplied from one of its two invoices: a dead letter naming that invoice, wanted 0; nothing is sent', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    const { first, second } = unpaidInvoicePair(s);
    const template = s.cb.state.all('transactions').find((t) => t.type === 'payment' && t.status === 'success' && t.currency_code === 'USD')!;
    const { subscription_id: _subscription, ...fields } = structuredClone(template);
    const link = (invoice: typeof first, applied: number) => ({
      invoice_id: invoice.id,
      applied_amount: applied,
      applied_at: s.cb.state.now(),
      invoice_date: invoice.date,
      invoice_total: invoice.total,
      invoice_status: invoice.status,
    });
    const id = 'txn_unapplied';
    s.cb.state.insertSeeded('transactions', {
      ...fields,
      id,
      customer_id: first.customer_id,
      amount: 2000,
      linked_invoices: [link(first, 1000), link(second, 1000)],
      amount_unused: 0,
      updated_at: s.cb.state.now(),
      resource_version: undefined,
    });
    expect((await s.run()).exitCode).toBe(0);
    const payment = () => s.acu.state.records('Payment').find((p) => p['PaymentRef'] === id)!;
    expect(releasedApplications(payment())).toHaveLength(2);
    const writes = s.acu.state.writes.length;

    s.cb.state.touch('transactions', id, { linked_invoices: [link(first, 1000)], amount_unused: 1000 } as never);
    const run = await s.run();
    const found = letters('payments', id);
    expect(found.map((l) => [l.errorCode, l.details])).toEqual([
      ['acumatica_application_released', { document: `Invoice ${invoiceRef(second.id)}`, released: '10', wanted: '0' }],
    ]);
    expect(found[0]!.message).toContain(`10 is already released to Invoice ${invoiceRef(second.id)}, the source no longer applies anything to it (wanted 0)`);
    expect(run.exitCode).toBe(1);
    expect(s.acu.state.writes.length, 'nothing sent').toBe(writes);
    expect(releasedApplications(payment())).toHaveLength(2);
  }, 120_000);

  it('a credit note whose allocation to a voided invoice is removed: a dead letter naming that invoice; the voided invoice one naming it to reverse', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    const { first, second } = unpaidInvoicePair(s);
    const template = s.cb.state.all('credit_notes').find((c) => (c.currency_code === 'USD' || c.currency_code === 'EUR') && (c.total ?? 0) >= 500)!;
    const inUsd = JSON.parse(JSON.stringify(template).replaceAll('-EUR-', '-USD-')) as typeof template;
    const id = 'CN-allocation-removed';
    const allocation = (invoice: typeof first, amount: number) => ({ invoice_id: invoice.id, allocated_amount: amount, allocated_at: s.cb.state.now() });
    s.cb.state.insertSeeded('credit_notes', {
      ...inUsd,
      id,
      currency_code: 'USD',
      customer_id: first.customer_id,
      reference_invoice_id: first.id,
      type: 'refundable',
      status: 'refund_due',
      allocations: [allocation(first, 100), allocation(second, 200)],
      amount_allocated: 300,
      amount_refunded: 0,
      amount_available: template.total! - 300,
      linked_refunds: [],
      updated_at: s.cb.state.now(),
      resource_version: undefined,
    });
    expect((await s.run()).exitCode).toBe(0);
    const secondRef = invoiceRef(second.id);

    s.cb.state.touch('invoices', second.id, { status: 'voided', voided_at: s.cb.state.now() } as never);
    s.cb.state.touch('credit_notes', id, { allocations: [allocation(first, 100)], amount_allocated: 100, amount_available: template.total! - 100 } as never);
    const run = await s.run();
    const memoLetters = letters('credit_notes', id);
    expect(memoLetters.map((l) => [l.errorCode, l.details])).toEqual([
      ['acumatica_application_released', { document: `Invoice ${secondRef}`, released: '2', wanted: '0' }],
    ]);
    expect(letters('invoices', second.id).map((l) => l.errorCode)).toEqual(['acumatica_cannot_void']);
    expect(run.exitCode).toBe(1);
  }, 120_000);
});
