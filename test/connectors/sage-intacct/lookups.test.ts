/**
 * The sink's reads of Intacct: a result set longer than a page is followed with readMore, each page
 * read once (running the query again would read its first page twice), and a batch of upserts and
 * voids finds its records in one look-up request.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { intacctGateway } from '../../../connectors/sage-intacct/index.js';
import { readByQuery } from '../../../connectors/sage-intacct/gateway.js';
import { inList } from '../../../connectors/sage-intacct/query.js';
import { IntacctSink } from '../../../connectors/sage-intacct/sink.js';
import { startFakeIntacct, type FakeIntacct } from '../../fakes/intacct/index.js';
import { intacctInput, intacctSinkSettings, record, seedCustomers, sinkContext } from './helpers.js';

let fake: FakeIntacct;
beforeEach(async () => {
  fake = await startFakeIntacct();
});
afterEach(() => fake.close());

/** Function names of the requests the fake received since `from`. */
const functionsSince = (from: number) => fake.state.requests.slice(from).flatMap((r) => r.functions);

describe('a result set of several pages', () => {
  it('readAll reads each page once: one readByQuery, then readMore until nothing remains', async () => {
    const ids = ['C1', 'C2', 'C3', 'C4', 'C5'];
    seedCustomers(fake, ...ids);
    const gateway = intacctGateway(intacctInput(fake));
    await gateway.ensureSession();
    const from = fake.state.requests.length;
    const [rows] = await gateway.readAll([readByQuery('CUSTOMER', inList('CUSTOMERID', ids), 'RECORDNO,CUSTOMERID', 2, 'q')]);
    expect(rows!.map((r) => r['CUSTOMERID'])).toEqual(ids);
    expect(functionsSince(from)).toEqual(['readByQuery', 'readMore', 'readMore']);
  });

  it('readAll sends its queries in one request and follows each result set on its own', async () => {
    seedCustomers(fake, 'C1', 'C2', 'C3', 'D1');
    const gateway = intacctGateway(intacctInput(fake));
    await gateway.ensureSession();
    const from = fake.state.requests.length;
    const rowSets = await gateway.readAll([
      readByQuery('CUSTOMER', inList('CUSTOMERID', ['C1', 'C2', 'C3']), 'CUSTOMERID', 2, 'c'),
      readByQuery('CUSTOMER', inList('CUSTOMERID', ['D1']), 'CUSTOMERID', 2, 'd'),
    ]);
    expect(rowSets.map((rows) => rows.map((r) => r['CUSTOMERID']))).toEqual([['C1', 'C2', 'C3'], ['D1']]);
    expect(fake.state.requests.slice(from).map((r) => r.functions)).toEqual([['readByQuery', 'readByQuery'], ['readMore']]);
  });

  it('the sink looks a record up through every page of its look-up, each read once', async () => {
    // 1,001 payment details of one payment: the application's own is the last, on the second page.
    for (let i = 0; i < 1001; i++) {
      fake.state.applications.push({
        RECORDNO: String(5000 + i),
        PAYMENTKEY: '4242',
        RECORDKEY: String(7000 + i),
        amount: 100n,
        PAYMENTDATE: '2024-03-01',
        MEMO: '',
        OVERPAYLOCID: '',
        OVERPAYDEPTID: '',
      });
    }
    const input = intacctInput(fake);
    const sink = new IntacctSink(intacctGateway(input), intacctSinkSettings(), input.log);
    await sink.open();
    const from = fake.state.requests.length;
    const [planned] = await sink.plan([
      record('ARPAYMENT_APPLY', 'apply-1', { arpaymentkey: '4242', paymentdate: '2024-03-01', arpaymentitems: [{ invoicekey: '8000', amount: '0.01' }] }),
    ]);
    expect(planned).toMatchObject({ action: 'adopt', targetId: '4242' });
    expect(functionsSince(from)).toEqual(['readByQuery', 'readMore']);
  });
});

describe('the look-up of a batch', () => {
  it('finds the upserts and the voids of a batch in one request', async () => {
    seedCustomers(fake, 'C1');
    const input = intacctInput(fake);
    const sink = new IntacctSink(intacctGateway(input), intacctSinkSettings(), input.log);
    const ctx = sinkContext();
    await sink.open();
    const invoice = (no: string) => ({
      customerid: 'C1',
      datecreated: '2024-03-01',
      datedue: '2024-03-31',
      invoiceno: no,
      invoiceitems: [{ glaccountno: '4000', amount: '10.00', memo: 'plan' }],
    });
    const [posted] = await sink.write([record('ARINVOICE', 'inv_a', invoice('inv_a'))], ctx);
    expect(posted).toMatchObject({ status: 'created' });

    const from = fake.state.requests.length;
    const voided = { ...record('ARINVOICE', 'inv_a', { invoiceno: 'inv_a', datereversed: '2024-03-05', description: 'voided' }), action: 'void' as const };
    const results = await sink.write([voided, record('ARINVOICE', 'inv_b', invoice('inv_b')), record('ARINVOICE', 'inv_c', invoice('inv_c'))], ctx);
    expect(results.map((r) => r.status)).toEqual(['updated', 'created', 'created']);
    const lookUps = fake.state.requests.slice(from).filter((r) => r.functions.includes('readByQuery'));
    expect(lookUps).toHaveLength(1);
    expect(functionsSince(from).filter((f) => f !== 'readByQuery')).toEqual(['reverse_invoice', 'create_invoice', 'create_invoice']);
  });
});
