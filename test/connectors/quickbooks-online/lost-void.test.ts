/**
 * A void whose answer is lost after QuickBooks applied it is not applied again: the client's repeat
 * carries the same SyncToken and is refused as stale (5010), and the sink, reading the document
 * again, finds it voided (Intuit: amounts zeroed, "Voided" prepended to PrivateNote) and reports the
 * void done instead of voiding it a second time with the fresh token. A void left unconfirmed by a
 * run that died is recognised the same way.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/quickbooks-online/index.js';
import type { Sink, SinkResult } from '../../../engine/connector/types.js';
import { startFakeQbo, type FakeQbo } from '../../fakes/qbo/index.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../../support/fault-proxy.js';
import { factoryInput, previous, record, sinkContext, type MemoryContext } from './harness.js';

let fake: FakeQbo;
let proxy: FaultProxy;
let sink: Sink;
let ctx: MemoryContext;

beforeEach(async () => {
  fake = await startFakeQbo({});
  proxy = await startFaultProxy(fake.url);
  sink = connector.createSink!(factoryInput(fake, { base_url: proxy.url }));
  ctx = sinkContext();
  await sink.open!(ctx);
});
afterEach(async () => {
  await proxy.close();
  await fake.close();
});

const ok = (r: SinkResult | undefined) => {
  if (!r || r.status === 'failed') throw new Error(JSON.stringify(r && 'error' in r ? r.error.toJSON() : r));
  return r;
};

const invoice = (doc: string, customerId: string, itemId: string) =>
  record('Invoice', doc, {
    DocNumber: doc,
    TxnDate: '2024-03-01',
    CustomerRef: { value: customerId },
    Line: [{ DetailType: 'SalesItemLineDetail', Amount: '20.00', SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: 1, UnitPrice: '20.00' } }],
  });

const payment = (customerId: string, invoiceId: string) =>
  record('Payment', 'txn_1', {
    PaymentRefNum: 'txn_1',
    TxnDate: '2024-03-02',
    TotalAmt: '20.00',
    CustomerRef: { value: customerId },
    Line: [{ Amount: '20.00', LinkedTxn: [{ TxnId: invoiceId, TxnType: 'Invoice' }] }],
  });

/** A customer, an item, invoice INV-1 and a payment of it, written through the sink. */
async function paidInvoice() {
  const [c, i] = await sink.write(
    [
      record('Customer', 'cb_1', { DisplayName: 'Acme', Notes: 'cb_1', CurrencyRef: { value: 'USD' } }),
      record('Item', 'Pro', { Name: 'Pro', Type: 'Service', IncomeAccountRef: { value: '80' }, UnitPrice: '10.00' }),
    ],
    ctx,
  );
  const customerId = ok(c).targetId!;
  const itemId = ok(i).targetId!;
  const inv = ok((await sink.write([invoice('INV-1', customerId, itemId)], ctx))[0]);
  const pay = ok((await sink.write([payment(customerId, inv.targetId!)], ctx))[0]);
  return { customerId, itemId, invoice: inv, payment: pay };
}

const voidsApplied = (since: number) => fake.state.writes.slice(since).filter((w) => w.operation === 'void');

describe.each<[string, Fault]>([
  ['a reset after forwarding', { kind: 'reset-after' }],
  ['a 502 after forwarding', { kind: 'status', status: 502 }],
  ['a truncated body', { kind: 'truncate' }],
])('QuickBooks Online: a void whose answer is lost by %s', (_, fault) => {
  it('an Invoice (operation=void) is voided once and reported done', async () => {
    const { customerId, itemId, invoice: inv } = await paidInvoice();
    const before = fake.state.writes.length;
    proxy.inject({ method: 'POST', path: /operation=void/, fault });
    const [result] = await sink.write(
      [{ ...invoice('INV-1', customerId, itemId), action: 'void', previous: previous(inv.targetId!, inv.targetVersion!) }],
      ctx,
    );
    expect(proxy.injected).toBe(1);
    expect(ok(result).targetId).toBe(inv.targetId);
    expect(voidsApplied(before)).toHaveLength(1);
    expect(fake.state.company.get('Invoice', inv.targetId!)!['PrivateNote']).toBe('Voided');
  });

  it('a Payment (sparse update with include=void) is voided once and reported done', async () => {
    const { customerId, invoice: inv, payment: pay } = await paidInvoice();
    const before = fake.state.writes.length;
    proxy.inject({ method: 'POST', path: /include=void/, fault });
    const [result] = await sink.write([{ ...payment(customerId, inv.targetId!), action: 'void', previous: previous(pay.targetId!, pay.targetVersion!) }], ctx);
    expect(proxy.injected).toBe(1);
    expect(ok(result).targetId).toBe(pay.targetId);
    expect(voidsApplied(before)).toHaveLength(1);
  });
});

describe('QuickBooks Online: a void already in QuickBooks', () => {
  it('left unconfirmed by a run that died is not sent again', async () => {
    const { customerId, itemId, invoice: inv } = await paidInvoice();
    await sink.write([{ ...invoice('INV-1', customerId, itemId), action: 'void', previous: previous(inv.targetId!, inv.targetVersion!) }], ctx);
    const before = fake.state.writes.length;
    // The ledger still holds the version before the void, flagged as a write that may have landed.
    const [result] = await sink.write(
      [{ ...invoice('INV-1', customerId, itemId), action: 'void', previous: previous(inv.targetId!, inv.targetVersion!, true) }],
      ctx,
    );
    expect(result).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/already voided/), targetId: inv.targetId });
    expect(voidsApplied(before)).toEqual([]);
  });

  it('voided by hand is not voided a second time', async () => {
    const { customerId, itemId, invoice: inv } = await paidInvoice();
    const current = fake.state.company.get('Invoice', inv.targetId!)!;
    fake.state.company.void('Invoice', { Id: inv.targetId, SyncToken: current['SyncToken'] });
    const before = fake.state.writes.length;
    const [result] = await sink.write(
      [{ ...invoice('INV-1', customerId, itemId), action: 'void', previous: previous(inv.targetId!, inv.targetVersion!) }],
      ctx,
    );
    expect(result).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/already voided/) });
    expect(voidsApplied(before)).toEqual([]);
    expect(fake.state.company.get('Invoice', inv.targetId!)!['PrivateNote']).toBe('Voided');
  });
});
