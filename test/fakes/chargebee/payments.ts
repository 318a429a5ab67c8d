/**
 * `POST /invoices/{id}/record_payment`: records an offline payment the way Chargebee does —
 * validates the form, creates a transaction linked to the invoice, moves amount_paid / amount_due /
 * status, and answers `{invoice, transaction}`. Retried POSTs are made safe by the idempotency
 * cache in ./idempotency.ts, not here.
 */
import type { Invoice, Transaction } from 'chargebee';
import { invalidStateForRequest, paramWrongValue, resourceNotFound } from './errors.js';
import { rateOn } from './seed.js';
import type { FakeChargebeeState } from './state.js';
import { recordPaymentMethods } from './vendor-schema.js';

/**
 * Payment methods Chargebee accepts for a recorded (offline) payment: the enum of
 * `transaction[payment_method]` in the chargebee package's `RecordPaymentInvoiceTransactionSchema`
 * (no `card`: a card payment goes through a gateway, not record_payment).
 */
export const OFFLINE_PAYMENT_METHODS: readonly string[] = await recordPaymentMethods();

type TransactionRecord = Transaction & { object: 'transaction' };

export interface RecordPaymentResult {
  invoice: Invoice;
  transaction: TransactionRecord;
}

function optionalInteger(form: URLSearchParams, param: string): number | undefined {
  const raw = form.get(param);
  if (raw === null || raw === '') return undefined;
  if (!/^-?\d+$/.test(raw)) throw paramWrongValue(param, `invalid value ${JSON.stringify(raw)}; expected an integer`);
  return Number(raw);
}

function optionalText(form: URLSearchParams, param: string, maxLength: number): string | undefined {
  const raw = form.get(param);
  if (raw === null || raw === '') return undefined;
  if (raw.length > maxLength) throw paramWrongValue(param, `cannot be longer than ${maxLength} characters`);
  return raw;
}

export function recordPayment(state: FakeChargebeeState, invoiceId: string, form: URLSearchParams): RecordPaymentResult {
  const invoice = state.get('invoices', invoiceId);
  if (!invoice || invoice.deleted) throw resourceNotFound(`Sorry, we couldn't find the invoice ${invoiceId}`, 'invoice_id');
  if (invoice.status === 'voided') throw invalidStateForRequest(`Invoice ${invoiceId} is voided; payments cannot be recorded against a voided invoice.`);
  if (invoice.status === 'paid' || (invoice.amount_due ?? 0) <= 0) {
    throw invalidStateForRequest(`Invoice ${invoiceId} is already paid; there is no amount due to record a payment against.`);
  }
  if (invoice.status === 'pending') throw invalidStateForRequest(`Invoice ${invoiceId} is pending; close it before recording a payment.`);

  const method = form.get('transaction[payment_method]');
  if (method === null || method === '') throw paramWrongValue('transaction[payment_method]', 'cannot be blank');
  if (!OFFLINE_PAYMENT_METHODS.includes(method)) {
    throw paramWrongValue('transaction[payment_method]', `invalid value ${JSON.stringify(method)}; expected one of ${OFFLINE_PAYMENT_METHODS.join(', ')}`);
  }
  const amountDue = invoice.amount_due ?? 0;
  const amount = optionalInteger(form, 'transaction[amount]') ?? amountDue;
  if (amount <= 0) throw paramWrongValue('transaction[amount]', 'must be greater than 0');
  if (amount > amountDue) throw paramWrongValue('transaction[amount]', `cannot be more than the invoice's amount due (${amountDue})`);
  const now = state.now();
  const date = optionalInteger(form, 'transaction[date]') ?? now;
  if (date > now) throw paramWrongValue('transaction[date]', 'cannot be a future date');
  if (invoice.date !== undefined && date < invoice.date) throw paramWrongValue('transaction[date]', 'cannot be earlier than the invoice date');
  const statusRaw = form.get('transaction[status]') ?? 'success';
  if (statusRaw !== 'success' && statusRaw !== 'failure') {
    throw paramWrongValue('transaction[status]', `invalid value ${JSON.stringify(statusRaw)}; expected success or failure`);
  }
  const referenceNumber = optionalText(form, 'transaction[reference_number]', 100);
  const idAtGateway = optionalText(form, 'transaction[id_at_gateway]', 100);
  const errorCode = optionalText(form, 'transaction[error_code]', 100);
  const errorText = optionalText(form, 'transaction[error_text]', 65_000);
  optionalText(form, 'comment', 300);

  const succeeded = statusRaw === 'success';
  const txnId = state.newId('txn_', 16);
  let updated: Invoice = invoice;
  if (succeeded) {
    const newDue = amountDue - amount;
    const changes: Partial<Invoice> & Record<string, unknown> = {
      amount_paid: (invoice.amount_paid ?? 0) + amount,
      amount_due: newDue,
      status: newDue === 0 ? 'paid' : 'payment_due',
      linked_payments: [
        ...(invoice.linked_payments ?? []),
        { txn_id: txnId, applied_amount: amount, applied_at: now, txn_status: 'success', txn_date: date, txn_amount: amount },
      ],
      ...(newDue === 0 ? { paid_at: date } : {}),
      ...(newDue === 0 && invoice.dunning_status ? { dunning_status: 'stopped' } : {}),
    };
    updated = state.touch('invoices', invoiceId, changes);
  }
  const transaction = state.create(
    'transactions',
    {
      id: txnId,
      customer_id: invoice.customer_id,
      ...(invoice.subscription_id ? { subscription_id: invoice.subscription_id } : {}),
      payment_method: method as Transaction['payment_method'],
      ...(referenceNumber ? { reference_number: referenceNumber } : {}),
      gateway: 'not_applicable',
      type: 'payment',
      date,
      ...(invoice.exchange_rate !== undefined ? { exchange_rate: rateOn(invoice.currency_code, invoice.exchange_rate, date) } : {}),
      currency_code: invoice.currency_code,
      amount,
      ...(idAtGateway ? { id_at_gateway: idAtGateway } : {}),
      status: succeeded ? 'success' : 'failure',
      ...(!succeeded && errorCode ? { error_code: errorCode } : {}),
      ...(!succeeded && errorText ? { error_text: errorText } : {}),
      amount_unused: 0,
      linked_invoices: succeeded
        ? [
            {
              invoice_id: invoiceId,
              applied_amount: amount,
              applied_at: now,
              ...(invoice.date !== undefined ? { invoice_date: invoice.date } : {}),
              ...(invoice.total !== undefined ? { invoice_total: invoice.total } : {}),
              invoice_status: updated.status,
            },
          ]
        : [],
      linked_credit_notes: [],
      linked_refunds: [],
    },
    { eventType: succeeded ? 'payment_succeeded' : 'payment_failed', eventContent: { invoice: updated } },
  ) as TransactionRecord;
  return { invoice: updated, transaction };
}
