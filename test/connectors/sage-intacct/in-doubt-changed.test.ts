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

describe('Sage Intacct sink: a create in doubt found in Intacct, changed since', () => {
  let fake: FakeIntacct;
  beforeEach(async () => {
    fake = await startFakeIntacct();
    seedCustomers(fake, 'C1');
  });
  afterEach(() => fake.close());

  const sink = () => connector.createSink!(intacctInput(fake));
  const invoices = (no: string) => [...fake.state.arDocuments.values()].filter((d) => d.kind === 'invoice' && d.RECORDID === no);
  const payments = (refid: string) => [...fake.state.arPayments.values()].filter((p) => p.DOCNUMBER === refid);
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
    expect(error.fix).toMatch(/to a total of 60\.00/);
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
