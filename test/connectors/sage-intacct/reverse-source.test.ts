/**
 * The Intacct source of the reverse flow: each AR payment with its applications (APPLIED_TO), one
 * entry per payment detail with the detail's own key and the invoice's currency, and the pipeline's
 * start date bounding the receipt date on every read.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { intacctGateway } from '../../../connectors/sage-intacct/index.js';
import { formatIntacctDate, IntacctSource } from '../../../connectors/sage-intacct/source.js';
import type { SourceRecord, StreamReadRequest } from '../../../engine/connector/types.js';
import type { XmlNode } from '../../../connectors/sage-intacct/xml.js';
import { silentLogger } from '../../../engine/log.js';
import { startFakeIntacct, type FakeIntacct } from '../../fakes/intacct/index.js';
import { descriptorOf, intacctInput, seedCustomers } from './helpers.js';

let fake: FakeIntacct | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function seedInvoice(f: FakeIntacct, RECORDID: string, CURRENCY: string, total: bigint): string {
  const RECORDNO = String(++f.state.lastRecordNo);
  f.state.arDocuments.set(RECORDNO, {
    kind: 'invoice',
    RECORDNO,
    RECORDID,
    CUSTOMERID: 'C1',
    WHENCREATED: '2024-03-01',
    CURRENCY,
    EXCHRATE: CURRENCY === 'USD' ? '1' : '0.0067',
    DESCRIPTION: '',
    lines: [],
    total,
    applied: 0n,
    WHENMODIFIED: '',
    updates: 0,
  });
  return RECORDNO;
}

const date = (iso: string): XmlNode => {
  const [year = '', month = '', day = ''] = iso.split('-');
  return { year, month, day };
};

async function createPayment(
  f: FakeIntacct,
  refid: string,
  received: string,
  amount: string,
  items: { invoicekey: string; amount: string }[],
): Promise<string> {
  const [result] = await intacctGateway(intacctInput(f)).execute([
    {
      controlId: `clerk-${refid}`,
      name: 'create_arpayment',
      body: {
        customerid: 'C1',
        paymentamount: amount,
        bankaccountid: 'BOA',
        refid,
        datereceived: date(received),
        paymentmethod: 'Printed Check',
        arpaymentitem: items,
      },
    },
  ]);
  expect(result!.status, JSON.stringify(result)).toBe('success');
  return [...f.state.arPayments.values()].find((p) => p.DOCNUMBER === refid)!.RECORDNO;
}

async function applyPayment(f: FakeIntacct, paymentKey: string, applied: string, items: { invoicekey: string; amount: string }[]): Promise<void> {
  const [result] = await intacctGateway(intacctInput(f)).execute([
    {
      controlId: `clerk-apply-${paymentKey}-${applied}`,
      name: 'apply_arpayment',
      body: { arpaymentkey: paymentKey, paymentdate: date(applied), arpaymentitems: { arpaymentitem: items } },
    },
  ]);
  expect(result!.status, JSON.stringify(result)).toBe('success');
}

async function readAll(f: FakeIntacct, request: Partial<StreamReadRequest> = {}, timezone = 'UTC'): Promise<{ records: SourceRecord[]; checkpoint: unknown }> {
  const source = new IntacctSource(intacctGateway(intacctInput(f)), descriptorOf('sage-intacct').endpoints ?? {}, 1000, timezone);
  const ctx = { log: silentLogger, signal: new AbortController().signal, now: () => 0 };
  await source.open();
  const records: SourceRecord[] = [];
  let checkpoint: unknown;
  for await (const page of source.read(
    { stream: 'offline_payments', endpoint: 'ar_payments', checkpoint: undefined, lookbackSeconds: 0, params: {}, ...request },
    ctx,
  )) {
    records.push(...page.records);
    if (page.checkpoint !== undefined) checkpoint = page.checkpoint;
  }
  return { records, checkpoint };
}

describe('IntacctSource: AR payments for the reverse flow', () => {
  it('lists each application of a payment with its payment detail key and the invoice currency, in the order they were made', async () => {
    const f = (fake = await startFakeIntacct());
    seedCustomers(f, 'C1');
    const usd = seedInvoice(f, 'inv_usd', 'USD', 500_000n);
    const jpy = seedInvoice(f, 'inv_jpy', 'JPY', 100_000_000n);
    const paymentKey = await createPayment(f, 'CHK-1', '2024-03-10', '80.00', [
      { invoicekey: usd, amount: '20.00' },
      { invoicekey: jpy, amount: '10.00' },
    ]);
    await applyPayment(f, paymentKey, '2024-03-11', [{ invoicekey: usd, amount: '30.00' }]);
    const details = f.state.applications.filter((a) => a.PAYMENTKEY === paymentKey).map((a) => a.RECORDNO);
    expect(details).toHaveLength(3);
    // readByQuery returns rows in no promised order: the fake's are reversed to prove the source sorts them.
    f.state.applications.reverse();

    const { records } = await readAll(f);
    const payment = records.find((r) => r.id === paymentKey)!;
    expect(payment.data['APPLIED_TO']).toEqual([
      { DETAILKEY: details[0], INVOICEKEY: usd, INVOICENO: 'inv_usd', AMOUNT: '20', CURRENCY: 'USD' },
      { DETAILKEY: details[1], INVOICEKEY: jpy, INVOICENO: 'inv_jpy', AMOUNT: '10', CURRENCY: 'JPY' },
      { DETAILKEY: details[2], INVOICEKEY: usd, INVOICENO: 'inv_usd', AMOUNT: '30', CURRENCY: 'USD' },
    ]);
  });

  it('reads no payment received before the start date, on the first run or any later one', async () => {
    const f = (fake = await startFakeIntacct());
    seedCustomers(f, 'C1');
    const invoiceKey = seedInvoice(f, 'inv_a', 'USD', 1_000_000n);
    const before = await createPayment(f, 'CHK-OLD', '2024-02-29', '10.00', [{ invoicekey: invoiceKey, amount: '10.00' }]);
    const onDay = await createPayment(f, 'CHK-DAY', '2024-03-01', '10.00', [{ invoicekey: invoiceKey, amount: '10.00' }]);
    const startDate = Date.UTC(2024, 2, 1) / 1000;

    const first = await readAll(f, { startDate });
    expect(first.records.map((r) => r.id)).toEqual([onDay]);
    // A later run reads from its checkpoint (WHENMODIFIED), yet the payment keyed in today and
    // received before go-live stays out.
    const later = await readAll(f, { startDate, checkpoint: { modified_after: 0 } });
    expect(later.records.map((r) => r.id)).toEqual([onDay]);
    expect(later.records.map((r) => r.id)).not.toContain(before);
    // Without a start date, both.
    expect((await readAll(f)).records.map((r) => r.id).sort()).toEqual([before, onDay].sort());
  });

  it("reads the start date as a day of the pipeline's timezone", async () => {
    const f = (fake = await startFakeIntacct());
    seedCustomers(f, 'C1');
    const invoiceKey = seedInvoice(f, 'inv_b', 'USD', 1_000_000n);
    const before = await createPayment(f, 'CHK-TYO-OLD', '2024-02-29', '10.00', [{ invoicekey: invoiceKey, amount: '10.00' }]);
    const onDay = await createPayment(f, 'CHK-TYO-DAY', '2024-03-01', '10.00', [{ invoicekey: invoiceKey, amount: '10.00' }]);
    // start_date: 2024-03-01 in Asia/Tokyo is 2024-02-29T15:00:00Z.
    const startDate = Date.UTC(2024, 1, 29, 15) / 1000;
    expect(formatIntacctDate(startDate, 'Asia/Tokyo')).toBe('03/01/2024');
    const { records } = await readAll(f, { startDate }, 'Asia/Tokyo');
    expect(records.map((r) => r.id)).toEqual([onDay]);
    expect(records.map((r) => r.id)).not.toContain(before);
  });
});
