/** The Intacct sink against the fake gateway: what lands in the books, what is refused and why. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/sage-intacct/index.js';
import { intacctGateway } from '../../../connectors/sage-intacct/index.js';
import { IntacctSink } from '../../../connectors/sage-intacct/sink.js';
import { LedgersyncError } from '../../../engine/errors.js';
import type { SinkResult } from '../../../engine/connector/types.js';
import { startFakeIntacct, type FakeIntacct } from '../../fakes/intacct/index.js';
import { intacctInput, intacctSinkSettings, record, seedCustomers, sinkContext } from './helpers.js';

let fake: FakeIntacct;
beforeEach(async () => {
  fake = await startFakeIntacct();
});
afterEach(() => fake.close());

const sink = (overrides: Record<string, unknown> = {}) => connector.createSink!(intacctInput(fake, overrides));
const ctx = sinkContext();

const invoice = (no: string, extra: Record<string, unknown> = {}) => ({
  customerid: 'C1',
  datecreated: '2024-02-01',
  datedue: '2024-03-02',
  invoiceno: no,
  description: `Invoice ${no}`,
  currency: 'USD',
  invoiceitems: [
    {
      glaccountno: '4000',
      amount: '100.00',
      memo: 'Pro plan',
      itemid: 'PLAN',
      locationid: '100',
      departmentid: 'SALES',
      revrectemplate: 'RR-MONTHLY',
      revrecstartdate: '2024-02-01',
      revrecenddate: '2024-02-29',
      taxentries: [{ detailid: 'Sales Tax', trx_tax: '8.25' }],
    },
    { glaccountno: '4900', amount: '-0.25', memo: 'Round-off value', itemid: 'ROUNDOFF', revrecstartdate: '2024-02-01', revrecenddate: '2024-02-01' },
  ],
  ...extra,
});

function failedError(result: SinkResult | undefined): LedgersyncError {
  if (result?.status !== 'failed') throw new Error(`expected a failed result, got ${JSON.stringify(result)}`);
  return result.error;
}

describe('customers', () => {
  it('creates, then updates on a changed version, never duplicating', async () => {
    const s = sink();
    await s.open!(ctx);
    const [created] = await s.write(
      [record('CUSTOMER', 'cb_1', { CUSTOMERID: 'cb_1', NAME: 'Acme <&> "Co"', DISPLAYCONTACT: { PRINTAS: 'Acme', EMAIL1: 'a@acme.test' } })],
      ctx,
    );
    expect(created).toMatchObject({ status: 'created', targetId: 'cb_1' });
    expect(fake.state.customers.get('cb_1')).toMatchObject({ NAME: 'Acme <&> "Co"', contact: { PRINTAS: 'Acme', EMAIL1: 'a@acme.test' } });
    const recordNo = created!.status === 'created' ? created!.targetVersion : undefined;
    const [updated] = await s.write(
      [record('CUSTOMER', 'cb_1', { CUSTOMERID: 'cb_1', NAME: 'Acme Corp' }, { targetId: 'cb_1', targetVersion: recordNo ?? null })],
      ctx,
    );
    expect(updated).toMatchObject({ status: 'updated', targetId: 'cb_1' });
    expect(fake.state.customers.get('cb_1')).toMatchObject({ NAME: 'Acme Corp', updates: 1 });
    expect(fake.state.customers.size).toBe(1);
  });

  it('adopts a customer that is already in Intacct (found by CUSTOMERID) and updates it', async () => {
    seedCustomers(fake, 'cb_2');
    const [r] = await sink().write([record('CUSTOMER', 'cb_2', { CUSTOMERID: 'cb_2', NAME: 'Beta' })], ctx);
    expect(r).toMatchObject({ status: 'updated', targetId: 'cb_2' });
    expect(fake.state.customers.get('cb_2')!.NAME).toBe('Beta');
  });

  it('dead-letters an id over 17 characters with Intacct errorno and correction, and writes the rest', async () => {
    const results = await sink().write(
      [
        record('CUSTOMER', 'cust_abcdefghijklmnop', { CUSTOMERID: 'cust_abcdefghijklmnop', NAME: 'Long' }),
        record('CUSTOMER', 'short', { CUSTOMERID: 'short', NAME: 'Short' }),
      ],
      ctx,
    );
    const error = failedError(results[0]);
    expect(error.kind).toBe('record');
    expect(error.details).toMatchObject({ sourceId: 'cust_abcdefghijklmnop', errorno: 'PL04000108' });
    expect(error.message).toMatch(/limit is 17/);
    expect(error.fix).toMatch(/at most 17/);
    expect(results[1]).toMatchObject({ status: 'created', targetId: 'short' });
  });

  it('never deletes a customer', async () => {
    const [r] = await sink().write([{ ...record('CUSTOMER', 'gone', { CUSTOMERID: 'gone', NAME: 'x' }), action: 'delete' }], ctx);
    expect(r).toMatchObject({ status: 'skipped' });
  });
});

describe('AR invoices', () => {
  beforeEach(() => seedCustomers(fake, 'C1'));

  it('posts lines with tax, round-off, dimensions and rev-rec dates', async () => {
    const [r] = await sink().write([record('ARINVOICE', 'inv_1', invoice('inv_1'))], ctx);
    expect(r).toMatchObject({ status: 'created' });
    const doc = fake.state.arDocuments.get(r!.status === 'created' ? r!.targetId : '')!;
    expect(doc.RECORDID).toBe('inv_1');
    expect(doc.total).toBe(1_080_000n); // 100.00 + 8.25 - 0.25
    expect(doc.lines[0]).toMatchObject({
      glaccountno: '4000',
      memo: 'Pro plan',
      dimensions: { itemid: 'PLAN', locationid: '100', departmentid: 'SALES' },
      revrectemplate: 'RR-MONTHLY',
      revrecstartdate: '2024-02-01',
      revrecenddate: '2024-02-29',
      taxentries: [{ detailid: 'Sales Tax', trx_tax: 82_500n }],
    });
    expect(doc.lines[1]).toMatchObject({ memo: 'Round-off value', amount: -2_500n });
  });

  it('dead-letters an unknown GL account, an unknown dimension and a closed period, each with errorno and correction', async () => {
    fake.faults.closeBooksThrough('2023-12-31');
    const bad = (no: string, line: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
      record('ARINVOICE', no, {
        customerid: 'C1',
        datecreated: '2024-02-01',
        datedue: '2024-03-02',
        invoiceno: no,
        invoiceitems: [{ glaccountno: '4000', amount: '1.00', ...line }],
        ...extra,
      });
    const results = await sink().write(
      [bad('gl', { glaccountno: '9999' }), bad('loc', { locationid: 'MARS' }), bad('closed', {}, { datecreated: '2023-12-15' }), bad('ok', {})],
      ctx,
    );
    expect(failedError(results[0]).details).toMatchObject({ errorno: 'BL03000018', sourceId: 'gl' });
    expect(failedError(results[0]).fix).toMatch(/Chart of accounts/);
    expect(failedError(results[1]).details).toMatchObject({ errorno: 'BL03002102', sourceId: 'loc' });
    expect(failedError(results[1]).message).toMatch(/MARS/);
    expect(failedError(results[2]).details).toMatchObject({ errorno: 'BL03000054', sourceId: 'closed' });
    expect(failedError(results[2]).fix).toMatch(/open period/);
    expect(results[3]).toMatchObject({ status: 'created' });
  });

  it('updates a changed invoice, and dead-letters a change to a paid one', async () => {
    const s = sink();
    const [first] = await s.write([record('ARINVOICE', 'inv_2', invoice('inv_2'))], ctx);
    const key = first!.status === 'created' ? first!.targetId : '';
    const changed = invoice('inv_2', { description: 'corrected' });
    const [updated] = await s.write([record('ARINVOICE', 'inv_2', changed, { targetId: key })], ctx);
    expect(updated, JSON.stringify(updated)).toMatchObject({ status: 'updated', targetId: key });
    expect(fake.state.arDocuments.get(key)!.DESCRIPTION).toBe('corrected');
    fake.state.arDocuments.get(key)!.applied = 10_000n;
    const [refused] = await s.write([record('ARINVOICE', 'inv_2', invoice('inv_2', { description: 'again' }), { targetId: key })], ctx);
    expect(failedError(refused).details).toMatchObject({ errorno: 'BL03000150' });
    expect(failedError(refused).fix).toMatch(/Reverse the applied payments/);
  });

  it('adopts the document of an interrupted write instead of posting it twice', async () => {
    const s = sink();
    await s.write([record('ARINVOICE', 'inv_3', invoice('inv_3'))], ctx);
    const [again] = await s.write([record('ARINVOICE', 'inv_3', invoice('inv_3'), { pendingWrite: true })], ctx);
    expect(again).toMatchObject({ status: 'created' });
    expect([...fake.state.arDocuments.values()].filter((d) => d.RECORDID === 'inv_3')).toHaveLength(1);
  });

  it('survives a lost response: the retry is refused as a duplicate control id and the document is found', async () => {
    fake.faults.dropResponseOfNext(1);
    const s = sink();
    await s.open!(ctx);
    const [r] = await s.write([record('ARINVOICE', 'inv_4', invoice('inv_4'))], ctx);
    expect(r).toMatchObject({ status: 'created' });
    expect([...fake.state.arDocuments.values()].filter((d) => d.RECORDID === 'inv_4')).toHaveLength(1);
    expect(fake.state.requests.some((q) => q.uniqueId && fake.state.processedControlIds.has(q.controlId))).toBe(true);
  });

  it('sends a refused record again in a later run, once Intacct is fixed, although its request was seen before', async () => {
    const s = sink();
    const bad = () =>
      record('ARINVOICE', 'inv_gl', {
        customerid: 'C1',
        datecreated: '2024-02-01',
        datedue: '2024-03-02',
        invoiceno: 'inv_gl',
        invoiceitems: [{ glaccountno: '7777', amount: '1.00' }],
      });
    const first = bad();
    const [refused] = await s.write([first], ctx);
    expect(failedError(refused).details).toMatchObject({ errorno: 'BL03000018' });
    fake.state.master.glAccounts.push('7777');
    // The same record, the same content: the same control id, which Intacct has seen (uniqueid).
    const [again] = await s.write(
      [
        {
          ...first,
          previous: { sourceId: 'inv_gl', sourceVersion: null, contentHash: null, targetId: null, targetVersion: null, pendingWrite: false, updatedAt: 0 },
        },
      ],
      { ...ctx, runId: 'run-2' },
    );
    expect(again).toMatchObject({ status: 'created' });
    expect([...fake.state.arDocuments.values()].filter((d) => d.RECORDID === 'inv_gl')).toHaveLength(1);
  });

  it('retries gateway failures that ran nothing (502, 429)', async () => {
    const s = sink();
    await s.open!(ctx);
    fake.faults.failNext(1, 502);
    fake.faults.failNext(1, 429);
    const results = await s.write([record('ARINVOICE', 'inv_5', invoice('inv_5'))], ctx);
    expect(results[0]).toMatchObject({ status: 'created' });
  });
});

describe('payments, credits, refunds', () => {
  beforeEach(() => seedCustomers(fake, 'C1'));

  it('applies a credit memo across two invoices, a payment at amount × rate, and pays a refund bill', async () => {
    const s = sink();
    const [a, b] = await s.write([record('ARINVOICE', 'A', invoice('A')), record('ARINVOICE', 'B', invoice('B'))], ctx);
    const keyA = a!.status === 'created' ? a!.targetId : '';
    const keyB = b!.status === 'created' ? b!.targetId : '';
    const [credit] = await s.write(
      [
        record('ARADJUSTMENT', 'cn_1', {
          customerid: 'C1',
          datecreated: '2024-02-05',
          adjustmentno: 'cn_1',
          aradjustmentitems: [{ glaccountno: '4000', amount: '-50.00' }],
        }),
      ],
      ctx,
    );
    const creditKey = credit!.status === 'created' ? credit!.targetId : '';
    const apply = (part: string, invoicekey: string, amount: string) =>
      record('ARPAYMENT_APPLY', `cn_1#${part}`, {
        arpaymentkey: creditKey,
        paymentdate: '2024-02-06',
        memo: 'Creditmemo applied over invoice',
        arpaymentitems: [{ invoicekey, amount }],
      });
    const applied = await s.write([apply('A', keyA, '20.00'), apply('B', keyB, '30.00')], ctx);
    expect(applied.map((r) => r.status)).toEqual(['created', 'created']);
    expect(fake.state.arDocuments.get(keyA)!.applied).toBe(200_000n);
    expect(fake.state.arDocuments.get(keyB)!.applied).toBe(300_000n);
    // Sent again (a resumed run), the applications are recognised, not repeated.
    const again = await s.write(
      [apply('A', keyA, '20.00')].map((r) => ({
        ...r,
        previous: {
          ...r.previous!,
          sourceId: r.sourceId,
          sourceVersion: null,
          contentHash: null,
          targetId: null,
          targetVersion: null,
          pendingWrite: true,
          updatedAt: 0,
        },
      })),
      ctx,
    );
    expect(again[0]).toMatchObject({ status: 'created', targetId: creditKey });
    expect(fake.state.applications.filter((x) => x.PAYMENTKEY === creditKey)).toHaveLength(2);

    const [payment] = await s.write(
      [
        record('ARPAYMENT', 'txn_1', {
          customerid: 'C1',
          paymentamount: { amount: '50.00', exchange_rate: '1.0823' },
          bankaccountid: 'BOA',
          refid: 'txn_1',
          datereceived: '2024-02-07',
          paymentmethod: 'Credit Card',
          currency: 'USD',
        }),
      ],
      ctx,
    );
    const paymentKey = payment!.status === 'created' ? payment!.targetId : '';
    expect(fake.state.arPayments.get(paymentKey)!.amount).toBe(541_200n); // 50.00 × 1.0823 = 54.115 → 54.12
    const [pa] = await s.write(
      [
        record('ARPAYMENT_APPLY', 'txn_1', {
          arpaymentkey: paymentKey,
          paymentdate: '2024-02-07',
          memo: 'payment apply',
          overpaylocid: 'US',
          overpaydeptid: 'CS',
          arpaymentitems: [{ invoicekey: keyA, amount: { amount: '50.00', exchange_rate: '1.0823' } }],
        }),
      ],
      ctx,
    );
    expect(pa).toMatchObject({ status: 'created' });
    expect(fake.state.applications.at(-1)).toMatchObject({ amount: 541_200n, OVERPAYLOCID: 'US', OVERPAYDEPTID: 'CS', MEMO: 'payment apply' });
    // Resumed, the converted application is recognised by its amount as Intacct holds it (54.12).
    const converted = record(
      'ARPAYMENT_APPLY',
      'txn_1',
      {
        arpaymentkey: paymentKey,
        paymentdate: '2024-02-07',
        memo: 'payment apply',
        arpaymentitems: [{ invoicekey: keyA, amount: { amount: '50.00', exchange_rate: '1.0823' } }],
      },
      { pendingWrite: true },
    );
    const applicationsBefore = fake.state.applications.length;
    expect((await s.write([converted], ctx))[0]).toMatchObject({ status: 'created', targetId: paymentKey });
    expect(fake.state.applications).toHaveLength(applicationsBefore);

    const [bill] = await s.write(
      [
        record('APBILL', 'rf_1#bill', {
          vendorid: 'REFUNDS',
          datecreated: '2024-02-08',
          datedue: '2024-02-08',
          billno: 'bill_rf_1',
          billitems: [{ glaccountno: '2100', amount: '10.00', memo: 'refund id - rf_1' }],
        }),
      ],
      ctx,
    );
    const billKey = bill!.status === 'created' ? bill!.targetId : '';
    const [ap] = await s.write(
      [
        record('APPAYMENT', 'rf_1#ap', {
          PAYMENTMETHOD: 'Cash',
          FINANCIALENTITY: 'BOA',
          VENDORID: 'REFUNDS',
          DESCRIPTION: 'refund id - rf_1',
          PAYMENTDATE: '2024-02-08',
          APPYMTDETAILS: [{ RECORDKEY: billKey, TRX_PAYMENTAMOUNT: '10.00' }],
        }),
      ],
      ctx,
    );
    expect(ap).toMatchObject({ status: 'created' });
    expect([...fake.state.apPayments.values()][0]).toMatchObject({
      PAYMENTMETHOD: 'Cash',
      DESCRIPTION: 'refund id - rf_1',
      FINANCIALENTITY: 'BOA',
      total: 100_000n,
    });
    // A changed credit memo cannot be edited: a clear dead letter.
    const [changed] = await s.write(
      [
        record(
          'ARADJUSTMENT',
          'cn_1',
          { customerid: 'C1', datecreated: '2024-02-05', adjustmentno: 'cn_1', aradjustmentitems: [{ glaccountno: '4000', amount: '-60.00' }] },
          { targetId: creditKey },
        ),
      ],
      ctx,
    );
    expect(failedError(changed).code).toBe('intacct_update_unsupported');
  });
});

describe('credentials and sessions', () => {
  it('says the sender was refused, exit-3 kind', async () => {
    const error = await sink({ sender_password: 'wrong' }).open!(ctx).catch((e) => e);
    expect(error).toBeInstanceOf(LedgersyncError);
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/sender credentials/);
    expect(error.fix).toMatch(/INTACCT_SENDER_ID/);
  });

  it('says the company user was refused, exit-3 kind', async () => {
    const error = await sink({ user_password: 'wrong' }).open!(ctx).catch((e) => e);
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/company user 'api-user' could not log in/);
    expect(error.fix).toMatch(/INTACCT_USER_PASSWORD/);
    expect(error.message).not.toContain('wrong');
  });

  it('reuses one session, and logs in again when it expires mid-run', async () => {
    seedCustomers(fake, 'C1');
    const input = intacctInput(fake);
    const gateway = intacctGateway(input);
    const s = new IntacctSink(gateway, intacctSinkSettings(), input.log);
    await s.open();
    await s.write([record('ARINVOICE', 'x1', invoice('x1'))], ctx);
    expect(gateway.counters.logins).toBe(1);
    fake.faults.expireSessions();
    const [r] = await s.write([record('ARINVOICE', 'x2', invoice('x2'))], ctx);
    expect(r).toMatchObject({ status: 'created' });
    expect(gateway.counters.logins).toBe(2);
  });

  it('batches: one lookup request and one write request per 25 documents', async () => {
    seedCustomers(fake, 'C1');
    const input = intacctInput(fake);
    const gateway = intacctGateway(input);
    const s = new IntacctSink(gateway, intacctSinkSettings(), input.log);
    await s.open();
    const before = gateway.counters.requests;
    const results = await s.write(
      Array.from({ length: 100 }, (_, i) => record('ARINVOICE', `b${i}`, invoice(`b${i}`))),
      ctx,
    );
    expect(results.every((r) => r.status === 'created')).toBe(true);
    expect(gateway.counters.requests - before).toBe(1 + 4);
    expect(fake.stats.maxConcurrent).toBeLessThanOrEqual(2);
  });
});
