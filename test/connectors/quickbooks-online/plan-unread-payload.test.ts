/**
 * A ledger entry that kept no payload (`wantCurrent`): plan reads the document for its diff, but decides
 * only from what the run reads (voids and pending writes), so it says what the run then does.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/quickbooks-online/index.js';
import type { PlanningRecord, Sink } from '../../../engine/connector/types.js';
import { startFakeQbo, type FakeQbo } from '../../fakes/qbo/index.js';
import { factoryInput, previous, record, sinkContext, written, type MemoryContext } from './harness.js';

let fake: FakeQbo;
let sink: Sink;
let ctx: MemoryContext;
let refs: { customer: string; item: string };

beforeEach(async () => {
  fake = await startFakeQbo();
  sink = connector.createSink!(factoryInput(fake));
  ctx = sinkContext();
  await sink.open!(ctx);
  const [customer, item] = await sink.write(
    [
      record('Customer', 'cb_1', { DisplayName: 'Acme Corp', Notes: 'cb_1', CurrencyRef: { value: 'USD' } }),
      record('Item', 'Pro plan', { Name: 'Pro plan', Type: 'Service', IncomeAccountRef: { value: '80' }, UnitPrice: '10.00' }),
    ],
    ctx,
  );
  refs = { customer: written(customer).targetId, item: written(item).targetId };
});
afterEach(async () => {
  await fake?.close();
});

const invoice = (doc: string, amount: string, extra: Partial<PlanningRecord> = {}): PlanningRecord =>
  record(
    'Invoice',
    doc,
    {
      DocNumber: doc,
      TxnDate: '2024-03-01',
      CustomerRef: { value: refs.customer },
      PrivateNote: `Chargebee invoice ${doc}`,
      Line: [{ DetailType: 'SalesItemLineDetail', Amount: amount, SalesItemLineDetail: { ItemRef: { value: refs.item }, Qty: 1, UnitPrice: amount } }],
    },
    extra,
  );

describe('QBO plan vs run: a confirmed ledger entry with no payload kept (wantCurrent)', () => {
  it('is planned as the run then writes it (the run sends an update; plan must not say skip)', async () => {
    const created = written((await sink.write([invoice('INV-W', '20.00')], ctx))[0]);
    // The ledger knows the document (confirmed, not pending) but kept no payload (an entry older than payloads): plan asks for the current document.
    const rec = invoice('INV-W', '20.00', { previous: previous(created.targetId, created.targetVersion!, false) });
    const planner = connector.createSink!(factoryInput(fake));
    const planned = await planner.plan!([{ ...rec, wantCurrent: true }], sinkContext(ctx.secretValues));
    const before = fake.state.writes.length;
    const [result] = await sink.write([rec], ctx);
    const sent = fake.state.writes.slice(before).map((w) => `${w.operation} ${w.entity}`);
    // What the run did:
    expect({ status: result!.status, sent }).toEqual({ status: 'updated', sent: ['update Invoice'] });
    // ...is what plan must have said (README: plan "answers what write() then does"; entries with no payload: "the diff covers the fields the mapping sends").
    expect(planned[0]).toMatchObject({ action: 'update', targetId: created.targetId });
  });
});
