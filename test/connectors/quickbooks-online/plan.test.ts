/**
 * The QuickBooks Online sink's `plan()` against the fake QBO: for each record it must answer what
 * `write()` then does with it, from the same look-ups and the same documents read (README
 * "`ledgersync plan`": "with the same look-ups the run makes").
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/quickbooks-online/index.js';
import type { PlanningRecord, Sink } from '../../../engine/connector/types.js';
import { startFakeQbo, type FakeQbo } from '../../fakes/qbo/index.js';
import { factoryInput, previous, record, sinkContext, written, type MemoryContext, customerAndItem } from './harness.js';

let fake: FakeQbo;
let sink: Sink;
let ctx: MemoryContext;
/** The QuickBooks customer and item the invoices reference. */
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

const invoice = (doc: string, amount = '20.00', extra: Partial<PlanningRecord> = {}): PlanningRecord =>
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

/** Plans the records with a fresh sink (as `ledgersync plan` does), then writes them with this one; returns both answers and the writes sent. */
async function planThenWrite(records: PlanningRecord[]) {
  const planner = connector.createSink!(factoryInput(fake));
  const planned = await planner.plan!(records, sinkContext(ctx.secretValues));
  const before = fake.state.writes.length;
  const results = await sink.write(records, ctx);
  return { planned, results, sent: fake.state.writes.slice(before).map((w) => `${w.operation} ${w.entity}`) };
}

describe('QuickBooks Online plan() answers what write() does', () => {
  it('a void of a document QuickBooks already holds voided, found by DocNumber (not in the ledger), is planned skip, and the run sends nothing', async () => {
    const held = fake.state.company.preload('Invoice', {
      DocNumber: 'V-9',
      CustomerRef: { value: refs.customer },
      PrivateNote: 'Voided - Chargebee invoice V-9',
      TotalAmt: 0,
      Balance: 0,
      Line: [],
    });
    const { planned, results, sent } = await planThenWrite([invoice('V-9', '20.00', { action: 'void' })]);
    expect(results[0]).toMatchObject({ status: 'skipped', targetId: held.Id, reason: expect.stringMatching(/already voided in QuickBooks/) });
    expect(sent).toEqual([]);
    expect(planned).toEqual([{ action: 'skip', note: `already voided in QuickBooks (Invoice ${held.Id})` }]);
  });

  it('a void of a document found by DocNumber and not voided yet is planned void of that document, and the run voids it', async () => {
    const held = fake.state.company.preload('Invoice', { DocNumber: 'V-10', CustomerRef: { value: refs.customer }, TotalAmt: 20, Line: [] });
    const { planned, results, sent } = await planThenWrite([invoice('V-10', '20.00', { action: 'void' })]);
    expect(written(results[0]).targetId).toBe(held.Id);
    expect(sent).toEqual(['void Invoice']);
    expect(planned).toEqual([{ action: 'void', targetId: held.Id }]);
  });

  it('an update an interrupted run landed (ledger entry pending) is planned skip; one it did not land is planned update with the document read', async () => {
    const created = written((await sink.write([invoice('INV-R')], ctx))[0]);
    written((await sink.write([invoice('INV-R', '30.00', { previous: previous(created.targetId, created.targetVersion!) })], ctx))[0]);

    // The ledger still has the version before the update, flagged pending: the update's answer never reached it.
    const landed = await planThenWrite([invoice('INV-R', '30.00', { previous: previous(created.targetId, created.targetVersion!, true) })]);
    expect(landed.results[0]).toMatchObject({ status: 'skipped', reason: expect.stringMatching(/already in QuickBooks as mapped/) });
    expect(landed.sent).toEqual([]);
    expect(landed.planned).toEqual([{ action: 'skip', note: `already in QuickBooks as mapped (Invoice ${created.targetId}, written by an interrupted run)` }]);

    const lost = await planThenWrite([invoice('INV-R', '35.00', { previous: previous(created.targetId, created.targetVersion!, true) })]);
    expect(lost.results[0]).toMatchObject({ status: 'updated', targetId: created.targetId });
    expect(lost.sent).toEqual(['update Invoice']);
    expect(lost.planned).toEqual([{ action: 'update', targetId: created.targetId, current: expect.objectContaining({ Id: created.targetId, TotalAmt: 30 }) }]);
  });

  it('a create an interrupted run landed (pending, no target in the ledger) is planned skip when QuickBooks holds it as mapped, else update', async () => {
    const created = written((await sink.write([invoice('INV-9')], ctx))[0]);

    const landed = await planThenWrite([invoice('INV-9', '20.00', { previous: previous(null, null, true) })]);
    expect(landed.results[0]).toMatchObject({ status: 'skipped', targetId: created.targetId });
    expect(landed.sent).toEqual([]);
    expect(landed.planned).toEqual([{ action: 'skip', note: `already in QuickBooks as mapped (Invoice ${created.targetId}, written by an interrupted run)` }]);

    const changed = await planThenWrite([invoice('INV-9', '25.00', { previous: previous(null, null, true) })]);
    expect(changed.results[0]).toMatchObject({ status: 'updated', targetId: created.targetId });
    expect(changed.sent).toEqual(['update Invoice']);
    expect(changed.planned).toEqual([
      {
        action: 'update',
        targetId: created.targetId,
        current: expect.objectContaining({ Id: created.targetId, TotalAmt: 20 }),
        note: 'an interrupted run created it; the run updates it to the mapping',
      },
    ]);
  });

  it('a document keyed before go-live is planned adopt, and the run links it without a write', async () => {
    const held = fake.state.company.preload('Invoice', { DocNumber: 'LEGACY-1', CustomerRef: { value: refs.customer }, Line: [] });
    const { planned, results, sent } = await planThenWrite([invoice('LEGACY-1')]);
    expect(results[0]).toMatchObject({ status: 'skipped', targetId: held.Id });
    expect(sent).toEqual([]);
    expect(planned).toEqual([{ action: 'adopt', targetId: held.Id, note: 'already in QuickBooks (Invoice.DocNumber = LEGACY-1): linked, left as it is' }]);
  });
});

describe('QuickBooks Online plan(): a confirmed ledger entry that kept no payload (wantCurrent)', () => {
  it('is planned as the run then writes it: the document read for the diff decides nothing the run does not read', async () => {
    const created = written((await sink.write([invoice('INV-W', '20.00')], ctx))[0]);
    // The ledger knows the document (confirmed, not pending) but kept no payload (an entry older than payloads): plan asks for the current document.
    const rec = invoice('INV-W', '20.00', { previous: previous(created.targetId, created.targetVersion!, false) });
    const planner = connector.createSink!(factoryInput(fake));
    const planned = await planner.plan!([{ ...rec, wantCurrent: true }], sinkContext(ctx.secretValues));
    const before = fake.state.writes.length;
    const [result] = await sink.write([rec], ctx);
    const sent = fake.state.writes.slice(before).map((w) => `${w.operation} ${w.entity}`);
    expect({ status: result!.status, sent }).toEqual({ status: 'updated', sent: ['update Invoice'] });
    expect(planned[0]).toMatchObject({ action: 'update', targetId: created.targetId });
  });
});
