/**
 * A document voided in the source before its first sync reaches QuickBooks as a create followed by
 * a void. The record is `created` (the document is new to QuickBooks, and the run counts it so), and
 * its audit entry keeps both requests, so the trail shows the create QuickBooks applied (README
 * "Audit trail and replay": every write attempt is in the trail).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/quickbooks-online/index.js';
import type { Sink } from '../../../engine/connector/types.js';
import { StateStore } from '../../../engine/state/store.js';
import { startFakeQbo, type FakeQbo } from '../../fakes/qbo/index.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import { customerAndItem, factoryInput, record, sinkContext, type MemoryContext } from './harness.js';

describe('the QuickBooks Online sink voiding a document never synced', () => {
  let fake: FakeQbo;
  let sink: Sink;
  let ctx: MemoryContext;
  let refs: { customer: string; item: string };

  beforeEach(async () => {
    fake = await startFakeQbo();
    sink = connector.createSink!(factoryInput(fake));
    ctx = sinkContext();
    await sink.open!(ctx);
    refs = await customerAndItem(sink, ctx);
  });
  afterEach(async () => {
    await fake?.close();
  });

  const voidedInvoice = (doc: string) =>
    record(
      'Invoice',
      doc,
      {
        DocNumber: doc,
        TxnDate: '2024-03-01',
        CustomerRef: { value: refs.customer },
        Line: [{ DetailType: 'SalesItemLineDetail', Amount: '20.00', SalesItemLineDetail: { ItemRef: { value: refs.item }, Qty: 1, UnitPrice: '20.00' } }],
      },
      { action: 'void' },
    );

  it('reports the record created, at the version after the void, with the create and the void it sent', async () => {
    const before = fake.state.writes.length;
    const [result] = await sink.write([voidedInvoice('V-1')], ctx);
    const sent = fake.state.writes.slice(before);
    expect(sent.map((w) => w.operation)).toEqual(['create', 'void']);
    const id = sent[0]!.id;
    expect(fake.state.company.get('Invoice', id)).toMatchObject({ DocNumber: 'V-1', TotalAmt: 0, SyncToken: '1' });
    expect(result).toEqual({
      status: 'created',
      targetId: id,
      targetVersion: '1',
      audit: {
        sent: [
          { operation: 'create', object: 'Invoice', body: voidedInvoice('V-1').data },
          { operation: 'void', object: 'Invoice', body: { Id: id, SyncToken: '0' } },
        ],
      },
    });
  });

  it('a void refused after the create landed fails the record (retried by the next run) and still reports the create it sent', async () => {
    fake.faults.afterWrite = (event) => {
      // Deleted in QuickBooks between the create and the void.
      if (event.entity === 'Invoice' && event.operation === 'create') fake.state.company.delete('Invoice', { Id: event.id, SyncToken: '0' });
    };
    const [result] = await sink.write([voidedInvoice('V-2')], ctx);
    expect(result).toMatchObject({
      status: 'failed',
      error: { kind: 'record', message: expect.stringMatching(/the void of Invoice for source record V-2/) },
      audit: {
        sent: [
          { operation: 'create', body: { DocNumber: 'V-2' } },
          { operation: 'void', body: { SyncToken: '0' } },
        ],
      },
    });
  });
});

describe('a first sync with invoices voided before it', () => {
  let sandbox: Sandbox | undefined;
  afterEach(async () => {
    await sandbox?.close();
    sandbox = undefined;
  });

  it('counts every invoice it put in QuickBooks as created, and the trail of a voided one shows its create and void', async () => {
    const s = (sandbox = await startSandbox({ customers: 40 }));
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    const creates = s.qbo.state.writes.filter((w) => w.entity === 'Invoice' && w.operation === 'create');
    const voids = s.qbo.state.writes.filter((w) => w.entity === 'Invoice' && w.operation === 'void');
    expect(voids.length).toBeGreaterThan(0);
    expect(run.streams['invoices']).toMatchObject({ created: creates.length, updated: 0 });

    const voided = s.qbo.state.company.get('Invoice', voids[0]!.id)!;
    const state = StateStore.open(s.statePath);
    try {
      const entries = state.audit.entries('chargebee-to-quickbooks', { sourceId: String(voided['DocNumber']), stream: 'invoices' });
      expect(entries).toHaveLength(1);
      expect(entries[0]).toMatchObject({ action: 'void', object: 'Invoice', outcome: 'created', targetId: voided.Id, payloadKind: 'sent' });
      expect((entries[0]!.payload as Array<{ operation: string }>).map((r) => r.operation)).toEqual(['create', 'void']);
    } finally {
      state.close();
    }
  });
});
