/**
 * A credit note or payment changed after it was posted is a dead letter saying to take the Intacct
 * document back by hand; the next run posts the new version. When that run's ledger write is lost
 * (the answer of its create lost and the look-ups after it failing, as under a SIGKILL), the ledger
 * still names the OLD RECORDNO, reversed or deleted, with the write pending. Before, a void of the
 * record in Chargebee then looked up that RECORDNO only, found it gone or reversed and skipped
 * ("nothing to delete", "reversed in Intacct already"): the repost stood in Intacct behind an exit-0
 * run. Now such a void is looked up a second time by its key, as a repost is, and the document that
 * stands is reversed or deleted; `ledgersync plan` shows it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { connector } from '../../../connectors/sage-intacct/index.js';
import { silentLogger } from '../../../engine/log.js';
import { planPipeline } from '../../../engine/run/change-plan.js';
import type { PlanningRecord } from '../../../engine/connector/types.js';
import { startFakeIntacct, type FakeIntacct } from '../../fakes/intacct/index.js';
import { behindFaultProxy, startSandbox, type Sandbox } from './e2e-harness.js';
import { intacctInput, record, seedCustomers, sinkContext } from './helpers.js';
import { MARCH_1, creditNote, customer, payment } from './scenario.js';

const MARCH_9 = MARCH_1 + 8 * 86_400;

let s: Sandbox | undefined;
let fake: FakeIntacct | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
  await fake?.close();
  fake = undefined;
});

const memos = (st: FakeIntacct['state'], id: string) => [...st.arDocuments.values()].filter((d) => d.kind === 'adjustment' && d.RECORDID === id);
const payments = (st: FakeIntacct['state'], id: string) => [...st.arPayments.values()].filter((p) => p.DOCNUMBER === id);
const calls = (st: FakeIntacct['state'], fn: string) => st.requests.flatMap((r) => r.functions).filter((f) => f === fn);

/** The next run posts the new version; its answer is lost and every look-up after it fails, so the ledger never records it. */
async function repostWithLedgerWriteLost(sb: Sandbox, create: string): Promise<void> {
  const proxy = await behindFaultProxy(sb);
  try {
    proxy.inject({ method: 'POST', body: new RegExp(`<${create}`), fault: { kind: 'status', status: 502 } });
    sb.intacct.faults.afterWrite = async () => {
      proxy.inject({ method: 'POST', body: /<readByQuery/, times: Number.POSITIVE_INFINITY, fault: { kind: 'status', status: 503, forward: false } });
    };
    expect((await sb.run()).exitCode).not.toBe(0);
  } finally {
    sb.intacct.faults.afterWrite = undefined;
    await proxy.close();
    sb.env['INTACCT_ENDPOINT_URL'] = sb.intacct.url;
    sb.intacct.advertiseEndpoint(sb.intacct.url);
  }
}

describe('Sage Intacct: a repost whose ledger write was lost, then the record voided in Chargebee', () => {
  it('the credit memo posted again after its hand deletion is deleted, once', async () => {
    s = await startSandbox({ cb: { customers: 0 } });
    customer(s.cb, 'cust_rp');
    creditNote(s.cb, 'cn_rp', 'cust_rp', 1_000, { type: 'refundable' });
    expect((await s.run()).exitCode).toBe(0);
    const [first] = memos(s.intacct.state, 'cn_rp');

    const { line_items } = s.cb.state.get('credit_notes', 'cn_rp') as unknown as { line_items: Record<string, unknown>[] };
    s.cb.state.touch('credit_notes', 'cn_rp', {
      total: 1_500,
      sub_total: 1_500,
      line_items: [{ ...line_items[0], unit_amount: 1_500, amount: 1_500 }],
    } as never);
    expect((await s.run()).exitCode).toBe(1);
    expect(s.deadLetters('credit_notes')[0]?.errorCode).toBe('intacct_update_unsupported');

    s.intacct.state.arDocuments.delete(first!.RECORDNO);
    await repostWithLedgerWriteLost(s, 'create_aradjustment');
    const [repost] = memos(s.intacct.state, 'cn_rp');
    expect(repost?.RECORDNO).not.toBe(first!.RECORDNO);

    s.cb.state.touch('credit_notes', 'cn_rp', { status: 'voided', voided_at: MARCH_9 } as never);
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(s.deadLetters())).toBe(0);
    expect(memos(s.intacct.state, 'cn_rp')).toEqual([]);
    expect(calls(s.intacct.state, 'delete_aradjustment')).toHaveLength(1);

    expect((await s.run()).exitCode).toBe(0);
    expect(calls(s.intacct.state, 'delete_aradjustment')).toHaveLength(1);
  }, 30_000);

  it('the payment posted again after its hand reversal is reversed, and the one reversed by hand is not reversed again', async () => {
    s = await startSandbox({ cb: { customers: 0 } });
    customer(s.cb, 'cust_rq');
    payment(s.cb, 'txn_rq', 'cust_rq', 5_000, []);
    expect((await s.run()).exitCode).toBe(0);
    const [first] = payments(s.intacct.state, 'txn_rq');

    s.cb.state.touch('transactions', 'txn_rq', { amount: 6_000 } as never);
    expect((await s.run()).exitCode).toBe(1);
    expect(s.deadLetters('payments')[0]?.errorCode).toBe('intacct_update_unsupported');

    Object.assign(first!, { reversed: { date: '2024-03-08', description: 'reversed by hand' }, applied: 0n });
    await repostWithLedgerWriteLost(s, 'create_arpayment');
    const standing = () => payments(s!.intacct.state, 'txn_rq').filter((p) => !p.reversed);
    expect(standing()).toHaveLength(1);
    const repost = standing()[0]!;

    s.cb.state.touch('transactions', 'txn_rq', { status: 'voided', voided_at: MARCH_9 } as never);
    const planned = await planPipeline({
      connectors: installedConnectors,
      pipelinePath: s.pipelinePath,
      statePath: s.statePath,
      env: s.env,
      log: silentLogger,
      streams: ['payments'],
    });
    expect(planned.changes).toEqual([expect.objectContaining({ sourceId: 'txn_rq', action: 'void', targetId: repost.RECORDNO })]);
    const run = await s.run();
    expect(run.exitCode, JSON.stringify(s.deadLetters())).toBe(0);
    expect(standing()).toEqual([]);
    expect(repost.reversed).toBeDefined();
    expect(first!.reversed).toEqual({ date: '2024-03-08', description: 'reversed by hand' });
    expect(calls(s.intacct.state, 'reverse_arpayment')).toHaveLength(1);

    expect((await s.run()).exitCode).toBe(0);
    expect(calls(s.intacct.state, 'reverse_arpayment')).toHaveLength(1);
  }, 30_000);
});

describe('Sage Intacct sink: a void whose ledger RECORDNO is reversed or gone', () => {
  const memo = (no: string, amount: string) => ({
    customerid: 'C1',
    datecreated: '2024-02-05',
    adjustmentno: no,
    aradjustmentitems: [{ glaccountno: '4000', amount }],
  });
  const voided = (object: string, id: string, data: Record<string, unknown>, targetId: string): PlanningRecord => ({
    ...record(object, id, data, { targetId, targetVersion: targetId, pendingWrite: true }),
    action: 'void',
  });

  async function openFake(): Promise<ReturnType<NonNullable<typeof connector.createSink>>> {
    fake = await startFakeIntacct();
    seedCustomers(fake, 'C1');
    return connector.createSink!(intacctInput(fake));
  }

  it('plans and deletes the credit memo that stands under its key; one gone for good is still skipped', async () => {
    const sink = await openFake();
    const [posted] = await sink.write([record('ARADJUSTMENT', 'cn_1', memo('cn_1', '-10.00'))], sinkContext());
    const old = (posted as { targetId: string }).targetId;
    fake!.state.arDocuments.delete(old);
    const [reposted] = await sink.write([record('ARADJUSTMENT', 'cn_1', memo('cn_1', '-15.00'))], sinkContext());
    const repost = (reposted as { targetId: string }).targetId;

    const [planned] = await sink.plan!([voided('ARADJUSTMENT', 'cn_1', { adjustmentno: 'cn_1' }, old)], sinkContext());
    expect(planned).toMatchObject({
      action: 'void',
      targetId: repost,
      note: expect.stringContaining(`since RECORDNO ${old} of the ledger was reversed or deleted`),
    });

    const [result] = await sink.write([voided('ARADJUSTMENT', 'cn_1', { adjustmentno: 'cn_1' }, old)], sinkContext());
    expect(result).toMatchObject({ status: 'updated', targetId: repost });
    expect(memos(fake!.state, 'cn_1')).toEqual([]);

    // Gone for good (nothing stands under its key): nothing to delete, as before.
    const [again] = await sink.write([voided('ARADJUSTMENT', 'cn_1', { adjustmentno: 'cn_1' }, old)], sinkContext());
    expect(again).toMatchObject({ status: 'skipped', reason: expect.stringContaining(`RECORDNO ${old} is gone`) });
    expect(calls(fake!.state, 'delete_aradjustment')).toHaveLength(1);
  });
});
