/**
 * The Chargebee offline-payment sink reads the invoice before paying it: the payment's currency
 * must be the invoice's, and a payment received on the invoice's own day is dated at the invoice's
 * time. A write Chargebee definitely refused is sent again under a new idempotency key (Chargebee
 * replays a key's answer, refusals included, for 24 hours); only a write in doubt reuses its key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createChargebeeSink } from '../../../connectors/chargebee/sink.js';
import type { ConnectorFactoryInput, LedgerEntry, SinkRecord, SinkResult } from '../../../engine/connector/types.js';
import { createConnection } from '../../../engine/http/connection.js';
import { silentLogger } from '../../../engine/log.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { descriptorOf, record, sinkContext } from '../sage-intacct/helpers.js';
import { customer, invoice } from '../sage-intacct/scenario.js';

let fake: FakeChargebee;
beforeAll(async () => {
  fake = await startFakeChargebee({ customers: 0 });
});
afterAll(() => fake.close());

const MARCH_10 = 1_710_028_800; // 2024-03-10T00:00:00Z
const HOUR = 3600;

function input(timezone = 'UTC', retry: Record<string, number> = {}): ConnectorFactoryInput {
  return {
    connection: {
      connector: 'chargebee',
      site: fake.site,
      api_key: fake.apiKey,
      base_url: fake.url,
      retry: { base_delay_ms: 5, max_delay_ms: 20, ...retry },
    },
    descriptor: descriptorOf('chargebee'),
    pipelineDir: '.',
    pipeline: 'reverse',
    timezone,
    extensions: {},
    lookups: {},
    options: {},
    log: silentLogger,
    http: { connect: (o) => createConnection(o) },
  };
}

type CbInvoice = { amount_paid?: number; amount_due?: number };
const cbInvoice = (id: string) => fake.state.all('invoices').find((i) => i.id === id) as CbInvoice;
const postsTo = (id: string) => fake.requests.filter((r) => r.method === 'POST' && r.path.endsWith(`/invoices/${id}/record_payment`));

function payment(invoiceId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    invoice_id: invoiceId,
    amount: '40.00',
    currency_code: 'USD',
    payment_method: 'check',
    date: MARCH_10,
    reference_number: `CHK-${invoiceId}`,
    id_at_gateway: `intacct-${invoiceId}`,
    ...extra,
  };
}

function withPrevious(rec: SinkRecord, previous: Partial<LedgerEntry>): SinkRecord {
  return {
    ...rec,
    previous: {
      sourceId: rec.sourceId,
      sourceVersion: null,
      contentHash: null,
      targetId: null,
      targetVersion: null,
      pendingWrite: false,
      updatedAt: 0,
      ...previous,
    },
  };
}

function failed(r: SinkResult | undefined) {
  if (r?.status !== 'failed') throw new Error(`expected failed, got ${JSON.stringify(r)}`);
  return r.error;
}

describe('Chargebee offline payment sink: the invoice read first', () => {
  it('dead-letters a payment in another currency than the invoice, naming both and the invoice, even with no customer mapped', async () => {
    customer(fake, 'cust_jpy_sink', { preferred_currency_code: 'JPY' });
    invoice(fake, 'inv_jpy_sink', 'cust_jpy_sink', [{ id: 'l', amount: 10_000, entityId: 'x', description: 'Yen plan' }], {
      currency: 'JPY',
      exchangeRate: 0.0067,
    });
    const sink = createChargebeeSink(input());
    const ctx = sinkContext();
    const [r] = await sink.write([record('offline_payment', '9001#inv_jpy_sink', payment('inv_jpy_sink', { amount: '50.00', currency_code: 'USD' }))], ctx);
    const error = failed(r);
    expect(error.code).toBe('offline_payment_currency_mismatch');
    expect(error.kind).toBe('record');
    expect(error.message).toContain('50.00 USD cannot be recorded on Chargebee invoice inv_jpy_sink, which is in JPY');
    expect(error.details).toMatchObject({ invoiceId: 'inv_jpy_sink', paymentCurrency: 'USD', invoiceCurrency: 'JPY' });
    expect(error.fix).toMatch(/JPY/);
    // Before: 5000 (the USD cents) recorded as ¥5,000.
    expect(cbInvoice('inv_jpy_sink').amount_paid ?? 0).toBe(0);
    expect(postsTo('inv_jpy_sink')).toHaveLength(0);
  });

  it('records a payment in the invoice currency, whatever case the currency is mapped in', async () => {
    customer(fake, 'cust_eur_sink', { preferred_currency_code: 'EUR' });
    invoice(fake, 'inv_eur_sink', 'cust_eur_sink', [{ id: 'l', amount: 3_000, entityId: 'x', description: 'Euro plan' }], {
      currency: 'EUR',
      exchangeRate: 1.08,
    });
    const sink = createChargebeeSink(input());
    const [r] = await sink.write(
      [record('offline_payment', '9002#inv_eur_sink', payment('inv_eur_sink', { amount: '30.00', currency_code: 'eur' }))],
      sinkContext(),
    );
    expect(r).toMatchObject({ status: 'created' });
    expect(cbInvoice('inv_eur_sink').amount_paid).toBe(3_000);
  });

  it("dates a payment received on the invoice's own day at the invoice's time instead of being refused every run", async () => {
    customer(fake, 'cust_day_sink');
    const invoiced = MARCH_10 + 15 * HOUR;
    invoice(fake, 'inv_day_sink', 'cust_day_sink', [{ id: 'l', amount: 4_000, entityId: 'x', description: 'Same-day plan' }], { date: invoiced });
    const sink = createChargebeeSink(input());
    const [r] = await sink.write([record('offline_payment', '9003#inv_day_sink', payment('inv_day_sink'))], sinkContext());
    expect(r).toMatchObject({ status: 'created' });
    const txn = fake.state.all('transactions').find((t) => t.id === (r as { targetId: string }).targetId) as { date: number; amount: number };
    expect(txn).toMatchObject({ date: invoiced, amount: 4_000 });
  });

  it("reads the invoice's day in the pipeline's timezone, as the forward flow dated Intacct's copy", async () => {
    customer(fake, 'cust_ny_sink');
    // 2024-03-10T02:00Z is 2024-03-09 21:00 in New York: Intacct's copy is dated 03/09/2024.
    const invoiced = MARCH_10 + 2 * HOUR;
    invoice(fake, 'inv_ny_sink', 'cust_ny_sink', [{ id: 'l', amount: 4_000, entityId: 'x', description: 'Evening plan' }], { date: invoiced });
    const sink = createChargebeeSink(input('America/New_York'));
    const [r] = await sink.write([record('offline_payment', '9004#inv_ny_sink', payment('inv_ny_sink', { date: MARCH_10 - 24 * HOUR }))], sinkContext());
    expect(r).toMatchObject({ status: 'created' });
    expect(fake.state.all('transactions').find((t) => t.id === (r as { targetId: string }).targetId)).toMatchObject({ date: invoiced });
  });

  it('refuses a payment received on a day before the invoice, saying so, without asking Chargebee', async () => {
    customer(fake, 'cust_early_sink');
    invoice(fake, 'inv_early_sink', 'cust_early_sink', [{ id: 'l', amount: 4_000, entityId: 'x', description: 'Later plan' }], { date: MARCH_10 + 15 * HOUR });
    const sink = createChargebeeSink(input());
    const [r] = await sink.write([record('offline_payment', '9005#inv_early_sink', payment('inv_early_sink', { date: MARCH_10 - 24 * HOUR }))], sinkContext());
    const error = failed(r);
    expect(error.code).toBe('invalid_offline_payment');
    expect(error.message).toContain('received 2024-03-09, before Chargebee invoice inv_early_sink was issued (2024-03-10T15:00:00Z');
    expect(error.fix).toMatch(/receipt date/);
    expect(postsTo('inv_early_sink')).toHaveLength(0);
  });
});

describe('Chargebee offline payment sink: idempotency keys', () => {
  it('sends a write Chargebee refused (invoice pending) again under a new key once the invoice is closed', async () => {
    customer(fake, 'cust_pend_sink');
    invoice(fake, 'inv_pend_sink', 'cust_pend_sink', [{ id: 'l', amount: 4_000, entityId: 'x', description: 'Usage plan' }]);
    fake.state.touch('invoices', 'inv_pend_sink', { status: 'pending' } as never);
    const sink = createChargebeeSink(input());
    const ctx = sinkContext();
    const rec = record('offline_payment', '9006#inv_pend_sink', payment('inv_pend_sink'));
    expect(failed((await sink.write([rec], ctx))[0]).message).toMatch(/pending/);

    fake.state.touch('invoices', 'inv_pend_sink', { status: 'payment_due' } as never);
    // The engine's ledger after a definite refusal: an entry, no transaction, nothing pending.
    const [again] = await sink.write([withPrevious(rec, {})], ctx);
    expect(again, JSON.stringify(again)).toMatchObject({ status: 'created' });
    expect(cbInvoice('inv_pend_sink').amount_paid).toBe(4_000);
    const [refused, recorded] = postsTo('inv_pend_sink');
    expect(refused!.status).toBe(400);
    expect(recorded!.status).toBe(200);
    expect(recorded!.idempotencyKey).not.toBe(refused!.idempotencyKey);
  });

  it('takes a new key for every refused write, and keeps the key of a write in doubt to send it again', async () => {
    customer(fake, 'cust_doubt_sink');
    invoice(fake, 'inv_doubt_sink', 'cust_doubt_sink', [{ id: 'l', amount: 4_000, entityId: 'x', description: 'Doubtful plan' }]);
    fake.state.touch('invoices', 'inv_doubt_sink', { status: 'pending' } as never);
    const sink = createChargebeeSink(input('UTC', { max_attempts: 2 }));
    const ctx = sinkContext();
    const rec = record('offline_payment', '9007#inv_doubt_sink', payment('inv_doubt_sink'));
    failed((await sink.write([rec], ctx))[0]);
    failed((await sink.write([withPrevious(rec, {})], ctx))[0]);
    fake.state.touch('invoices', 'inv_doubt_sink', { status: 'payment_due' } as never);
    // Every other request answers 503 before it takes effect: both sends of the POST (the look-up
    // between them passes), so the write ends in doubt.
    fake.faults.failEvery(2, 503);
    const doubt = failed((await sink.write([withPrevious(rec, {})], ctx))[0]);
    fake.faults.failEvery(0, 503);
    expect(doubt.mayHaveSucceeded).toBe(true);
    const [resent] = await sink.write([withPrevious(rec, { pendingWrite: true })], ctx);
    expect(resent).toMatchObject({ status: 'created' });
    expect(cbInvoice('inv_doubt_sink').amount_paid).toBe(4_000);

    const keys = postsTo('inv_doubt_sink').map((p) => ({ status: p.status, key: p.idempotencyKey }));
    expect(keys.map((k) => k.status)).toEqual([400, 400, 503, 503, 200]);
    const [first, second, inDoubt, inDoubtAgain, last] = keys.map((k) => k.key);
    expect(new Set([first, second, inDoubt]).size).toBe(3);
    expect(inDoubtAgain).toBe(inDoubt);
    expect(last).toBe(inDoubt);
  });

  it('sends a write left pending by an earlier version under the key it had then (no write number kept)', async () => {
    customer(fake, 'cust_old_sink');
    invoice(fake, 'inv_old_sink', 'cust_old_sink', [{ id: 'l', amount: 4_000, entityId: 'x', description: 'Old plan' }]);
    fake.state.touch('invoices', 'inv_old_sink', { status: 'pending' } as never);
    const sink = createChargebeeSink(input());
    const rec = record('offline_payment', '9008#inv_old_sink', payment('inv_old_sink'));
    // A first write (no ledger entry) uses the key every write had before write numbers were kept.
    failed((await sink.write([rec], sinkContext()))[0]);
    fake.state.touch('invoices', 'inv_old_sink', { status: 'payment_due' } as never);
    // A fresh store, as after upgrading: the pending write is sent again under that same key.
    const [resent] = await sink.write([withPrevious(rec, { pendingWrite: true })], sinkContext());
    expect(failed(resent).message).toMatch(/pending/); // Chargebee's replay of the answer that key had
    const [first, second] = postsTo('inv_old_sink');
    expect(second!.idempotencyKey).toBe(first!.idempotencyKey);
  });
});
