/**
 * Acumatica's Invoice entity has no currency field: an invoice or credit memo takes its customer's
 * currency. A EUR invoice of a USD customer was posted as USD with the EUR figures (USD 380.85);
 * it must be refused before anything is sent, naming the invoice, both currencies and the fix.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox;
afterEach(async () => {
  await s.close();
});

function letters(stream: string) {
  const store = StateStore.open(s.statePath);
  try {
    return store.deadLetters('chargebee-to-acumatica', stream);
  } finally {
    store.close();
  }
}

describe('Acumatica: a document in another currency than its customer', () => {
  it('a EUR invoice and credit note of a USD customer are dead letters naming both currencies; nothing is posted; the others are', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    const usd = s.cb.state.all('customers').find((c) => c.preferred_currency_code === 'USD')!;
    const eurInvoice = s.cb.state.all('invoices').find((i) => i.currency_code === 'EUR' && !i.deleted && (i.status === 'payment_due' || i.status === 'paid'))!;
    const { id: _invoiceId, ...invoice } = structuredClone(eurInvoice);
    s.cb.state.insertSeeded('invoices', {
      ...invoice,
      id: 'inv_eur_of_usd',
      customer_id: usd.id,
      status: 'payment_due',
      linked_payments: [],
      adjustment_credit_notes: [],
      issued_credit_notes: [],
      amount_paid: 0,
      amount_due: invoice.total,
      updated_at: s.cb.state.now(),
      resource_version: undefined,
    });
    const eurNote = s.cb.state.all('credit_notes').find((c) => c.currency_code === 'EUR')!;
    const { id: _noteId, ...note } = structuredClone(eurNote);
    s.cb.state.insertSeeded('credit_notes', {
      ...note,
      id: 'CN-eur-of-usd',
      customer_id: usd.id,
      reference_invoice_id: undefined,
      allocations: [],
      linked_refunds: [],
      amount_allocated: 0,
      amount_refunded: 0,
      amount_available: note.total,
      updated_at: s.cb.state.now(),
      resource_version: undefined,
    });

    const run = await s.run();
    const customerId = String(s.acu.state.record('Customer', usd.id)!['CustomerID']);
    expect(s.acu.state.record('Customer', usd.id)!['CurrencyID']).toBe('USD');
    expect(s.acu.state.records('Invoice').filter((d) => d['CustomerOrder'] === 'inv_eur_of_usd' || d['CustomerOrder'] === 'CN-eur-of-usd')).toEqual([]);
    const refused = [...letters('invoices'), ...letters('credit_notes')];
    expect(refused.map((l) => [l.sourceId, l.errorCode])).toEqual([
      ['inv_eur_of_usd', 'acumatica_currency_mismatch'],
      ['CN-eur-of-usd', 'acumatica_currency_mismatch'],
    ]);
    expect(refused[0]!.message).toContain("the Invoice with CustomerOrder 'inv_eur_of_usd' (source record inv_eur_of_usd) is in EUR");
    expect(refused[0]!.message).toContain(`its customer ${customerId} is a USD customer in Acumatica`);
    expect(refused[1]!.message).toContain("the Credit Memo with CustomerOrder 'CN-eur-of-usd'");
    expect(refused[0]!.fix).toMatch(/one currency per customer/);
    expect(run.exitCode).toBe(1);
    // Every other document went through; each customer's currency was read once in the run.
    expect(run.streams['invoices']!.failed).toBe(1);
    expect(run.streams['invoices']!.created).toBeGreaterThan(5);
    const currencyReads = s.acu.state.requests.filter(
      (r) => r.method === 'GET' && r.entity === 'Customer' && (r.query['$select'] ?? '').includes('CurrencyID'),
    );
    const customersRead = currencyReads.flatMap((r) => [...(r.query['$filter'] ?? '').matchAll(/CustomerID eq '([^']+)'/g)].map((m) => m[1]));
    expect(customersRead.length).toBeGreaterThan(1);
    expect(new Set(customersRead).size).toBe(customersRead.length);
  }, 120_000);
});
