/** What Acumatica must hold after a clean sync of the fake Chargebee site, checked amount by amount. */
import { expect } from 'vitest';
import { sameDecimal } from '../../../domain/money/decimal.js';
import { formatMinor } from '../../../domain/money/money.js';
import type { Sandbox } from './e2e-harness.js';

export type Rec = any;

export function same(amount: number, currency: string, acumatica: unknown): boolean {
  return sameDecimal(formatMinor(amount, currency), String(acumatica));
}

export function live(s: Sandbox, resource: string): Rec[] {
  return (s.cb.state.all(resource as never) as Rec[]).filter((r) => !r.deleted);
}

/** The documents Acumatica must hold after a clean sync, checked amount by amount. */
export function checkExactSync(s: Sandbox): { invoices: number; creditMemos: number; payments: number; refunds: number; jpy: number } {
  const acuCustomers = s.acu.state.records('Customer');
  const cbCustomers = s.cb.state.all('customers' as never) as Rec[];
  expect(acuCustomers).toHaveLength(cbCustomers.length);
  for (const c of cbCustomers) {
    const acu = s.acu.state.record('Customer', c.id)!;
    expect(acu, `customer ${c.id}`).toBeDefined();
    expect(acu['CustomerID']).toBe(String(c.id).toUpperCase());
    const person = [c.first_name, c.last_name].filter(Boolean).join(' ').trim();
    expect(acu['CustomerName']).toBe(
      Array.from(String(c.company || person || c.id))
        .slice(0, 99)
        .join(''),
    );
  }

  const invoices = s.acu.state.records('Invoice');
  const byOrder = (type: string, id: string) => invoices.filter((d) => d['Type'] === type && d['CustomerOrder'] === id);
  const cbInvoices = live(s, 'invoices').filter((i) => i.status !== 'voided');
  let jpy = 0;
  for (const inv of cbInvoices) {
    const found = byOrder('Invoice', inv.id);
    expect(found, `invoice ${inv.id}`).toHaveLength(1);
    const doc = found[0]!;
    expect(same(inv.total, inv.currency_code, doc['Amount']), `invoice ${inv.id} total ${inv.total} ${inv.currency_code} vs ${doc['Amount']}`).toBe(true);
    expect(same(inv.tax ?? 0, inv.currency_code, doc['TaxTotal']), `invoice ${inv.id} tax`).toBe(true);
    expect(doc['Customer']).toBe(String(inv.customer_id).toUpperCase());
    expect(['Open', 'Closed']).toContain(doc['Status']);
    if (inv.currency_code === 'JPY') jpy++;
  }
  const creditNotes = live(s, 'credit_notes').filter((c) => c.status !== 'voided');
  for (const cn of creditNotes) {
    const found = byOrder('Credit Memo', cn.id);
    expect(found, `credit note ${cn.id}`).toHaveLength(1);
    expect(same(cn.total, cn.currency_code, found[0]!['Amount']), `credit note ${cn.id}`).toBe(true);
    for (const allocation of cn.allocations ?? []) {
      const applied = (found[0]!['ApplicationsCreditMemo'] as Rec[] | undefined) ?? [];
      const target = byOrder('Invoice', allocation.invoice_id)[0]!;
      const row = applied.find((a) => a['ReferenceNbr'] === target['ReferenceNbr']);
      expect(row, `credit note ${cn.id} applied to ${allocation.invoice_id}`).toBeDefined();
      expect(same(allocation.allocated_amount, cn.currency_code, row!['AmountPaid'])).toBe(true);
    }
  }

  const payments = s.acu.state.records('Payment');
  const transactions = live(s, 'transactions').filter((t) => t.status === 'success');
  for (const txn of transactions) {
    const found = payments.filter((p) => p['PaymentRef'] === txn.id);
    expect(found, `transaction ${txn.id}`).toHaveLength(1);
    const doc = found[0]!;
    expect(doc['Type']).toBe(txn.type === 'payment' ? 'Payment' : 'Customer Refund');
    expect(same(txn.amount, txn.currency_code, doc['PaymentAmount']), `transaction ${txn.id}`).toBe(true);
    expect(doc['CustomerID']).toBe(String(txn.customer_id).toUpperCase());
    // Released: every application is in the history, none waits in DocumentsToApply (the unreleased batch).
    expect((doc['DocumentsToApply'] as Rec[] | undefined) ?? [], `transaction ${txn.id}: applications not released`).toEqual([]);
    const applied = ((doc['ApplicationHistory'] as Rec[] | undefined) ?? []).map((h) => ({
      DocType: h['AdjustedDocType'],
      ReferenceNbr: h['AdjustedRefNbr'],
      AmountPaid: h['AmountPaid'],
    }));
    if (txn.type === 'payment') {
      expect(applied).toHaveLength((txn.linked_invoices ?? []).length);
      for (const link of txn.linked_invoices ?? []) {
        const invoice = byOrder('Invoice', link.invoice_id)[0]!;
        const row = applied.find((a) => a['ReferenceNbr'] === invoice['ReferenceNbr']);
        expect(row, `payment ${txn.id} applied to ${link.invoice_id}`).toMatchObject({ DocType: 'Invoice' });
        expect(same(link.applied_amount, txn.currency_code, row!['AmountPaid'])).toBe(true);
      }
    } else {
      for (const link of txn.linked_credit_notes ?? []) {
        const memo = byOrder('Credit Memo', link.cn_id)[0]!;
        expect(applied.find((a) => a['ReferenceNbr'] === memo['ReferenceNbr'])).toMatchObject({ DocType: 'Credit Memo' });
      }
    }
    expect(['Open', 'Closed']).toContain(doc['Status']);
  }
  // What Chargebee still expects to be paid is what Acumatica has open on each invoice.
  for (const inv of cbInvoices) {
    const doc = byOrder('Invoice', inv.id)[0]!;
    expect(same(inv.amount_due ?? 0, inv.currency_code, doc['Balance']), `invoice ${inv.id} balance ${doc['Balance']} vs due ${inv.amount_due}`).toBe(true);
  }
  // Every amount was sent exact: the tenant never had to round one.
  expect(s.acu.state.roundings).toEqual([]);
  return {
    invoices: cbInvoices.length,
    creditMemos: creditNotes.length,
    payments: transactions.filter((t) => t.type === 'payment').length,
    refunds: transactions.filter((t) => t.type === 'refund').length,
    jpy,
  };
}
