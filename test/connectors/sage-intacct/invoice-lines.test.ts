/**
 * An invoice whose new version has a different number of lines. update_invoice replaces a line
 * Intacct holds by its number (`<updatelineitem line_num>`, the SDK's InvoiceLineUpdate) and adds one
 * it does not hold (`<lineitem>`, InvoiceLineCreate); it cannot delete a line. Before, the sink sent
 * every line of the new version as updatelineitem 1..n: a removed line stayed in Intacct's total
 * behind an `updated` exit-0 run, and an added line was addressed by a number Intacct lacks.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector, intacctGateway } from '../../../connectors/sage-intacct/index.js';
import type { SinkResult } from '../../../engine/connector/types.js';
import { startFakeIntacct, type FakeIntacct } from '../../fakes/intacct/index.js';
import { intacctInput, record, seedCustomers, sinkContext } from './helpers.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';
import { customer, invoice as cbInvoice } from './scenario.js';

let fake: FakeIntacct;
beforeEach(async () => {
  fake = await startFakeIntacct();
  seedCustomers(fake, 'C1');
});
afterEach(() => fake.close());

const sink = () => connector.createSink!(intacctInput(fake));
const ctx = sinkContext();

const line = (amount: string, memo: string, tax?: string) => ({
  glaccountno: '4000',
  amount,
  memo,
  ...(tax ? { taxentries: [{ detailid: 'Sales Tax', trx_tax: tax }] } : {}),
});
const invoice = (lines: Record<string, unknown>[]) => ({
  customerid: 'C1',
  datecreated: '2024-02-01',
  datedue: '2024-03-02',
  invoiceno: 'inv_lines',
  description: 'Invoice inv_lines',
  invoiceitems: lines,
});

async function posted(lines: Record<string, unknown>[]): Promise<string> {
  const [created] = await sink().write([record('ARINVOICE', 'inv_lines', invoice(lines))], ctx);
  if (created?.status !== 'created') throw new Error(JSON.stringify(created));
  return created.targetId;
}
const update = (key: string, lines: Record<string, unknown>[]) => sink().write([record('ARINVOICE', 'inv_lines', invoice(lines), { targetId: key })], ctx);
const doc = (key: string) => fake.state.arDocuments.get(key)!;
const lastUpdate = () =>
  fake.state.requests
    .flatMap((r) => r.calls ?? [])
    .filter((c) => c.element === 'update_invoice')
    .at(-1)?.body as Record<string, any> | undefined;
const failed = (r: SinkResult | undefined) => {
  if (r?.status !== 'failed') throw new Error(`expected a failed result, got ${JSON.stringify(r)}`);
  return r.error;
};

describe('Intacct invoice updated with another number of lines', () => {
  it('a line added in the new version is sent as a lineitem (with its tax) after the lines Intacct holds, and the total follows', async () => {
    const key = await posted([line('100.00', 'Plan', '8.25'), line('50.00', 'Addon', '4.13')]);
    const [r] = await update(key, [line('100.00', 'Plan', '8.25'), line('50.00', 'Addon', '4.13'), line('30.00', 'Setup fee', '2.48')]);
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'updated', targetId: key });
    const items = lastUpdate()!['updateinvoiceitems'];
    expect(items.updatelineitem.map((l: any) => l['@line_num'])).toEqual(['1', '2']);
    expect(items.lineitem).toMatchObject({ memo: 'Setup fee', amount: '30.00', taxentries: { taxentry: { detailid: 'Sales Tax', trx_tax: '2.48' } } });
    expect(doc(key).lines.map((l) => l.memo)).toEqual(['Plan', 'Addon', 'Setup fee']);
    expect(doc(key).total).toBe(1_948_600n); // 180.00 + 14.86 tax
  });

  it('the same number of lines: each replaced by its number, none added', async () => {
    const key = await posted([line('100.00', 'Plan', '8.25'), line('50.00', 'Addon', '4.13')]);
    const [r] = await update(key, [line('100.00', 'Plan, renamed', '8.25'), line('60.00', 'Addon', '4.13')]);
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'updated' });
    expect(Object.keys(lastUpdate()!['updateinvoiceitems'])).toEqual(['updatelineitem']);
    expect(doc(key).lines.map((l) => [l.memo, l.amount])).toEqual([
      ['Plan, renamed', 1_000_000n],
      ['Addon', 600_000n],
    ]);
  });

  it('a line removed in the new version: the record is refused, naming the invoice, both line counts and the fix; Intacct is untouched', async () => {
    const key = await posted([line('900.00', 'Plan'), line('180.00', 'Addon')]);
    const before = fake.state.requests.length;
    const [r] = await update(key, [line('900.00', 'Plan')]);
    const error = failed(r);
    expect(error.code).toBe('intacct_update_unsupported');
    expect(error.kind).toBe('record');
    expect(error.message).toContain(`ARINVOICE inv_lines (RECORDNO ${key}) has 2 lines in Intacct and 1 in the new version`);
    expect(error.fix).toMatch(/delete line 2 of invoice inv_lines .* in Intacct by hand/);
    expect(error.fix).toMatch(/reverse it in Intacct/);
    expect(error.details).toMatchObject({ recordNo: key, linesInIntacct: 2, linesMapped: 1 });
    expect(fake.state.requests.slice(before).flatMap((q) => q.functions)).not.toContain('update_invoice');
    expect(doc(key).total).toBe(10_800_000n);
    expect(doc(key).updates).toBe(0);
  });

  it('ledgersync plan reports the refusal before anything is sent', async () => {
    const key = await posted([line('900.00', 'Plan'), line('180.00', 'Addon')]);
    const [planned] = await sink().plan!([record('ARINVOICE', 'inv_lines', invoice([line('900.00', 'Plan')]), { targetId: key })], ctx);
    expect(planned).toMatchObject({ action: 'fail', error: { code: 'intacct_update_unsupported' } });
  });

  it("the tax entries Intacct lists among an invoice's items are not counted as lines", async () => {
    const key = await posted([line('100.00', 'Plan', '8.25')]);
    const [r] = await update(key, [line('100.00', 'Plan', '8.25'), line('10.00', 'Addon', '0.83')]);
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'updated' });
    expect(doc(key).lines).toHaveLength(2);
  });

  it('an update that added a line and whose answer was lost is not sent again as an addition: the line is there once', async () => {
    const key = await posted([line('100.00', 'Plan')]);
    let dropped = false;
    fake.faults.afterWrite = (ran) => {
      if (!dropped && ran.functions.includes('update_invoice')) {
        dropped = true;
        fake.faults.dropResponseOfNext(1);
      }
    };
    const [r] = await update(key, [line('100.00', 'Plan'), line('25.00', 'Addon')]);
    expect(dropped).toBe(true);
    expect(r, JSON.stringify(r)).toMatchObject({ status: 'updated' });
    expect(doc(key).lines.map((l) => l.memo)).toEqual(['Plan', 'Addon']);
    expect(doc(key).total).toBe(1_250_000n);
  });
});

describe('the fake gateway numbers invoice lines as Intacct does', () => {
  it('refuses an updatelineitem whose line does not exist, and adds a lineitem', async () => {
    const key = await posted([line('100.00', 'Plan')]);
    const gateway = intacctGateway(intacctInput(fake));
    const beyond = {
      updateinvoiceitems: {
        updatelineitem: [
          { '@line_num': '1', ...line('100.00', 'Plan') },
          { '@line_num': '2', ...line('5.00', 'New') },
        ],
      },
    };
    const refused = await gateway.executeWrite([{ controlId: 'u1', name: 'update_invoice', attributes: { key }, body: beyond }], { controlId: 'req-u1' });
    if (refused.outcome !== 'answered') throw refused.error;
    expect(refused.results[0]).toMatchObject({ status: 'failure', errors: [{ errorno: 'BL03000031' }, { errorno: 'BL01001973' }] });
    expect(refused.results[0]!.errors[0]!.description2).toMatch(/line_num 2 does not exist on invoice inv_lines, which has 1 line/);
    expect(doc(key).lines).toHaveLength(1);

    const added = { updateinvoiceitems: { lineitem: line('5.00', 'New') } };
    const ok = await gateway.executeWrite([{ controlId: 'u2', name: 'update_invoice', attributes: { key }, body: added }], { controlId: 'req-u2' });
    if (ok.outcome !== 'answered') throw ok.error;
    expect(ok.results[0]).toMatchObject({ status: 'success' });
    expect(doc(key).lines.map((l) => l.memo)).toEqual(['Plan', 'New']);
  });
});

describe('Chargebee to Intacct: a line removed from an invoice already posted', () => {
  let s: Sandbox | undefined;
  afterEach(async () => {
    await s?.close();
    s = undefined;
  });

  it('is a dead letter naming the invoice, and Intacct keeps its total; once the line is deleted there, the retry updates the invoice', async () => {
    s = await startSandbox({ cb: { customers: 0 } });
    customer(s.cb, 'cust_l');
    cbInvoice(s.cb, 'inv_l1', 'cust_l', [
      { id: 'l1', amount: 90_000, entityId: 'x', description: 'Plan' },
      { id: 'l2', amount: 18_000, entityId: 'x', description: 'Addon' },
    ]);
    expect((await s.run()).exitCode).toBe(0);
    const intacct = () => [...s!.intacct.state.arDocuments.values()].find((d) => d.RECORDID === 'inv_l1')!;
    expect(intacct().lines).toHaveLength(2);

    const { line_items } = s.cb.state.get('invoices', 'inv_l1') as unknown as { line_items: Record<string, unknown>[] };
    s.cb.state.touch('invoices', 'inv_l1', { line_items: [line_items[0]], sub_total: 90_000, total: 90_000, amount_due: 90_000 } as never);
    const refused = await s.run();
    expect(refused.exitCode).toBe(1);
    expect(refused.streams['invoices']).toMatchObject({ updated: 0, failed: 1 });
    expect(intacct().lines).toHaveLength(2);
    expect(intacct().updates).toBe(0);

    // Deleted in Intacct by hand, as the fix says: the retry updates the invoice.
    intacct().lines.splice(1);
    const retried = await s.run();
    expect(retried.exitCode, JSON.stringify(retried.error)).toBe(0);
    expect(retried.streams['invoices']).toMatchObject({ updated: 1, failed: 0 });
  }, 120_000);
});
