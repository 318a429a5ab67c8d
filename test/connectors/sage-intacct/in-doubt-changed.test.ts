/**
 * A create whose answer was lost lands in Intacct; before the next run the record changes. The next
 * run finds the document by its key and must not adopt it as this version: an invoice is updated to
 * it (its lines counted first, so none is added twice); a document no update can correct (a payment,
 * a credit memo) is adopted only when Intacct holds its total, and is otherwise a dead letter naming
 * both totals. Before, every such document was adopted as `created` with the new version in the
 * ledger, which later runs skipped as unchanged: Intacct kept the first version for good.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/sage-intacct/index.js';
import type { PlanningRecord, SinkResult } from '../../../engine/connector/types.js';
import type { LedgersyncError } from '../../../engine/errors.js';
import { startFakeIntacct, type FakeIntacct } from '../../fakes/intacct/index.js';
import type { FaultProxy } from '../../support/fault-proxy.js';
import { behindFaultProxy, startSandbox, type Sandbox } from './e2e-harness.js';
import { intacctInput, record, seedCustomers, sinkContext } from './helpers.js';
import { customer, invoice as cbInvoice } from './scenario.js';

const ctx = sinkContext();
const inDoubt = { pendingWrite: true };

const line = (memo: string, amount: string) => ({ glaccountno: '4000', amount, memo });
const invoice = (no: string, lines: Record<string, unknown>[]) => ({
  customerid: 'C1',
  datecreated: '2024-02-01',
  datedue: '2024-03-02',
  invoiceno: no,
  currency: 'USD',
  invoiceitems: lines,
});
const payment = (refid: string, amount: string) => ({
  customerid: 'C1',
  paymentamount: amount,
  bankaccountid: 'BOA',
  refid,
  datereceived: '2024-02-07',
  paymentmethod: 'Credit Card',
  currency: 'USD',
});
const creditMemo = (no: string, amount: string) => ({
  customerid: 'C1',
  datecreated: '2024-02-05',
  adjustmentno: no,
  aradjustmentitems: [{ glaccountno: '4000', amount, taxentries: [{ detailid: 'Sales Tax', trx_tax: '-1.00' }] }],
});

function failedError(result: SinkResult | undefined): LedgersyncError {
  if (result?.status !== 'failed') throw new Error(`expected a failed result, got ${JSON.stringify(result)}`);
  return result.error;
}

/** The fake Intacct of the sink-level tests below, with customer C1. */
let fake: FakeIntacct;
const sink = () => connector.createSink!(intacctInput(fake));
const payments = (refid: string) => [...fake.state.arPayments.values()].filter((p) => p.DOCNUMBER === refid);

describe('Sage Intacct sink: a create in doubt found in Intacct, changed since', () => {
  beforeEach(async () => {
    fake = await startFakeIntacct();
    seedCustomers(fake, 'C1');
  });
  afterEach(() => fake.close());

  const invoices = (no: string) => [...fake.state.arDocuments.values()].filter((d) => d.kind === 'invoice' && d.RECORDID === no);
  const written = () => fake.state.requests.flatMap((r) => r.functions).filter((f) => !['readByQuery', 'readMore', 'getAPISession'].includes(f));

  it('an invoice that gained a line is updated to the new version, once, and counted created', async () => {
    const s = sink();
    await s.write([record('ARINVOICE', 'inv_1', invoice('inv_1', [line('one', '50.00')]))], ctx);
    const changed = invoice('inv_1', [line('one', '50.00'), line('two', '25.00')]);

    const [result] = await s.write([record('ARINVOICE', 'inv_1', changed, inDoubt)], ctx);
    expect(result).toMatchObject({ status: 'created', targetId: invoices('inv_1')[0]!.RECORDNO });
    expect(invoices('inv_1')).toHaveLength(1);
    expect(invoices('inv_1')[0]!.lines.map((l) => l.memo)).toEqual(['one', 'two']);
    expect(invoices('inv_1')[0]!.total).toBe(750_000n);

    // Still in doubt (that update's answer lost too): sent again, its lines counted, none added twice.
    await s.write([record('ARINVOICE', 'inv_1', changed, inDoubt)], ctx);
    expect(invoices('inv_1')[0]!.lines.map((l) => l.memo)).toEqual(['one', 'two']);
    expect(invoices('inv_1')[0]!.total).toBe(750_000n);
  });

  it('a payment whose amount changed is a dead letter naming both totals, kept pending; the same amount is adopted and nothing is sent', async () => {
    const s = sink();
    await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '50.00'))], ctx);
    const sentBefore = written().length;

    const [changed] = await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '60.00'), inDoubt)], ctx);
    const error = failedError(changed);
    expect(error.code).toBe('intacct_update_unsupported');
    expect(error.kind).toBe('record');
    expect(error.message).toContain(`ARPAYMENT txn_1 (RECORDNO ${payments('txn_1')[0]!.RECORDNO})`);
    expect(error.message).toMatch(/total of 50(\.00)? there, and this version of the record 60\.00/);
    expect(error.fix).toMatch(/a total of 60\.00/);
    // The ledger keeps the record pending: the next run compares again rather than skipping it as "already in Intacct".
    expect(error.mayHaveSucceeded).toBe(true);

    const [same] = await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '50.00'), inDoubt)], ctx);
    expect(same).toMatchObject({ status: 'created', targetId: payments('txn_1')[0]!.RECORDNO });
    expect(payments('txn_1')).toHaveLength(1);
    expect(written()).toHaveLength(sentBefore);
  });

  it('a credit memo is compared by its lines and tax entries', async () => {
    const s = sink();
    await s.write([record('ARADJUSTMENT', 'cn_1', creditMemo('cn_1', '-50.00'))], ctx);
    const [same] = await s.write([record('ARADJUSTMENT', 'cn_1', creditMemo('cn_1', '-50.00'), inDoubt)], ctx);
    expect(same).toMatchObject({ status: 'created' });
    const [changed] = await s.write([record('ARADJUSTMENT', 'cn_1', creditMemo('cn_1', '-60.00'), inDoubt)], ctx);
    expect(failedError(changed).message).toMatch(/total of -51(\.00)? there, and this version of the record -61\.00/);
  });

  /** An invoice of 200.00 and a payment of 200.00 in Intacct, and the application of one to the other at `amount`. */
  async function paymentAndInvoice(s: ReturnType<typeof sink>) {
    const [inv] = await s.write([record('ARINVOICE', 'inv_a', invoice('inv_a', [line('one', '200.00')]))], ctx);
    const [pay] = await s.write([record('ARPAYMENT', 'txn_a', payment('txn_a', '200.00'))], ctx);
    const invoiceKey = (inv as { targetId: string }).targetId;
    const paymentKey = (pay as { targetId: string }).targetId;
    const apply = (amount: string) => ({
      arpaymentkey: paymentKey,
      paymentdate: '2024-02-07',
      memo: 'payment apply',
      arpaymentitems: [{ invoicekey: invoiceKey, amount }],
    });
    const applied = () => fake.state.applications.filter((a) => a.PAYMENTKEY === paymentKey && a.RECORDKEY === invoiceKey);
    return { invoiceKey, paymentKey, apply, applied };
  }

  it('an application whose amount changed is a dead letter naming the payment, the invoice and both amounts, kept pending, never applied twice', async () => {
    const s = sink();
    const { invoiceKey, paymentKey, apply, applied } = await paymentAndInvoice(s);
    await s.write([record('ARPAYMENT_APPLY', 'txn_a#inv_a', apply('50.00'))], ctx);
    const sentBefore = written().length;

    const [changed] = await s.write([record('ARPAYMENT_APPLY', 'txn_a#inv_a', apply('60.00'), inDoubt)], ctx);
    const error = failedError(changed);
    expect(error.code).toBe('intacct_update_unsupported');
    expect(error.kind).toBe('record');
    expect(error.message).toContain(`AR payment or credit memo RECORDNO ${paymentKey} applies to invoice RECORDNO ${invoiceKey}`);
    expect(error.message).toMatch(/: 50(\.00)? there, 60\.00 in this version of the record/);
    expect(error.fix).toContain(`reverse by hand the application of AR payment or credit memo RECORDNO ${paymentKey}`);
    expect(error.fix).toMatch(/the next run then applies this version/);
    expect(error.mayHaveSucceeded).toBe(true);
    expect(written()).toHaveLength(sentBefore);
    expect(applied()).toHaveLength(1);

    // plan says the same, and sends nothing.
    const [planned] = await s.plan!([record('ARPAYMENT_APPLY', 'txn_a#inv_a', apply('60.00'), inDoubt)] as PlanningRecord[], ctx);
    expect(planned).toMatchObject({ action: 'fail', error: expect.objectContaining({ code: 'intacct_update_unsupported', mayHaveSucceeded: true }) });
    expect(written()).toHaveLength(sentBefore);

    // The application reversed in Intacct by hand, the retry applies this version, once.
    const [held] = applied();
    fake.state.applications = fake.state.applications.filter((a) => a !== held);
    const doc = [...fake.state.arDocuments.values()].find((d) => d.RECORDNO === invoiceKey)!;
    doc.applied -= held!.invoiceAmount ?? held!.amount;
    const [retried] = await s.write([record('ARPAYMENT_APPLY', 'txn_a#inv_a', apply('60.00'), inDoubt)], ctx);
    expect(retried).toMatchObject({ status: 'created', targetId: paymentKey });
    expect(applied().map((a) => a.amount)).toEqual([600_000n]);
  });

  it('a first application of a payment already applied to that invoice at another amount (by hand) is a dead letter, not a second application', async () => {
    const s = sink();
    const { apply, applied } = await paymentAndInvoice(s);
    // Applied in Intacct outside this ledger: the record has no history here.
    await s.write([record('ARPAYMENT_APPLY', 'txn_a#inv_a', apply('50.00'))], ctx);
    const sentBefore = written().length;

    const [first] = await s.write([record('ARPAYMENT_APPLY', 'txn_a#inv_a', apply('60.00'))], ctx);
    const error = failedError(first);
    expect(error.code).toBe('intacct_update_unsupported');
    expect(error.message).toMatch(/Intacct applies it already/);
    expect(error.mayHaveSucceeded).toBe(false);
    expect(written()).toHaveLength(sentBefore);
    expect(applied()).toHaveLength(1);

    // The same amount is what Intacct holds: adopted as already there, nothing sent.
    const [same] = await s.write([record('ARPAYMENT_APPLY', 'txn_a#inv_a', apply('50.00'))], ctx);
    expect(same).toMatchObject({ status: 'skipped' });
    expect(written()).toHaveLength(sentBefore);
  });

  it('plan says the same: update the invoice, adopt the unchanged payment, fail the changed one', async () => {
    const s = sink();
    await s.write([record('ARINVOICE', 'inv_p', invoice('inv_p', [line('one', '50.00')])), record('ARPAYMENT', 'txn_p', payment('txn_p', '50.00'))], ctx);
    const sentBefore = written().length;
    const planned = await s.plan!(
      [
        record('ARINVOICE', 'inv_p', invoice('inv_p', [line('one', '50.00'), line('two', '25.00')]), inDoubt),
        record('ARPAYMENT', 'txn_p', payment('txn_p', '50.00'), inDoubt),
        record('ARPAYMENT', 'txn_p', payment('txn_p', '60.00'), inDoubt),
      ] as PlanningRecord[],
      ctx,
    );
    expect(planned[0]).toMatchObject({ action: 'update', targetId: invoices('inv_p')[0]!.RECORDNO, note: expect.stringMatching(/interrupted run created it/) });
    expect(planned[1]).toMatchObject({ action: 'adopt', note: expect.stringMatching(/holds this version's total \(50(\.00)?\)/) });
    expect(planned[2]).toMatchObject({ action: 'fail', error: expect.objectContaining({ code: 'intacct_update_unsupported' }) });
    expect(written()).toHaveLength(sentBefore);
  });
});

/**
 * The dead letter of a changed document no update corrects says what a person does in Intacct: reverse
 * it (delete a credit memo) and re-run, or correct the source record. Followed exactly, the next run
 * settles the record without posting twice. Before, the look-up ignored STATE: it kept finding the
 * reversed document (a dead letter on every run, or adopted as "already in Intacct"), a record the
 * ledger held was never looked up again, and the fixes named steps no ledgersync command offers
 * ("clear this record from the ledger", "resolve the dead letter").
 */
describe('Sage Intacct sink: following the fix of a changed document no update corrects', () => {
  beforeEach(async () => {
    fake = await startFakeIntacct();
    seedCustomers(fake, 'C1');
  });
  afterEach(() => fake.close());

  const standing = (refid: string) => payments(refid).filter((p) => !p.reversed);
  const creates = () => fake.state.requests.flatMap((r) => r.functions).filter((f) => f.startsWith('create'));
  const reverseByHand = (refid: string) => {
    const [first] = standing(refid);
    Object.assign(first!, { reversed: { date: '2024-02-08', description: 'reversed by hand' }, applied: 0n });
    return first!.RECORDNO;
  };
  const bill = (no: string, amount: string) => ({
    vendorid: 'REFUNDS',
    datecreated: '2024-02-08',
    datedue: '2024-02-08',
    billno: no,
    billitems: [{ glaccountno: '2100', amount, memo: `refund ${no}` }],
  });
  const noMadeUpStep = (fix: string | undefined) => {
    expect(fix).toBeDefined();
    expect(fix).not.toMatch(/clear (this|the) record|from the ledger|resolve the dead letter/);
  };

  it('a payment created in doubt, reversed in Intacct as the fix says: the next run posts this version, once, and a run after it nothing', async () => {
    const s = sink();
    await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '50.00'))], ctx);
    const [changed] = await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '60.00'), inDoubt)], ctx);
    const error = failedError(changed);
    expect(error.message).toContain('reverse the payment in Intacct and re-run');
    expect(error.fix).toMatch(
      /^reverse ARPAYMENT txn_1 \(RECORDNO \d+\) in Intacct, dated in an open period: the next run finds it taken back and posts this version/,
    );
    noMadeUpStep(error.fix);

    // Not yet reversed: every retry is the same dead letter, and nothing is sent.
    const sent = creates().length;
    expect(failedError((await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '60.00'), inDoubt)], ctx))[0]).code).toBe('intacct_update_unsupported');
    expect(creates()).toHaveLength(sent);

    const reversed = reverseByHand('txn_1');
    const [rerun] = await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '60.00'), inDoubt)], ctx);
    expect(rerun).toMatchObject({ status: 'created' });
    expect((rerun as { targetId: string }).targetId).not.toBe(reversed);
    expect(standing('txn_1').map((p) => p.amount)).toEqual([600_000n]);
    // The same version, its create in doubt again (answer lost): the one that stands is adopted, not posted twice.
    const [again] = await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '60.00'), inDoubt)], ctx);
    expect(again).toMatchObject({ status: 'created', targetId: (rerun as { targetId: string }).targetId });
    expect(standing('txn_1')).toHaveLength(1);
  });

  it('a payment reversed and posted again by hand under the same reference is adopted by the retry, sending nothing; a record new to the ledger takes it too, never the reversed one', async () => {
    const s = sink();
    await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '50.00'))], ctx);
    const reversed = reverseByHand('txn_1');
    const [byHand] = await s.write([record('ARPAYMENT', 'hand', payment('txn_1', '60.00'))], ctx);
    const handPosted = (byHand as { targetId: string }).targetId;
    const sent = creates().length;

    const [retry] = await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '60.00'), inDoubt)], ctx);
    expect(retry).toMatchObject({ status: 'created', targetId: handPosted });
    const [fresh] = await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '60.00'))], ctx);
    expect(fresh).toMatchObject({ status: 'skipped', targetId: handPosted });
    expect(fresh).not.toMatchObject({ targetId: reversed });
    expect(creates()).toHaveLength(sent);
  });

  it('a payment the ledger holds, changed since: the dead letter says reverse it; once reversed, the next run posts this version, once', async () => {
    const s = sink();
    const [first] = await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '50.00'))], ctx);
    const held = { targetId: (first as { targetId: string }).targetId };

    const [changed] = await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '60.00'), held)], ctx);
    const error = failedError(changed);
    expect(error.code).toBe('intacct_update_unsupported');
    expect(error.fix).toMatch(
      new RegExp(
        `^reverse ARPAYMENT txn_1 \\(RECORDNO ${held.targetId}\\) in Intacct, dated in an open period; the next run finds it taken back and posts this version, once\\. Taking it back in Intacct also takes back what applies it \\(its applications, a bill's payments\\): once it is posted anew, run \`ledgersync run <pipeline> --full-refresh\` once, so the records that refer to it follow its new RECORDNO\\. If the document Intacct holds is right, correct source record txn_1 to it instead`,
      ),
    );
    noMadeUpStep(error.fix);
    const sent = creates().length;
    expect(failedError((await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '60.00'), held)], ctx))[0]).code).toBe('intacct_update_unsupported');
    expect(creates()).toHaveLength(sent);

    reverseByHand('txn_1');
    const [planned] = await s.plan!([record('ARPAYMENT', 'txn_1', payment('txn_1', '60.00'), held)] as PlanningRecord[], ctx);
    expect(planned).toMatchObject({ action: 'create' });
    const [rerun] = await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '60.00'), held)], ctx);
    expect(rerun).toMatchObject({ status: 'created' });
    expect(standing('txn_1').map((p) => p.amount)).toEqual([600_000n]);
  });

  it('a credit memo the ledger holds, changed since, deleted in Intacct as the fix says: the next run posts this version', async () => {
    const s = sink();
    const [first] = await s.write([record('ARADJUSTMENT', 'cn_1', creditMemo('cn_1', '-50.00'))], ctx);
    const held = { targetId: (first as { targetId: string }).targetId };
    const error = failedError((await s.write([record('ARADJUSTMENT', 'cn_1', creditMemo('cn_1', '-60.00'), held)], ctx))[0]);
    expect(error.fix).toMatch(new RegExp(`^delete ARADJUSTMENT cn_1 \\(RECORDNO ${held.targetId}\\) in Intacct`));
    noMadeUpStep(error.fix);

    fake.state.arDocuments.delete(held.targetId);
    const [rerun] = await s.write([record('ARADJUSTMENT', 'cn_1', creditMemo('cn_1', '-60.00'), held)], ctx);
    expect(rerun).toMatchObject({ status: 'created' });
    const memos = [...fake.state.arDocuments.values()].filter((d) => d.RECORDID === 'cn_1');
    expect(memos.map((d) => d.total)).toEqual([-610_000n]);
  });

  it('a bill reversed in Intacct whose number Intacct refuses again: the dead letter names the reversed bill and what to do', async () => {
    const s = sink();
    await s.write([record('APBILL', 'rf_1#bill', bill('bill_rf_1', '10.00'))], ctx);
    const error = failedError((await s.write([record('APBILL', 'rf_1#bill', bill('bill_rf_1', '12.00'), inDoubt)], ctx))[0]);
    expect(error.fix).toMatch(/^reverse APBILL bill_rf_1 \(RECORDNO \d+\) in Intacct \(its payments reversed first\), or delete it there/);
    noMadeUpStep(error.fix);

    const [first] = [...fake.state.bills.values()];
    first!.reversed = { date: '2024-02-09', description: 'reversed by hand' };
    const refused = failedError((await s.write([record('APBILL', 'rf_1#bill', bill('bill_rf_1', '12.00'), inDoubt)], ctx))[0]);
    expect(refused.message).toMatch(/bill number bill_rf_1 already exists/);
    expect(refused.fix).toContain(`APBILL bill_rf_1 was reversed in Intacct (RECORDNO ${first!.RECORDNO}), and a reversed document keeps its billno`);
    expect(refused.fix).toMatch(/map source record rf_1#bill to _action "skip"/);
    expect([...fake.state.bills.values()]).toHaveLength(1);

    // Deleted instead, the number is free: the next run posts this version.
    fake.state.bills.delete(first!.RECORDNO);
    const [rerun] = await s.write([record('APBILL', 'rf_1#bill', bill('bill_rf_1', '12.00'), inDoubt)], ctx);
    expect(rerun).toMatchObject({ status: 'created' });
    expect([...fake.state.bills.values()].map((b) => b.total)).toEqual([120_000n]);
  });

  it('an application the ledger holds, changed since: the dead letter names the application; once reversed by hand, the next run applies this version, once', async () => {
    const s = sink();
    const [inv] = await s.write([record('ARINVOICE', 'inv_a', invoice('inv_a', [line('one', '200.00')]))], ctx);
    const [pay] = await s.write([record('ARPAYMENT', 'txn_a', payment('txn_a', '200.00'))], ctx);
    const invoiceKey = (inv as { targetId: string }).targetId;
    const paymentKey = (pay as { targetId: string }).targetId;
    const apply = (amount: string) => ({ arpaymentkey: paymentKey, paymentdate: '2024-02-07', arpaymentitems: [{ invoicekey: invoiceKey, amount }] });
    await s.write([record('ARPAYMENT_APPLY', 'txn_a#inv_a', apply('50.00'))], ctx);
    const held = { targetId: paymentKey };

    const error = failedError((await s.write([record('ARPAYMENT_APPLY', 'txn_a#inv_a', apply('60.00'), held)], ctx))[0]);
    expect(error.fix).toMatch(/the next run then applies this version/);
    noMadeUpStep(error.fix);

    const applied = () => fake.state.applications.filter((a) => a.PAYMENTKEY === paymentKey);
    const [first] = applied();
    fake.state.applications = fake.state.applications.filter((a) => a !== first);
    fake.state.arDocuments.get(invoiceKey)!.applied -= first!.invoiceAmount ?? first!.amount;
    const [rerun] = await s.write([record('ARPAYMENT_APPLY', 'txn_a#inv_a', apply('60.00'), held)], ctx);
    expect(rerun).toMatchObject({ status: 'created', targetId: paymentKey });
    expect(applied().map((a) => a.amount)).toEqual([600_000n]);
  });

  it('a void by key takes the payment that stands, not one reversed before it', async () => {
    const s = sink();
    await s.write([record('ARPAYMENT', 'txn_1', payment('txn_1', '50.00'))], ctx);
    reverseByHand('txn_1');
    await s.write([record('ARPAYMENT', 'hand', payment('txn_1', '60.00'))], ctx);
    const [voided] = await s.write([{ ...record('ARPAYMENT', 'txn_1', { refid: 'txn_1', datereversed: '2024-02-10' }), action: 'void' }], ctx);
    expect(voided).toMatchObject({ status: 'updated' });
    expect(standing('txn_1')).toHaveLength(0);
  });
});

describe('Sage Intacct run: an invoice created in doubt, a line added in Chargebee before the next run', () => {
  let s: Sandbox;
  let proxy: FaultProxy;
  afterEach(async () => {
    await proxy.close();
    await s.close();
  });

  it('the next run brings Intacct to the new version, and the ledger agrees with it', async () => {
    s = await startSandbox({ cb: { customers: 0 } });
    proxy = await behindFaultProxy(s);
    customer(s.cb, 'cust_d');
    expect((await s.run()).exitCode).toBe(0);

    cbInvoice(s.cb, 'inv_d', 'cust_d', [{ id: 'l1', amount: 5_000, entityId: 'x', description: 'one' }]);
    // The create lands, its answer is lost, and every look-up after it fails: the run stops with the invoice pending.
    proxy.inject({ method: 'POST', body: /<create_invoice/, times: 1, fault: { kind: 'status', status: 502 } });
    proxy.inject({ method: 'POST', body: /<readByQuery>\s*<object>ARINVOICE</, skip: 1, times: Infinity, fault: { kind: 'status', status: 503 } });
    expect((await s.run()).exitCode).toBe(3);

    const { line_items } = s.cb.state.get('invoices', 'inv_d') as unknown as { line_items: Record<string, unknown>[] };
    s.cb.state.touch('invoices', 'inv_d', {
      line_items: [...line_items, { ...line_items[0], id: 'l2', amount: 2_500, unit_amount: 2_500, description: 'two' }],
      sub_total: 7_500,
      total: 7_500,
      amount_due: 7_500,
    } as never);
    proxy.clear();
    const next = await s.run();
    expect(next.exitCode, JSON.stringify(next.error)).toBe(0);
    const docs = [...s.intacct.state.arDocuments.values()].filter((d) => d.kind === 'invoice' && d.RECORDID === 'inv_d');
    expect(docs).toHaveLength(1);
    expect(docs[0]!.lines.map((l) => l.memo)).toEqual(['one', 'two']);
    expect(docs[0]!.total).toBe(750_000n);

    // What the ledger recorded is what Intacct holds: a later run has nothing to write.
    const after = await s.run();
    expect(after.exitCode).toBe(0);
    expect(after.streams['invoices']!.written).toBe(0);
  });
});
