/**
 * A void whose answer is lost after QuickBooks applied it is not applied again: the client's repeat
 * carries the same SyncToken and is refused as stale (5010), and the sink, reading the document
 * again, finds it voided (Intuit: amounts zeroed, "Voided" prepended to PrivateNote) and reports the
 * void done instead of voiding it a second time with the fresh token. A void left unconfirmed by a
 * run that died is recognised the same way.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/quickbooks-online/index.js';
import type { Sink } from '../../../engine/connector/types.js';
import { startFakeQbo, type FakeQbo } from '../../fakes/qbo/index.js';
import { startFaultProxy, type Fault, type FaultProxy } from '../../support/fault-proxy.js';
import { factoryInput, invoiceRecord, paidInvoice, paymentRecord, previous, sinkContext, written, type MemoryContext } from './harness.js';

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

const ok = written;
const paid = () => paidInvoice(sink, ctx);

const voidsApplied = (since: number) => fake.state.writes.slice(since).filter((w) => w.operation === 'void');

describe.each<[string, Fault]>([
  ['a reset after forwarding', { kind: 'reset-after' }],
  ['a 502 after forwarding', { kind: 'status', status: 502 }],
  ['a truncated body', { kind: 'truncate' }],
])('QuickBooks Online: a void whose answer is lost by %s', (_, fault) => {
  it('an Invoice (operation=void) is voided once and reported done', async () => {
    const { customerId, itemId, invoice: inv } = await paid();
    const before = fake.state.writes.length;
    proxy.inject({ method: 'POST', path: /operation=void/, fault });
    const [result] = await sink.write(
      [{ ...invoiceRecord('INV-1', customerId, itemId), action: 'void', previous: previous(inv.targetId!, inv.targetVersion!) }],
      ctx,
    );
    expect(proxy.injected).toBe(1);
    expect(ok(result).targetId).toBe(inv.targetId);
    expect(voidsApplied(before)).toHaveLength(1);
    expect(fake.state.company.get('Invoice', inv.targetId!)!['PrivateNote']).toBe('Voided');
  });

  it('a Payment (sparse update with include=void) is voided once and reported done', async () => {
    const { customerId, invoice: inv, payment: pay } = await paid();
    const before = fake.state.writes.length;
    proxy.inject({ method: 'POST', path: /include=void/, fault });
    const [result] = await sink.write(
      [{ ...paymentRecord(customerId, inv.targetId!), action: 'void', previous: previous(pay.targetId!, pay.targetVersion!) }],
      ctx,
    );
    expect(proxy.injected).toBe(1);
    expect(ok(result).targetId).toBe(pay.targetId);
    expect(voidsApplied(before)).toHaveLength(1);
  });
});

describe('QuickBooks Online: a void already in QuickBooks', () => {
  it('left unconfirmed by a run that died is not sent again', async () => {
    const { customerId, itemId, invoice: inv } = await paid();
    await sink.write([{ ...invoiceRecord('INV-1', customerId, itemId), action: 'void', previous: previous(inv.targetId!, inv.targetVersion!) }], ctx);
    const before = fake.state.writes.length;
    // The ledger still holds the version before the void, flagged as a write that may have landed.
    const [result] = await sink.write(
      [{ ...invoiceRecord('INV-1', customerId, itemId), action: 'void', previous: previous(inv.targetId!, inv.targetVersion!, true) }],
      ctx,
    );
    expect(result).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/already voided/), targetId: inv.targetId });
    expect(voidsApplied(before)).toEqual([]);
  });

  it('voided by hand is not voided a second time', async () => {
    const { customerId, itemId, invoice: inv } = await paid();
    const current = fake.state.company.get('Invoice', inv.targetId!)!;
    fake.state.company.void('Invoice', { Id: inv.targetId, SyncToken: current['SyncToken'] });
    const before = fake.state.writes.length;
    const [result] = await sink.write(
      [{ ...invoiceRecord('INV-1', customerId, itemId), action: 'void', previous: previous(inv.targetId!, inv.targetVersion!) }],
      ctx,
    );
    expect(result).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/already voided/) });
    expect(voidsApplied(before)).toEqual([]);
    expect(fake.state.company.get('Invoice', inv.targetId!)!['PrivateNote']).toBe('Voided');
  });
});
