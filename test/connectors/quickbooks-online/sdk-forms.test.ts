/**
 * issue 11, mismatch 2 and GlobalTaxCalculation: writes in the form Intuit's SDKs send them.
 * - Payment void: a sparse update `POST /payment?operation=update&include=void` — the PHP SDK's
 *   CoreConstants (PAYMENTCLASSNAME = payment, salesreceipt; VOID_QUERYPARAMETER_PAYMENT =
 *   '?operation=update&include=void') and node-quickbooks' voidPayment (void + sparse → update).
 * - Update: `POST /{entity}?operation=update` with `sparse: true` (node-quickbooks' update).
 * - Void of other documents and delete: `?operation=void|delete` with `{Id, SyncToken}`.
 * - GlobalTaxCalculation: Intuit documents it as not applicable to US companies; the sink reads
 *   CompanyInfo.Country once when it opens and leaves it out there, and refuses a TaxInclusive
 *   document there (its lines would keep their tax).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/quickbooks-online/index.js';
import type { Sink } from '../../../engine/connector/types.js';
import { startFakeQbo, type FakeQbo } from '../../fakes/qbo/index.js';
import { factoryInput, paidInvoice, paymentRecord, previous, record, sinkContext, written, type MemoryContext } from './harness.js';

let fake: FakeQbo;
let sink: Sink;
let ctx: MemoryContext;

async function start(options: Parameters<typeof startFakeQbo>[0] = {}) {
  fake = await startFakeQbo(options);
  sink = connector.createSink!(factoryInput(fake));
  ctx = sinkContext();
  await sink.open!(ctx);
}
afterEach(async () => fake?.close());

const ok = written;
const paid = () => paidInvoice(sink, ctx);

describe('QBO writes in the SDKs’ forms', () => {
  it('voids a Payment with a sparse update and include=void, so the voided Chargebee payment is voided in QuickBooks', async () => {
    await start();
    const { customerId, invoiceId, payment: p } = await paid();
    const before = fake.state.requests.length;
    const [voided] = await sink.write([{ ...paymentRecord(customerId, invoiceId), action: 'void', previous: previous(p.targetId, p.targetVersion!) }], ctx);
    expect(ok(voided).targetId).toBe(p.targetId);
    expect(fake.state.company.get('Payment', p.targetId)).toMatchObject({ TotalAmt: 0, TxnStatus: 'Voided' });
    const sent = fake.state.requests.slice(before).filter((r) => r.method === 'POST');
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ path: expect.stringMatching(/\/payment$/), query: { operation: 'update', include: 'void', minorversion: '75' } });
    expect(sent[0]!.body).toEqual({ Id: p.targetId, SyncToken: p.targetVersion, sparse: true });
  });

  it('updates with ?operation=update and sparse: true', async () => {
    await start();
    const { invoiceId } = await paid();
    const current = fake.state.company.get('Invoice', invoiceId)!;
    const before = fake.state.requests.length;
    await sink.write(
      [{ ...record('Invoice', 'INV-1', { DocNumber: 'INV-1', PrivateNote: 'edited' }), previous: previous(invoiceId, String(current['SyncToken'])) }],
      ctx,
    );
    const update = fake.state.requests.slice(before).find((r) => r.method === 'POST')!;
    expect(update.query).toMatchObject({ operation: 'update' });
    expect(update.body).toMatchObject({ Id: invoiceId, sparse: true, PrivateNote: 'edited' });
  });
});

describe('fake QBO refuses other forms', () => {
  it('POST /payment?operation=void is not a void of a Payment', async () => {
    await start();
    const { payment: p } = await paid();
    const url = `${fake.url}/v3/company/${fake.realmId}/payment?operation=void&minorversion=75`;
    const token = (await (
      await fetch(fake.tokenUrl, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${fake.clientId}:${fake.clientSecret}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: `grant_type=refresh_token&refresh_token=${encodeURIComponent(ctx.secretValues.get('qbo_refresh_token') ?? fake.refreshToken)}`,
      })
    ).json()) as { access_token: string };
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token.access_token}`, 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ Id: p.targetId, SyncToken: p.targetVersion }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { Fault: { Error: { Message: string; Detail: string; code: string }[]; type: string } };
    expect(body.Fault.type).toBe('ValidationFault');
    expect(body.Fault.Error[0]!.Detail).toMatch(/include=void/);
    expect(fake.state.company.get('Payment', p.targetId)).toMatchObject({ TotalAmt: 20 });
  });
});

describe('GlobalTaxCalculation only for companies outside the US', () => {
  const taxed = (customerId: string, itemId: string) =>
    record('Invoice', 'INV-T', {
      DocNumber: 'INV-T',
      TxnDate: '2024-03-01',
      CustomerRef: { value: customerId },
      GlobalTaxCalculation: 'TaxExcluded',
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: '20.00', SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: 1, UnitPrice: '20.00' } }],
    });

  async function basics(): Promise<[string, string]> {
    const [c, i] = await sink.write(
      [
        record('Customer', 'cb_1', { DisplayName: 'Acme', Notes: 'cb_1', CurrencyRef: { value: 'USD' } }),
        record('Item', 'plan', { Name: 'Plan', Sku: 'plan', Type: 'Service', IncomeAccountRef: { value: '80' }, UnitPrice: '10.00' }),
      ],
      ctx,
    );
    return [ok(c).targetId, ok(i).targetId];
  }

  it('a US company gets the invoice without it', async () => {
    await start({ country: 'US' });
    const [customerId, itemId] = await basics();
    const [created] = await sink.write([taxed(customerId, itemId)], ctx);
    const invoice = fake.state.company.get('Invoice', ok(created).targetId)!;
    expect(invoice['GlobalTaxCalculation']).toBeUndefined();
  });

  it('a US company refuses a tax-inclusive document before sending it: without the flag its tax would count twice', async () => {
    await start({ country: 'US' });
    const [customerId, itemId] = await basics();
    const inclusive = taxed(customerId, itemId);
    inclusive.data['GlobalTaxCalculation'] = 'TaxInclusive';
    const writesBefore = fake.state.writes.length;
    const [refused] = await sink.write([inclusive], ctx);
    expect(refused).toMatchObject({ status: 'failed', error: { code: 'qbo_tax_inclusive_us', kind: 'record' } });
    expect(refused!.status === 'failed' && refused!.error.fix).toMatch(/net of tax/);
    expect(fake.state.writes.length).toBe(writesBefore);
    expect(fake.state.entities('Invoice')).toEqual([]);
  });

  it('a Canadian company gets it as mapped', async () => {
    await start({ country: 'CA', salesTax: false });
    const [customerId, itemId] = await basics();
    const [created] = await sink.write([taxed(customerId, itemId)], ctx);
    expect(fake.state.company.get('Invoice', ok(created).targetId)!['GlobalTaxCalculation']).toBe('TaxExcluded');
  });
});
