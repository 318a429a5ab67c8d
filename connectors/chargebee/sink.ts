/**
 * Chargebee as a sink: records offline payments on invoices (POST
 * /invoices/{invoice_id}/record_payment, form-encoded). The invoice is read first: its currency
 * must be the payment's (record_payment has no currency, the amount is taken in the invoice's),
 * its customer the mapped one, and a payment dated on the invoice's own day is dated at the
 * invoice's time. Each write carries an idempotency key derived from its content and write
 * number, so a retried POST is answered from Chargebee's cache instead of paying twice; a record
 * whose earlier write was never confirmed is first looked up among the invoice's transactions by
 * its id_at_gateway.
 *
 * The mapped record (object `offline_payment`) uses Chargebee's own names:
 * `invoice_id`, `amount` (a decimal string in the currency's major unit), `currency_code`,
 * `payment_method` (Chargebee's enum; upper case is accepted), `date` (unix seconds: the receipt
 * day at midnight UTC, as a date-only source value maps), `reference_number`, `id_at_gateway`,
 * `comment`, and optionally `customer_id`, checked against the invoice before paying it.
 */
import { createHash } from 'node:crypto';
import { LedgersyncError, asLedgersyncError } from '../../engine/errors.js';
import type { ConnectorFactoryInput, KeyValueStore, Sink, SinkContext, SinkRecord, SinkResult } from '../../engine/connector/types.js';
import type { HttpConnection } from '../../engine/http/connection.js';
import { writeOnce } from '../../engine/connector/write-once.js';
import type { Logger } from '../../engine/log.js';
import { isoDate, isoDateTime, utcCalendarDate } from '../../engine/transform/dates.js';
import { decimalToMinorUnits } from '../../domain/money/money.js';
import { chargebeeConnection } from './api.js';

interface OfflinePayment {
  invoiceId: string;
  customerId?: string;
  /** The mapped currency_code, upper case. */
  currency: string;
  /** The mapped amount as written, for messages. */
  amount: string;
  amountMinor: string;
  paymentMethod: string;
  date?: number;
  referenceNumber?: string;
  idAtGateway?: string;
  comment?: string;
}

/** What the sink reads of the invoice before paying it. */
interface ChargebeeInvoice {
  customer_id?: string;
  currency_code?: string;
  /** Unix seconds. */
  date?: number;
}

interface ChargebeeTransaction {
  id: string;
  id_at_gateway?: string;
  reference_number?: string;
  amount?: number;
  status?: string;
  linked_invoices?: { invoice_id: string }[];
}

function invalid(record: SinkRecord, message: string, fix?: string): LedgersyncError {
  return new LedgersyncError('invalid_offline_payment', 'record', `offline payment ${record.sourceId}: ${message}`, {
    details: { sourceId: record.sourceId },
    ...(fix ? { fix } : {}),
  });
}

function optionalString(value: unknown): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  return String(value);
}

/** Validates the mapped record and converts the amount to Chargebee's integer minor units, exactly. */
export function offlinePaymentOf(record: SinkRecord): OfflinePayment {
  const d = record.data;
  const known = new Set(['invoice_id', 'customer_id', 'amount', 'currency_code', 'payment_method', 'date', 'reference_number', 'id_at_gateway', 'comment']);
  const unknown = Object.keys(d).filter((k) => !known.has(k));
  if (unknown.length) throw invalid(record, `unknown field(s) ${unknown.join(', ')}`, `use: ${[...known].join(', ')}`);
  const invoiceId = optionalString(d['invoice_id']);
  if (!invoiceId) throw invalid(record, 'invoice_id is missing', 'map the Chargebee invoice id the payment settles');
  const currency = optionalString(d['currency_code'])?.toUpperCase();
  if (!currency) throw invalid(record, 'currency_code is missing', 'map the payment currency: the amount is converted to its minor units');
  const amount = d['amount'];
  if (typeof amount !== 'string' && !(typeof amount === 'number' && Number.isInteger(amount))) {
    throw invalid(record, `amount must be a decimal string, received ${JSON.stringify(amount)}`, 'map the amount as text (Intacct amounts are text already)');
  }
  let minor: bigint;
  try {
    minor = decimalToMinorUnits(String(amount), currency);
  } catch (error) {
    throw invalid(record, `amount ${String(amount)} ${currency}: ${(error as Error).message}`);
  }
  if (minor <= 0n) throw invalid(record, `amount must be positive, received ${String(amount)}`);
  const method = optionalString(d['payment_method'])?.toLowerCase();
  if (!method) throw invalid(record, 'payment_method is missing', 'map it through the payment method lookup table');
  const date = d['date'];
  if (date !== undefined && date !== null && !(typeof date === 'number' && Number.isInteger(date)))
    throw invalid(record, `date must be unix seconds, received ${JSON.stringify(date)}`);
  const customerId = optionalString(d['customer_id']);
  const referenceNumber = optionalString(d['reference_number']);
  const idAtGateway = optionalString(d['id_at_gateway']);
  const comment = optionalString(d['comment']);
  return {
    invoiceId,
    currency,
    amount: String(amount),
    amountMinor: minor.toString(),
    paymentMethod: method,
    ...(customerId ? { customerId } : {}),
    ...(typeof date === 'number' ? { date } : {}),
    ...(referenceNumber ? { referenceNumber } : {}),
    ...(idAtGateway ? { idAtGateway } : {}),
    ...(comment ? { comment } : {}),
  };
}

export class ChargebeeSink implements Sink {
  constructor(
    private readonly http: HttpConnection,
    private readonly pipeline: string,
    /** Descriptor `max_batch`. */
    readonly maxBatchSize: number,
    /**
     * Transaction field that finds a payment an interrupted run recorded when it has no
     * id_at_gateway (descriptor `objects.offline_payment.natural_key`).
     */
    private readonly naturalKey: string,
    /** The pipeline's timezone: the calendar an invoice's day is read in. */
    private readonly timezone: string,
    private readonly log?: Logger,
  ) {}

  async open(): Promise<void> {
    // Fails fast (exit 3) on a wrong key or site before anything is read.
    await this.http.request({ method: 'GET', path: '/configurations' });
  }

  async write(batch: readonly SinkRecord[], ctx: SinkContext): Promise<SinkResult[]> {
    const results: SinkResult[] = [];
    for (const record of batch) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      results.push(await this.writeOne(record, ctx.kv));
    }
    return results;
  }

  private async writeOne(record: SinkRecord, kv: KeyValueStore): Promise<SinkResult> {
    if (record.object !== 'offline_payment') {
      return {
        status: 'failed',
        error: new LedgersyncError('unknown_chargebee_object', 'record', `the Chargebee sink writes offline_payment records, not '${record.object}'`),
      };
    }
    if (record.action !== 'upsert')
      return { status: 'skipped', reason: `a recorded payment is not ${record.action}d from the source; refund or void it in Chargebee` };
    try {
      const payment = offlinePaymentOf(record);
      if (record.previous?.targetId && !record.previous.pendingWrite) {
        return {
          status: 'failed',
          error: invalid(
            record,
            `changed after it was recorded as transaction ${record.previous.targetId}; Chargebee payments are not edited`,
            'correct the payment in Chargebee by hand, then resolve the dead letter',
          ),
        };
      }
      const date = await this.checkInvoice(record, payment);
      if (record.previous?.pendingWrite) {
        const found = await this.findRecorded(record, payment);
        if (found) return this.recorded(record, kv, found);
      }
      // Chargebee answers a repeated idempotency key from its cache, but only for a day: after a lost
      // answer the payment is looked up among the invoice's transactions before anything is sent again.
      const written = await writeOnce({
        connection: this.http,
        request: {
          method: 'POST',
          path: `/invoices/${encodeURIComponent(payment.invoiceId)}/record_payment`,
          form: {
            'transaction[amount]': payment.amountMinor,
            'transaction[payment_method]': payment.paymentMethod,
            'transaction[date]': date,
            'transaction[reference_number]': payment.referenceNumber,
            'transaction[id_at_gateway]': payment.idAtGateway,
            comment: payment.comment,
          },
          headers: { 'chargebee-idempotency-key': this.claimIdempotencyKey(record, kv) },
          idempotent: false,
        },
        what: `offline payment ${record.sourceId} on Chargebee invoice ${payment.invoiceId}`,
        read: (response) => response.json<{ transaction?: ChargebeeTransaction }>().transaction?.id,
        lookUp: () => this.findRecorded(record, payment),
        unexpected: () =>
          new LedgersyncError('chargebee_no_transaction', 'transient', `record_payment on invoice ${payment.invoiceId} answered without a transaction`, {
            mayHaveSucceeded: true,
          }),
        log: this.log,
      });
      return this.recorded(record, kv, written.document);
    } catch (error) {
      const e = asLedgersyncError(error, 'record');
      if (e.kind === 'auth' || e.kind === 'config' || e.kind === 'system') throw e;
      return { status: 'failed', error: e };
    }
  }

  private recorded(record: SinkRecord, kv: KeyValueStore, transactionId: string): SinkResult {
    // A recorded payment is never sent again: its write number is no longer needed.
    kv.delete(writeNumberKey(record));
    return { status: 'created', targetId: transactionId };
  }

  /**
   * Chargebee replays its answer to a key for 24 hours, a refusal as much as a success. So the key
   * of a write is reused only to send again a write whose outcome is unknown (pendingWrite); any
   * other write of the record (after a definite refusal: an invoice still pending, a date Chargebee
   * refused) takes the next write number, kept in the sink's store before the request is sent.
   * The first write's number is 0 and its key the one written before numbers were kept, so a write
   * left pending by an older version is sent again under its own key.
   */
  private claimIdempotencyKey(record: SinkRecord, kv: KeyValueStore): string {
    const key = writeNumberKey(record);
    const last = kv.get<number>(key);
    let number: number;
    if (record.previous?.pendingWrite) number = last ?? 0;
    else {
      // A ledger entry without a transaction is a write that was refused (or a record seen before).
      number = last !== undefined ? last + 1 : record.previous ? 1 : 0;
      if (number > 0) kv.set(key, number);
    }
    const written = `${this.pipeline}\u0000${record.stream}\u0000${record.sourceId}\u0000${record.contentHash}${number > 0 ? `\u0000${number}` : ''}`;
    return `ls-${createHash('sha256').update(written).digest('hex').slice(0, 40)}`;
  }

  /**
   * Reads the invoice before paying it: it must be in the payment's currency and belong to the
   * mapped customer. Returns the date to record: Chargebee refuses a payment dated before its
   * invoice, so a payment received on the invoice's own day (a receipt date has no time of day) is
   * dated at the invoice's time; one received on an earlier day is refused.
   */
  private async checkInvoice(record: SinkRecord, payment: OfflinePayment): Promise<number | undefined> {
    const invoice = (await this.http.request({ method: 'GET', path: `/invoices/${encodeURIComponent(payment.invoiceId)}` })).json<{
      invoice: ChargebeeInvoice;
    }>().invoice;
    const invoiceCurrency = invoice.currency_code?.toUpperCase() ?? '(none)';
    if (invoiceCurrency !== payment.currency) {
      throw new LedgersyncError(
        'offline_payment_currency_mismatch',
        'record',
        `offline payment ${record.sourceId}: ${payment.amount} ${payment.currency} cannot be recorded on Chargebee invoice ${payment.invoiceId}, which is in ${invoiceCurrency}: record_payment takes the amount in the invoice's currency, so it would be recorded as ${payment.amountMinor} of ${invoiceCurrency}'s smallest unit`,
        {
          details: { sourceId: record.sourceId, invoiceId: payment.invoiceId, paymentCurrency: payment.currency, invoiceCurrency },
          fix: `apply a payment in ${invoiceCurrency} to invoice ${payment.invoiceId} in the source (or map the amount converted to ${invoiceCurrency}, with currency_code ${invoiceCurrency}), or record this one on the invoice in Chargebee by hand; then resolve the dead letter`,
        },
      );
    }
    if (payment.customerId && invoice.customer_id !== payment.customerId) {
      throw invalid(
        record,
        `invoice ${payment.invoiceId} belongs to customer ${invoice.customer_id ?? '(none)'}, not ${payment.customerId}`,
        'check the customer and invoice the source payment was applied to',
      );
    }
    if (payment.date === undefined || invoice.date === undefined || payment.date >= invoice.date) return payment.date;
    const received = utcCalendarDate(payment.date);
    const invoiced = isoDate(invoice.date, this.timezone);
    if (received >= invoiced) return invoice.date;
    throw invalid(
      record,
      `received ${received}, before Chargebee invoice ${payment.invoiceId} was issued (${isoDateTime(invoice.date)}, ${invoiced} in ${this.timezone}); Chargebee refuses a payment dated before its invoice`,
      'check the invoice the payment was applied to in the source and its receipt date, correct the one that is wrong, then resolve the dead letter',
    );
  }

  /** A successful payment of this amount on this invoice with the record's id_at_gateway (or natural key); undefined without either. */
  private async findRecorded(record: SinkRecord, payment: OfflinePayment): Promise<string | undefined> {
    const keyValue = optionalString(record.data[this.naturalKey]);
    if (!(payment.idAtGateway || keyValue)) return undefined;
    const query = payment.idAtGateway ? { 'id_at_gateway[is]': payment.idAtGateway } : { [`${this.naturalKey}[is]`]: keyValue };
    const listed = (await this.http.request({ method: 'GET', path: '/transactions', query: { ...query, limit: 100 } })).json<{
      list: { transaction: ChargebeeTransaction }[];
    }>();
    const match = listed.list
      .map((e) => e.transaction)
      .find(
        (t) => t.status === 'success' && String(t.amount) === payment.amountMinor && (t.linked_invoices ?? []).some((l) => l.invoice_id === payment.invoiceId),
      );
    return match?.id;
  }
}

export function createChargebeeSink(input: ConnectorFactoryInput): Sink {
  const { descriptor } = input;
  const naturalKey = descriptor.objects?.['offline_payment']?.natural_key;
  if (!naturalKey) throw new LedgersyncError('invalid_descriptor', 'system', 'the chargebee descriptor must declare objects.offline_payment.natural_key');
  return new ChargebeeSink(chargebeeConnection(input), input.pipeline, descriptor.max_batch ?? 20, naturalKey, input.timezone, input.log);
}

/** Where the sink keeps the number of the record's latest write. */
function writeNumberKey(record: SinkRecord): string {
  return `offline_payment_write/${record.stream}/${record.sourceId}`;
}
