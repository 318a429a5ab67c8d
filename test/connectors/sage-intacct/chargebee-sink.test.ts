/** The Chargebee offline-payment sink against the fake Chargebee. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChargebeeSink, offlinePaymentOf } from '../../../connectors/chargebee/sink.js';
import type { ConnectorFactoryInput, SinkResult } from '../../../engine/connector/types.js';
import { createConnection } from '../../../engine/http/connection.js';
import { silentLogger } from '../../../engine/log.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { descriptorOf, record, sinkContext } from './helpers.js';

let fake: FakeChargebee;
beforeAll(async () => {
  fake = await startFakeChargebee({ customers: 12, seed: 7 });
});
afterAll(() => fake.close());

function input(apiKey = fake.apiKey): ConnectorFactoryInput {
  return {
    connection: { connector: 'chargebee', site: fake.site, api_key: apiKey, base_url: fake.url, retry: { base_delay_ms: 5, max_delay_ms: 20 } },
    descriptor: descriptorOf('chargebee'),
    pipelineDir: '.',
    pipeline: 'reverse',
    timezone: 'UTC',
    extensions: {},
    lookups: {},
    options: {},
    log: silentLogger,
    http: { connect: (o) => createConnection(o) },
  };
}

const ctx = sinkContext();

function openInvoice(index: number): { id: string; customer_id: string; currency_code: string; amount_due: number; date: number } {
  const id = fake.seedInfo.openInvoiceIds[index]!;
  const entry = fake.state.entries('invoices').find((e) => e.record.id === id)!;
  return entry.record as unknown as { id: string; customer_id: string; currency_code: string; amount_due: number; date: number };
}

function payment(inv: ReturnType<typeof openInvoice>, extra: Record<string, unknown> = {}) {
  const exponent = { JPY: 0, KWD: 3 }[inv.currency_code] ?? 2;
  const amount = exponent === 0 ? '1' : `0.${'0'.repeat(exponent - 1)}1`;
  return {
    invoice_id: inv.id,
    customer_id: inv.customer_id,
    amount,
    currency_code: inv.currency_code,
    payment_method: 'CHECK',
    date: inv.date,
    reference_number: 'DOC-1',
    id_at_gateway: 'intacct-4242',
    comment: 'Two way sync from intact Id :DOC-1 internalid :4242',
    ...extra,
  };
}

function created(r: SinkResult | undefined): string {
  if (r?.status !== 'created') throw new Error(`expected created, got ${JSON.stringify(r)}`);
  return r.targetId;
}

describe('Chargebee offline payment sink', () => {
  it('records the payment in minor units, with method, reference and comment', async () => {
    const inv = openInvoice(0);
    const sink = createChargebeeSink(input());
    await sink.open!(ctx);
    const [r] = await sink.write([record('offline_payment', '4242#' + inv.id, payment(inv))], ctx);
    const txn = fake.state.entries('transactions').find((e) => e.record.id === created(r))!.record as Record<string, unknown>;
    expect(txn).toMatchObject({ amount: 1, payment_method: 'check', reference_number: 'DOC-1', id_at_gateway: 'intacct-4242', gateway: 'not_applicable' });
    const post = fake.requests.filter((q) => q.method === 'POST').at(-1)!;
    expect(post.path).toContain(`/invoices/${inv.id}/record_payment`);
  });

  it('pays once when the same record is retried after a lost response, and adopts it on resume', async () => {
    const inv = openInvoice(1);
    const sink = createChargebeeSink(input());
    const rec = record('offline_payment', '4243#' + inv.id, payment(inv, { id_at_gateway: 'intacct-4243' }));
    fake.faults.dropResponseNext(1);
    const [first] = await sink.write([rec], ctx);
    const [again] = await sink.write(
      [
        {
          ...rec,
          previous: { sourceId: rec.sourceId, sourceVersion: null, contentHash: null, targetId: null, targetVersion: null, pendingWrite: true, updatedAt: 0 },
        },
      ],
      ctx,
    );
    const payments = fake.state.entries('transactions').filter((e) => (e.record as { id_at_gateway?: string }).id_at_gateway === 'intacct-4243');
    expect(payments).toHaveLength(1);
    expect(created(again)).toBe(payments[0]!.record.id);
    expect(first?.status === 'created' || first?.status === 'failed').toBe(true);
  });

  it('dead-letters Chargebee refusals with the error body: a paid invoice, a wrong customer', async () => {
    const paid = fake.seedInfo.paidInvoiceIds[0]!;
    const paidInv = fake.state.entries('invoices').find((e) => e.record.id === paid)!.record as unknown as ReturnType<typeof openInvoice>;
    const sink = createChargebeeSink(input());
    const [r] = await sink.write([record('offline_payment', 'p#1', payment(paidInv))], ctx);
    expect(r).toMatchObject({ status: 'failed' });
    if (r?.status === 'failed') {
      expect(r.error.details).toMatchObject({ api_error_code: 'invalid_state_for_request', status: 400 });
      expect(r.error.message).toMatch(/already paid/);
    }
    const inv = openInvoice(2);
    const [wrong] = await sink.write([record('offline_payment', 'p#2', payment(inv, { customer_id: 'someone-else' }))], ctx);
    expect(wrong).toMatchObject({ status: 'failed' });
    if (wrong?.status === 'failed') expect(wrong.error.message).toMatch(/belongs to customer/);
  });

  it('refuses an unconvertible amount without calling Chargebee', () => {
    expect(() => offlinePaymentOf(record('offline_payment', 'x', { invoice_id: 'i', amount: '1.005', currency_code: 'USD', payment_method: 'cash' }))).toThrow(
      /more decimals than USD allows \(2\)/,
    );
    expect(() => offlinePaymentOf(record('offline_payment', 'x', { invoice_id: 'i', amount: 1.5, currency_code: 'USD', payment_method: 'cash' }))).toThrow(
      /decimal string/,
    );
    expect(offlinePaymentOf(record('offline_payment', 'x', { invoice_id: 'i', amount: '1.234', currency_code: 'KWD', payment_method: 'CASH' }))).toMatchObject({
      amountMinor: '1234',
      paymentMethod: 'cash',
    });
  });

  it('stops on a rejected API key (auth)', async () => {
    const error = await createChargebeeSink(input('wrong_key')).open!(ctx).catch((e) => e);
    expect(error.kind).toBe('auth');
  });
});
