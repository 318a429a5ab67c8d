/**
 * A write whose answer is lost is looked up before it is sent again: a void or delete by reading the
 * document back (voided → done, gone → deleted), so one that landed is never repeated; a create by its
 * number. A write sent again after a look-up that did not find it is a repeat: once the first attempt
 * landed after all, QuickBooks refuses the repeat (5010 stale, 610 gone, 6140 number taken), and when
 * that refusal comes back cut short nothing says why, so the write is in doubt and looked up again,
 * never dead-lettered as a refusal. A first attempt's refusal that cannot be read is still a refusal:
 * nothing was lost before it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/quickbooks-online/index.js';
import type { Sink } from '../../../engine/connector/types.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { createConnection, type HttpConnection, type HttpRequest } from '../../../engine/http/connection.js';
import { RECEIVABLE_ACCOUNT_IDS } from '../../fakes/qbo/company.js';
import { startFakeQbo, type FakeQbo } from '../../fakes/qbo/index.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';
import { factoryInput, invoiceRecord, paidInvoice, paymentRecord, previous, record, sinkContext, written, type MemoryContext } from './harness.js';

let fake: FakeQbo;
let proxy: FaultProxy;
let sink: Sink;
let ctx: MemoryContext;

async function openSink(wrap: (connection: HttpConnection) => HttpConnection = (c) => c): Promise<void> {
  const input = factoryInput(fake, { base_url: proxy.url });
  input.http = { connect: (options) => (options.label.startsWith('QuickBooks Online') ? wrap(createConnection(options)) : createConnection(options)) };
  sink = connector.createSink!(input);
  ctx = sinkContext();
  await sink.open!(ctx);
}

beforeEach(async () => {
  fake = await startFakeQbo({});
  proxy = await startFaultProxy(fake.url);
});
afterEach(async () => {
  await proxy.close();
  await fake.close();
});

const writesSince = (since: number, operation: string) => fake.state.writes.slice(since).filter((w) => w.operation === operation);

/** The first attempt lands and its answer is lost (502); anything sent again would have its refusal cut short. */
function loseThenGarble(path: RegExp): void {
  proxy.inject({ method: 'POST', path, times: 1, fault: { kind: 'status', status: 502 } });
  proxy.inject({ method: 'POST', path, times: 1, fault: { kind: 'truncate' } });
}

describe('QuickBooks Online: a write whose answer was lost, and a repeat whose refusal cannot be read', () => {
  beforeEach(() => openSink());

  it('a Payment void (include=void) that landed is reported done, voided once', async () => {
    const { customerId, invoice: inv, payment: pay } = await paidInvoice(sink, ctx);
    const before = fake.state.writes.length;
    loseThenGarble(/include=void/);
    const [result] = await sink.write(
      [{ ...paymentRecord(customerId, inv.targetId!), action: 'void', previous: previous(pay.targetId!, pay.targetVersion!) }],
      ctx,
    );
    // Read back, found voided: never sent again (before, the repeat's cut-short 5010 was a refusal).
    expect(proxy.injected).toBe(1);
    expect(written(result).targetId).toBe(pay.targetId);
    expect(writesSince(before, 'void')).toHaveLength(1);
    expect(fake.state.company.get('Payment', pay.targetId!)!['TxnStatus']).toBe('Voided');
  });

  it('an Invoice void (operation=void) that landed is reported done, voided once', async () => {
    const { customerId, itemId, invoice: inv } = await paidInvoice(sink, ctx);
    const before = fake.state.writes.length;
    loseThenGarble(/operation=void/);
    const [result] = await sink.write(
      [{ ...invoiceRecord('INV-1', customerId, itemId), action: 'void', previous: previous(inv.targetId!, inv.targetVersion!) }],
      ctx,
    );
    expect(proxy.injected).toBe(1);
    expect(written(result).targetId).toBe(inv.targetId);
    expect(writesSince(before, 'void')).toHaveLength(1);
  });

  it('a JournalEntry delete that landed is reported done, deleted once', async () => {
    const { customerId } = await paidInvoice(sink, ctx);
    const entry = record('JournalEntry', 'rf_1', {
      DocNumber: 'rf_1',
      TxnDate: '2024-03-03',
      Line: [
        {
          DetailType: 'JournalEntryLineDetail',
          Amount: '5.00',
          JournalEntryLineDetail: {
            PostingType: 'Debit',
            AccountRef: { value: RECEIVABLE_ACCOUNT_IDS['USD'] },
            Entity: { Type: 'Customer', EntityRef: { value: customerId } },
          },
        },
        { DetailType: 'JournalEntryLineDetail', Amount: '5.00', JournalEntryLineDetail: { PostingType: 'Credit', AccountRef: { value: '35' } } },
      ],
    });
    const je = written((await sink.write([entry], ctx))[0]);
    const before = fake.state.writes.length;
    loseThenGarble(/operation=delete/);
    const [result] = await sink.write([{ ...entry, action: 'delete', previous: previous(je.targetId, je.targetVersion ?? null) }], ctx);
    expect(proxy.injected).toBe(1);
    expect(result).toMatchObject({ targetId: je.targetId });
    expect(result!.status).not.toBe('failed');
    expect(writesSince(before, 'delete')).toHaveLength(1);
    expect(fake.state.company.get('JournalEntry', je.targetId)).toBeUndefined();
  });

  it('a first attempt refused with an answer cut short is still a refusal: nothing was lost before it', async () => {
    const { customerId } = await paidInvoice(sink, ctx);
    const before = fake.state.writes.length;
    proxy.inject({ method: 'POST', path: /\/invoice\?/, times: 1, fault: { kind: 'truncate' } });
    // Item 999 does not exist: QuickBooks refuses the invoice, and the refusal is cut short.
    const [result] = await sink.write([invoiceRecord('INV-2', customerId, '999')], ctx);
    expect(proxy.injected).toBe(1);
    expect(result).toMatchObject({ status: 'failed', error: { code: 'qbo_http_400', kind: 'record', mayHaveSucceeded: false } });
    expect(fake.state.writes.length).toBe(before);
  });
});

/**
 * Opens the sink so that, once `hold()` is called, the next invoice create times out at the client
 * while a gateway still holds it: it lands only after the sink's look-up by DocNumber (then `landed`
 * runs), so the look-up misses it and the create is sent again.
 */
async function openSinkLandingCreateLate(landed: () => void = () => {}): Promise<{ hold: () => void }> {
  let held: HttpRequest | undefined;
  let holding = false;
  await openSink((real) => ({
    ...real,
    retryPolicy: real.retryPolicy,
    stats: real.stats,
    send: async (request) => {
      if (holding && request.method === 'POST' && request.path === 'invoice' && request.query?.['operation'] === undefined) {
        holding = false;
        held = request;
        return {
          outcome: 'uncertain',
          error: new LedgersyncError('connection_failed', 'transient', 'POST invoice timed out', { mayHaveSucceeded: true }),
        };
      }
      return real.send(request);
    },
    request: async (request) => {
      const response = await real.request(request);
      const lookUp = request.path === 'query' && String(request.query?.['query']).includes('DocNumber');
      if (held && lookUp) {
        const late = held;
        held = undefined;
        await real.send(late);
        landed();
      }
      return response;
    },
  }));
  return { hold: () => (holding = true) };
}

describe('QuickBooks Online: a create sent again after a look-up that missed it', () => {
  it('is looked up again, not dead-lettered, when the resend is refused (6140) with an answer cut short', async () => {
    const late = await openSinkLandingCreateLate();
    const { customerId, itemId } = await paidInvoice(sink, ctx);
    const before = fake.state.writes.length;
    late.hold();
    // The late landing goes through untouched; the resend's 6140 is cut short.
    proxy.inject({ method: 'POST', path: /\/invoice\?/, skip: 1, times: 1, fault: { kind: 'truncate' } });
    const [result] = await sink.write([invoiceRecord('INV-LATE', customerId, itemId)], ctx);
    expect(proxy.injected).toBe(1);
    const created = fake.state.entities('Invoice').filter((i) => i['DocNumber'] === 'INV-LATE');
    expect(created).toHaveLength(1);
    expect(writesSince(before, 'create')).toHaveLength(1);
    expect(result).toMatchObject({ status: 'created', targetId: created[0]!.Id });
  });

  it('of a document voided before its first sync (a create a void completes): the document its 6140 finds is voided, not left open', async () => {
    const late = await openSinkLandingCreateLate();
    const { customerId, itemId } = await paidInvoice(sink, ctx);
    const before = fake.state.writes.length;
    late.hold();
    const [result] = await sink.write([{ ...invoiceRecord('INV-VOIDED', customerId, itemId), action: 'void' }], ctx);
    const invoices = fake.state.entities('Invoice').filter((i) => i['DocNumber'] === 'INV-VOIDED');
    expect(invoices).toHaveLength(1);
    // Chargebee voided it: no 20.00 receivable stays open in QuickBooks behind a record reported done.
    expect(invoices[0]).toMatchObject({ TxnStatus: 'Voided', TotalAmt: 0 });
    expect(writesSince(before, 'create')).toHaveLength(1);
    expect(writesSince(before, 'void')).toHaveLength(1);
    expect(result).toMatchObject({ status: 'updated', targetId: invoices[0]!.Id, targetVersion: invoices[0]!.SyncToken });
  });

  it('of a document voided before its first sync, found voided already: it is not voided again', async () => {
    const voidedByHand = () => {
      const landed = fake.state.entities('Invoice').find((i) => i['DocNumber'] === 'INV-VOIDED')!;
      fake.state.company.void('Invoice', { Id: landed.Id, SyncToken: landed.SyncToken });
    };
    const late = await openSinkLandingCreateLate(voidedByHand);
    const { customerId, itemId } = await paidInvoice(sink, ctx);
    const before = fake.state.writes.length;
    late.hold();
    const [result] = await sink.write([{ ...invoiceRecord('INV-VOIDED', customerId, itemId), action: 'void' }], ctx);
    const invoices = fake.state.entities('Invoice').filter((i) => i['DocNumber'] === 'INV-VOIDED');
    expect(invoices).toHaveLength(1);
    expect(invoices[0]).toMatchObject({ TxnStatus: 'Voided', TotalAmt: 0 });
    // The one void is the one made before the sink read the document.
    expect(writesSince(before, 'void')).toHaveLength(1);
    expect(result).toMatchObject({ status: 'skipped', targetId: invoices[0]!.Id, reason: expect.stringContaining('already voided') });
  });
});
