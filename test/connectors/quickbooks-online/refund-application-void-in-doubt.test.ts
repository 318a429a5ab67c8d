/**
 * A voided (or failed late) refund's application Payment is voided whenever it may exist: the example
 * sends `{ _action: void, PaymentRefNum }` for every such refund, and the sink voids the Payment it
 * finds (in the ledger, or by PaymentRefNum when its create is in doubt) and skips one found nowhere,
 * creating nothing. Before, the mapping skipped the void when `$refOrNull` found no target, so a
 * Payment whose create was in doubt (run killed after QuickBooks applied it) stood unvoided, spending
 * the credit memos' credit, behind exit-0 runs.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/quickbooks-online/index.js';
import type { LedgerEntry, Sink } from '../../../engine/connector/types.js';
import { startFakeQbo, type FakeQbo } from '../../fakes/qbo/index.js';
import type { Transaction } from 'chargebee';
import { leaveWriteInDoubt } from '../../support/ledger-state.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import { factoryInput, paidInvoice, previous, record, sinkContext, written, type MemoryContext } from './harness.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

function refundOfCreditNote(sandbox: Sandbox): Transaction {
  const refund = sandbox.cb.state
    .all('transactions')
    .find((t) => t.type === 'refund' && t.status === 'success' && !t.deleted && (t.linked_credit_notes ?? []).some((n) => n.applied_amount > 0));
  if (!refund) throw new Error('the seeded site has no refund of a credit note');
  return refund;
}

const voidRefund = (sandbox: Sandbox, refund: Transaction) =>
  sandbox.cb.state.touch('transactions', refund.id, { status: 'voided', voided_at: refund.date! + 86_400 } as never);

/** QuickBooks requests that name the refund (its look-ups by PaymentRefNum and DocNumber), from `from` on. */
const requestsNaming = (sandbox: Sandbox, id: string, from: number) => sandbox.qbo.state.requests.slice(from).filter((r) => JSON.stringify(r).includes(id));

describe('QuickBooks: a voided refund whose application Payment the ledger does not know', () => {
  it('voids the Payment whose create was in doubt, and the next run leaves it settled', async () => {
    s = await startSandbox({ customers: 40 });
    await s.run();
    const refund = refundOfCreditNote(s);
    const sandbox = s;
    const payment = () => sandbox.qbo.state.entities('Payment').find((p) => p['PaymentRefNum'] === refund.id)!;
    expect(payment()['TxnStatus']).toBeUndefined();

    // The state a run leaves when it dies between QuickBooks' create and the ledger write (no target id).
    expect(leaveWriteInDoubt(s.statePath, 'refund_applications', refund.id)).toBe(1);

    voidRefund(s, refund);
    const run = await s.run();
    expect(run.exitCode).toBe(0);
    expect(run.streams['refund_applications']).toMatchObject({ updated: 1, failed: 0 });
    // Before: skipped by the mapping, and the Payment kept applying the memos' credit.
    expect(payment()['TxnStatus']).toBe('Voided');

    const writes = s.qbo.state.writes.length;
    const again = await s.run({ fullRefresh: true });
    expect(again.exitCode).toBe(0);
    expect(s.qbo.state.writes.length).toBe(writes);
  }, 60_000);

  it('creates nothing for a refund voided before its first sync, and looks it up once', async () => {
    s = await startSandbox({ customers: 40 });
    const refund = refundOfCreditNote(s);
    voidRefund(s, refund);
    const first = await s.run();
    expect(first.exitCode).toBe(0);
    expect(first.streams['refund_applications']?.failed ?? 0).toBe(0);
    expect(s.qbo.state.entities('Payment').filter((p) => p['PaymentRefNum'] === refund.id)).toEqual([]);
    expect(s.qbo.state.writes.filter((w) => w.entity === 'Payment' && w.operation === 'create' && JSON.stringify(w).includes(refund.id))).toEqual([]);

    // The skip settles the record in the ledger: neither the next run nor one reading everything again looks it up again.
    const from = s.qbo.state.requests.length;
    expect((await s.run()).exitCode).toBe(0);
    const again = await s.run({ fullRefresh: true });
    expect(again.exitCode).toBe(0);
    expect(again.streams['refund_applications']?.failed ?? 0).toBe(0);
    expect(requestsNaming(s, refund.id, from)).toEqual([]);
  }, 60_000);
});

describe('the QuickBooks Online sink: a void carrying only its key', () => {
  let fake: FakeQbo;
  let sink: Sink;
  let ctx: MemoryContext;
  beforeEach(async () => {
    fake = await startFakeQbo();
    sink = connector.createSink!(factoryInput(fake));
    ctx = sinkContext();
    await sink.open!(ctx);
  });
  afterEach(() => fake.close());

  const bareVoid = (entry: LedgerEntry, id = 'txn_r9') =>
    record('Payment', id, { PaymentRefNum: id }, { action: 'void', contentHash: `void-${id}`, previous: entry });

  it('voids the Payment it finds by the key when the ledger has no target (its create in doubt)', async () => {
    // Payment txn_1, created by an earlier write the ledger never recorded.
    const { payment } = await paidInvoice(sink, ctx);
    const [planned] = await sink.plan!([bareVoid(previous(null, null, true), 'txn_1')], ctx);
    const [result] = await sink.write([bareVoid(previous(null, null, true), 'txn_1')], ctx);
    expect(planned).toMatchObject({ action: 'void', targetId: payment.targetId });
    expect(written(result).targetId).toBe(payment.targetId);
    expect(fake.state.company.get('Payment', payment.targetId)!['TxnStatus']).toBe('Voided');
  });

  it('is skipped, saying why, when no document holds the key; nothing is created', async () => {
    const writes = fake.state.writes.length;
    const [planned] = await sink.plan!([bareVoid(previous(null, null, true))], ctx);
    const [result] = await sink.write([bareVoid(previous(null, null, true))], ctx);
    expect(planned).toEqual({ action: 'skip', note: 'not in QuickBooks (Payment.PaymentRefNum = txn_r9), nothing to void' });
    expect(result).toEqual({ status: 'skipped', reason: 'not in QuickBooks (Payment.PaymentRefNum = txn_r9), nothing to void' });
    expect(fake.state.writes.length).toBe(writes);
  });

  it('is not looked up again once the same void found nothing and nothing was written since', async () => {
    const requests = fake.state.requests.length;
    const settled = { ...previous(null, null), contentHash: 'void-txn_r9' };
    const [result] = await sink.write([bareVoid(settled)], ctx);
    expect(result).toEqual({ status: 'skipped', reason: 'not in QuickBooks when last looked up (Payment.PaymentRefNum = txn_r9), nothing to void' });
    expect(fake.state.requests.length).toBe(requests);
  });
});
