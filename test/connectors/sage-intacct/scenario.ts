/** Chargebee documents crafted in the fake for the Intacct scenarios, shaped as Chargebee returns them. */
import type { FakeChargebee } from '../../fakes/chargebee/index.js';

export const MARCH_1 = 1_709_251_200; // 2024-03-01T00:00:00Z
const DAY = 86_400;

interface LineSpec {
  id: string;
  amount: number;
  tax?: { name: string; amount: number };
  discount?: number;
  entityId: string;
  description: string;
}

export function customer(cb: FakeChargebee, id: string, extra: Record<string, unknown> = {}): void {
  cb.state.create('customers', {
    id,
    first_name: 'Erin',
    last_name: 'Case',
    company: `Company ${id}`,
    email: `${id}@example.test`,
    preferred_currency_code: 'USD',
    ...extra,
  });
}

export function invoice(
  cb: FakeChargebee,
  id: string,
  customerId: string,
  lines: LineSpec[],
  extra: { currency?: string; exchangeRate?: number; roundOff?: number; date?: number; paid?: number } = {},
): number {
  const date = extra.date ?? MARCH_1;
  const lineItems = lines.map((l) => ({
    id: l.id,
    object: 'line_item',
    date_from: date,
    date_to: date + 30 * DAY,
    unit_amount: l.amount,
    quantity: 1,
    amount: l.amount,
    pricing_model: 'flat_fee',
    is_taxed: Boolean(l.tax),
    tax_amount: l.tax?.amount ?? 0,
    discount_amount: l.discount ?? 0,
    item_level_discount_amount: l.discount ?? 0,
    description: l.description,
    entity_description: l.description,
    entity_type: 'plan_item_price',
    entity_id: l.entityId,
    customer_id: customerId,
  }));
  const subTotal = lines.reduce((s, l) => s + l.amount, 0);
  const discounts = lines.reduce((s, l) => s + (l.discount ?? 0), 0);
  const tax = lines.reduce((s, l) => s + (l.tax?.amount ?? 0), 0);
  const total = subTotal - discounts + tax + (extra.roundOff ?? 0);
  const paid = extra.paid ?? 0;
  cb.state.create('invoices', {
    id,
    customer_id: customerId,
    recurring: false,
    status: paid >= total ? 'paid' : 'payment_due',
    price_type: 'tax_exclusive',
    date,
    due_date: date + 30 * DAY,
    currency_code: extra.currency ?? 'USD',
    exchange_rate: extra.exchangeRate ?? 1,
    sub_total: subTotal,
    tax,
    round_off_amount: extra.roundOff ?? 0,
    total,
    amount_paid: paid,
    amount_adjusted: 0,
    credits_applied: 0,
    amount_due: total - paid,
    line_items: lineItems,
    line_item_taxes: lines
      .filter((l) => l.tax)
      .map((l) => ({
        line_item_id: l.id,
        tax_name: l.tax!.name,
        tax_rate: 8.25,
        tax_amount: l.tax!.amount,
        taxable_amount: l.amount - (l.discount ?? 0),
        tax_juris_type: 'state',
      })),
    discounts: lines
      .filter((l) => l.discount)
      .map((l) => ({
        amount: l.discount,
        description: '10OFF',
        line_item_id: l.id,
        entity_type: 'item_level_coupon',
        discount_type: 'percentage',
        entity_id: '10OFF',
      })),
    linked_payments: [],
    deleted: false,
  } as never);
  return total;
}

export function creditNote(
  cb: FakeChargebee,
  id: string,
  customerId: string,
  total: number,
  extra: {
    type?: 'adjustment' | 'refundable';
    referenceInvoiceId?: string;
    allocations?: { invoiceId: string; amount: number }[];
    refunds?: { txnId: string; amount: number }[];
    currency?: string;
  } = {},
): void {
  // As Chargebee answers: a credit note has no exchange_rate (chargebee-node's CreditNote declares none).
  cb.state.create('credit_notes', {
    id,
    customer_id: customerId,
    reference_invoice_id: extra.referenceInvoiceId,
    type: extra.type ?? 'adjustment',
    reason_code: 'other',
    status: extra.allocations?.length ? 'adjusted' : 'refunded',
    date: MARCH_1 + 2 * DAY,
    price_type: 'tax_exclusive',
    currency_code: extra.currency ?? 'USD',
    total,
    sub_total: total,
    round_off_amount: 0,
    amount_allocated: (extra.allocations ?? []).reduce((s, a) => s + a.amount, 0),
    amount_refunded: (extra.refunds ?? []).reduce((s, r) => s + r.amount, 0),
    line_items: [
      {
        id: `${id}-l1`,
        object: 'line_item',
        date_from: MARCH_1,
        date_to: MARCH_1 + 30 * DAY,
        unit_amount: total,
        quantity: 1,
        amount: total,
        pricing_model: 'flat_fee',
        is_taxed: false,
        tax_amount: 0,
        discount_amount: 0,
        description: 'Service credit',
        entity_type: 'plan_item_price',
        entity_id: 'pro-USD-monthly',
      },
    ],
    line_item_taxes: [],
    allocations: (extra.allocations ?? []).map((a) => ({
      invoice_id: a.invoiceId,
      allocated_amount: a.amount,
      allocated_at: MARCH_1 + 3 * DAY,
      invoice_date: MARCH_1,
      invoice_status: 'payment_due',
    })),
    linked_refunds: (extra.refunds ?? []).map((r) => ({
      txn_id: r.txnId,
      applied_amount: r.amount,
      applied_at: MARCH_1 + 4 * DAY,
      txn_status: 'success',
      txn_date: MARCH_1 + 4 * DAY,
      txn_amount: r.amount,
    })),
    deleted: false,
  } as never);
}

export function payment(
  cb: FakeChargebee,
  id: string,
  customerId: string,
  amount: number,
  invoices: { invoiceId: string; amount: number }[],
  extra: { currency?: string; exchangeRate?: number; method?: string } = {},
): void {
  cb.state.create('transactions', {
    id,
    customer_id: customerId,
    type: 'payment',
    status: 'success',
    payment_method: extra.method ?? 'card',
    gateway: 'stripe',
    date: MARCH_1 + DAY,
    currency_code: extra.currency ?? 'USD',
    exchange_rate: extra.exchangeRate ?? 1,
    amount,
    amount_unused: 0,
    linked_invoices: invoices.map((i) => ({
      invoice_id: i.invoiceId,
      applied_amount: i.amount,
      applied_at: MARCH_1 + DAY,
      invoice_date: MARCH_1,
      invoice_status: 'paid',
    })),
    linked_credit_notes: [],
    linked_refunds: [],
    deleted: false,
  } as never);
}

export function refund(cb: FakeChargebee, id: string, customerId: string, amount: number, creditNoteId: string): void {
  cb.state.create('transactions', {
    id,
    customer_id: customerId,
    type: 'refund',
    status: 'success',
    payment_method: 'card',
    gateway: 'stripe',
    date: MARCH_1 + 4 * DAY,
    currency_code: 'USD',
    exchange_rate: 1,
    amount,
    linked_invoices: [],
    linked_credit_notes: [
      {
        cn_id: creditNoteId,
        applied_amount: amount,
        applied_at: MARCH_1 + 4 * DAY,
        cn_reason_code: 'other',
        cn_date: MARCH_1 + 2 * DAY,
        cn_total: amount,
        cn_status: 'refunded',
      },
    ],
    linked_refunds: [],
    deleted: false,
  } as never);
}
