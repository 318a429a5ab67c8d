import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { startFakeChargebee, type FakeChargebee } from './index.js';
import { cbRequest } from './test-client.js';

const NOW = 1_750_000_000;

describe('fake Chargebee record_payment', () => {
  let fake: FakeChargebee;
  beforeEach(async () => {
    fake = await startFakeChargebee({ customers: 40, now: () => NOW });
  });
  afterEach(() => fake.close());

  function openInvoice() {
    const invoice = fake.state.all('invoices').find((i) => !i.deleted && (i.status === 'payment_due' || i.status === 'not_paid') && (i.amount_due ?? 0) > 10);
    if (!invoice) throw new Error('seed has no open invoice');
    return invoice;
  }

  function pay(invoiceId: string, form: Record<string, string | number>, headers: Record<string, string> = {}) {
    return cbRequest(fake, 'POST', `/invoices/${invoiceId}/record_payment`, { form, headers });
  }

  test('a partial then a full payment create linked transactions and move amount_paid, amount_due and status', async () => {
    const invoice = openInvoice();
    const due = invoice.amount_due ?? 0;
    const part = Math.floor(due / 3);
    const first = await pay(invoice.id, {
      'transaction[amount]': part,
      'transaction[payment_method]': 'bank_transfer',
      'transaction[reference_number]': 'WIRE-1',
      'transaction[date]': NOW - 60,
      comment: 'first',
    });
    expect(first.status).toBe(200);
    expect(first.json.invoice).toMatchObject({
      id: invoice.id,
      amount_due: due - part,
      amount_paid: (invoice.amount_paid ?? 0) + part,
      status: 'payment_due',
      updated_at: NOW,
    });
    expect(first.json.transaction).toMatchObject({
      object: 'transaction',
      type: 'payment',
      status: 'success',
      gateway: 'not_applicable',
      payment_method: 'bank_transfer',
      reference_number: 'WIRE-1',
      amount: part,
      date: NOW - 60,
      currency_code: invoice.currency_code,
      customer_id: invoice.customer_id,
      linked_invoices: [{ invoice_id: invoice.id, applied_amount: part, invoice_status: 'payment_due' }],
    });
    expect(first.json.invoice.linked_payments.at(-1)).toMatchObject({ txn_id: first.json.transaction.id, applied_amount: part });
    expect(first.json.invoice.resource_version).toBeGreaterThan(invoice.resource_version ?? 0);

    const rest = await pay(invoice.id, { 'transaction[payment_method]': 'check' });
    expect(rest.status).toBe(200);
    expect(rest.json.transaction.amount).toBe(due - part);
    expect(rest.json.invoice).toMatchObject({ status: 'paid', amount_due: 0, paid_at: NOW });
    expect(fake.state.get('transactions', rest.json.transaction.id)?.linked_invoices?.[0]?.invoice_status).toBe('paid');
    const events = fake.state
      .all('events')
      .filter((e) => e.occurred_at === NOW)
      .map((e) => e.event_type);
    expect(events.filter((t) => t === 'payment_succeeded')).toHaveLength(2);
  });

  test('more than the amount due, a bad method, or a future date answer 400 with the parameter', async () => {
    const invoice = openInvoice();
    const cases: [Record<string, string | number>, string][] = [
      [{ 'transaction[amount]': (invoice.amount_due ?? 0) + 1, 'transaction[payment_method]': 'cash' }, 'transaction[amount]'],
      [{ 'transaction[amount]': 0, 'transaction[payment_method]': 'cash' }, 'transaction[amount]'],
      [{ 'transaction[amount]': '12.50', 'transaction[payment_method]': 'cash' }, 'transaction[amount]'],
      [{ 'transaction[payment_method]': 'bitcoin' }, 'transaction[payment_method]'],
      [{}, 'transaction[payment_method]'],
      [{ 'transaction[payment_method]': 'cash', 'transaction[date]': NOW + 3600 }, 'transaction[date]'],
      [{ 'transaction[payment_method]': 'cash', 'transaction[status]': 'maybe' }, 'transaction[status]'],
    ];
    for (const [form, param] of cases) {
      const response = await pay(invoice.id, form);
      expect(response.status, JSON.stringify(form)).toBe(400);
      expect(response.json).toMatchObject({ type: 'invalid_request', api_error_code: 'param_wrong_value', param, http_status_code: 400 });
    }
    expect(fake.state.get('invoices', invoice.id)).toEqual(invoice);
  });

  test('paid and voided invoices answer invalid_state_for_request; unknown ones 404', async () => {
    const paid = fake.state.all('invoices').find((i) => i.status === 'paid' && !i.deleted);
    const voided = fake.state.all('invoices').find((i) => i.status === 'voided' && !i.deleted);
    for (const invoice of [paid, voided]) {
      const response = await pay(invoice?.id ?? '', { 'transaction[payment_method]': 'cash', 'transaction[amount]': 1 });
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ type: 'invalid_request', api_error_code: 'invalid_state_for_request', http_status_code: 400 });
    }
    expect((await pay('nope', { 'transaction[payment_method]': 'cash' })).status).toBe(404);
  });

  test('a failed payment is recorded as a failure transaction without touching the invoice balance', async () => {
    const invoice = openInvoice();
    const response = await pay(invoice.id, { 'transaction[payment_method]': 'check', 'transaction[status]': 'failure', 'transaction[error_text]': 'Bounced' });
    expect(response.json.transaction).toMatchObject({ status: 'failure', error_text: 'Bounced', linked_invoices: [] });
    expect(fake.state.get('invoices', invoice.id)?.amount_due).toBe(invoice.amount_due);
  });

  test('the same idempotency key and body replays the first answer with no second effect', async () => {
    const invoice = openInvoice();
    const form = { 'transaction[amount]': 5, 'transaction[payment_method]': 'cash' };
    const headers = { 'chargebee-idempotency-key': 'pay-once-123' };
    const transactionsBefore = fake.state.count('transactions');
    const first = await pay(invoice.id, form, headers);
    const second = await pay(invoice.id, form, headers);
    expect(first.status).toBe(200);
    expect(second.status).toBe(200);
    expect(second.text).toBe(first.text);
    expect(second.headers.get('chargebee-idempotency-replayed')).toBe('true');
    expect(first.headers.get('chargebee-idempotency-replayed')).toBeNull();
    expect(fake.state.count('transactions')).toBe(transactionsBefore + 1);
    expect(fake.state.get('invoices', invoice.id)?.amount_due).toBe((invoice.amount_due ?? 0) - 5);

    const otherBody = await pay(invoice.id, { ...form, 'transaction[amount]': 6 }, headers);
    expect(otherBody.status).toBe(400);
    expect(fake.state.count('transactions')).toBe(transactionsBefore + 1);

    const noKey = await pay(invoice.id, form);
    expect(noKey.status).toBe(200);
    expect(fake.state.count('transactions')).toBe(transactionsBefore + 2);
  });

  test('a payment whose answer was lost is not posted twice when retried with the same key', async () => {
    const invoice = openInvoice();
    const form = { 'transaction[amount]': 4, 'transaction[payment_method]': 'cash' };
    const headers = { 'chargebee-idempotency-key': 'lost-answer' };
    fake.faults.dropResponseNext(1);
    await expect(pay(invoice.id, form, headers)).rejects.toThrow();
    expect(fake.requests.at(-1)).toMatchObject({ status: 0, responseDropped: true, idempotencyKey: 'lost-answer' });
    expect(fake.state.get('invoices', invoice.id)?.amount_due).toBe((invoice.amount_due ?? 0) - 4);
    const retry = await pay(invoice.id, form, headers);
    expect(retry.status).toBe(200);
    expect(retry.headers.get('chargebee-idempotency-replayed')).toBe('true');
    expect(retry.json.invoice.amount_due).toBe((invoice.amount_due ?? 0) - 4);
    expect(fake.state.get('invoices', invoice.id)?.amount_due).toBe((invoice.amount_due ?? 0) - 4);
  });

  test('idempotency keys expire after 24 hours of the fake clock', async () => {
    const invoice = openInvoice();
    const form = { 'transaction[amount]': 2, 'transaction[payment_method]': 'cash' };
    const headers = { 'chargebee-idempotency-key': 'day-old' };
    fake.state.setClock(NOW);
    expect((await pay(invoice.id, form, headers)).status).toBe(200);
    fake.state.setClock(NOW + 24 * 3600 - 1);
    expect((await pay(invoice.id, form, headers)).headers.get('chargebee-idempotency-replayed')).toBe('true');
    fake.state.setClock(NOW + 24 * 3600);
    const fresh = await pay(invoice.id, form, headers);
    expect(fresh.headers.get('chargebee-idempotency-replayed')).toBeNull();
    expect(fake.state.get('invoices', invoice.id)?.amount_due).toBe((invoice.amount_due ?? 0) - 4);
  });

  test('an idempotent retry after a reset connection does not double-post', async () => {
    const invoice = openInvoice();
    const form = { 'transaction[amount]': 3, 'transaction[payment_method]': 'cash' };
    const headers = { 'chargebee-idempotency-key': 'retry-after-5xx' };
    fake.faults.serviceUnavailableNext(1, 'json');
    expect((await pay(invoice.id, form, headers)).status).toBe(503);
    expect((await pay(invoice.id, form, headers)).status).toBe(200);
    expect((await pay(invoice.id, form, headers)).headers.get('chargebee-idempotency-replayed')).toBe('true');
    expect(fake.state.get('invoices', invoice.id)?.amount_due).toBe((invoice.amount_due ?? 0) - 3);
  });
});
