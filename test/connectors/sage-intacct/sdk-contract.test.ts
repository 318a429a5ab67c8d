/**
 * issue 11, mismatches 1, 5 and 6: the Intacct sink and source speak readByQuery and update_invoice
 * as Sage Intacct's SDK (intacct-sdk-js) writes them, against the fake gateway that enforces the
 * SDK's element lists (test/fixtures/vendor/intacct/sdk-element-order.json).
 *  1. ReadByQuery.ts: MAX_PAGE_SIZE = 1000 ("Page Size cannot be greater than 1000").
 *  5. InArrayString.ts: a quote in a value is escaped \' (fixture InArrayString.escape.json).
 *  6. InvoiceUpdate.ts: payto / returnto, no batchkey, onhold, externalid, nogl (fixtures InvoiceUpdate.*).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { updateBody } from '../../../connectors/sage-intacct/documents.js';
import { connector } from '../../../connectors/sage-intacct/index.js';
import { inList } from '../../../connectors/sage-intacct/query.js';
import { elementOrderProblem } from '../../fakes/intacct/element-order.js';
import { startFakeIntacct, type FakeIntacct } from '../../fakes/intacct/index.js';
import { child, text, type XmlValue } from '../../fakes/intacct/xml.js';
import { intacctInput, record, seedCustomers, sinkContext } from './helpers.js';
import { intacctSpecs } from './helpers.js';

const objectSpecs = intacctSpecs();

let fake: FakeIntacct;
beforeEach(async () => {
  fake = await startFakeIntacct();
});
afterEach(() => fake.close());

const ctx = sinkContext();
const sink = () => connector.createSink!(intacctInput(fake));
const readByQueries = () => fake.state.requests.flatMap((r) => r.calls ?? []).filter((c) => c.element === 'readByQuery');

const invoice = (no: string, extra: Record<string, unknown> = {}) => ({
  customerid: 'C1',
  datecreated: '2024-02-01',
  invoiceno: no,
  description: `Invoice ${no}`,
  currency: 'USD',
  invoiceitems: [{ glaccountno: '4000', amount: '100.00', memo: 'Pro plan' }],
  ...extra,
});

describe('readByQuery page size (ReadByQuery.MAX_PAGE_SIZE = 1000)', () => {
  it("a write batch's look-ups ask for at most 1000 rows, so the batch is written", async () => {
    seedCustomers(fake, 'C1');
    const results = await sink().write(
      [record('ARINVOICE', 'inv_p1', invoice('inv_p1', { datedue: '2024-03-02' })), record('CUSTOMER', 'c_p', { CUSTOMERID: 'c_p', NAME: 'P' })],
      ctx,
    );
    expect(results.map((r) => r.status)).toEqual(['created', 'created']);
    expect(readByQueries().length).toBeGreaterThan(0);
    for (const call of readByQueries()) expect(Number(text(child(call.body as XmlValue, 'pagesize')))).toBeLessThanOrEqual(1000);
  });

  it('the source refuses a page size over 1000 before sending anything', () => {
    const input = intacctInput(fake);
    const tooBig = { ...input, descriptor: { ...input.descriptor, settings: { ...input.descriptor.settings, page_size: 2000 } } };
    expect(() => connector.createSource!(tooBig)).toThrow(/page size 2000 is not between 1 and 1000/);
  });
});

describe("quotes in query values (InArrayString: \\')", () => {
  it('writes the SDK fixture exactly', () => {
    const fixture = JSON.parse(readFileSync(join(import.meta.dirname, '../../fixtures/vendor/intacct/InArrayString.escape.json'), 'utf8'));
    expect(inList(fixture.field, fixture.values)).toBe(fixture.expected);
    expect(inList('X', ["it's a 'quote'"])).toBe("X IN ('it\\'s a \\'quote\\'')");
  });

  it('a customer whose id has an apostrophe is found by its look-up, not created twice', async () => {
    const first = await sink().write([record('CUSTOMER', 'obrien', { CUSTOMERID: "O'BRIEN", NAME: "O'Brien & Co" })], ctx);
    expect(first[0]).toMatchObject({ status: 'created', targetId: "O'BRIEN" });
    // The ledger lost the write (a crash before the checkpoint): the look-up must find it.
    const again = await sink().write([record('CUSTOMER', 'obrien', { CUSTOMERID: "O'BRIEN", NAME: "O'Brien & Co" }, { pendingWrite: true })], ctx);
    expect(again[0]).toMatchObject({ targetId: "O'BRIEN" });
    expect(again[0]!.status).not.toBe('failed');
    expect([...fake.state.customers.keys()].filter((k) => k === "O'BRIEN")).toHaveLength(1);
  });
});

describe('update_invoice as InvoiceUpdate writes it', () => {
  const mapped = invoice('inv_u', {
    batchkey: '7',
    onhold: 'false',
    externalid: 'ext-1',
    nogl: 'false',
    basecurr: 'USD',
    billto: { contactname: 'Bill Contact' },
    shipto: { contactname: 'Ship Contact' },
  });

  it('payto / returnto instead of billto / shipto; no batchkey, onhold, externalid, nogl, basecurr; the SDK order', () => {
    const fn = updateBody(objectSpecs['ARINVOICE']!, 'ARINVOICE', mapped, '1002');
    expect(fn.name).toBe('update_invoice');
    expect(fn.attributes).toEqual({ key: '1002' });
    expect(Object.keys(fn.body)).toEqual(['customerid', 'datecreated', 'description', 'payto', 'returnto', 'currency', 'updateinvoiceitems']);
    expect(fn.body['payto']).toEqual({ contactname: 'Bill Contact' });
    expect(elementOrderProblem('update_invoice', { '@key': '1002', ...fn.body } as XmlValue)).toBeUndefined();
  });

  it('a changed invoice that carries create-only elements is updated in the fake gateway', async () => {
    seedCustomers(fake, 'C1');
    // Created with its due date, which create_invoice needs (InvoiceCreate writes datedue, else termname).
    const [created] = await sink().write([record('ARINVOICE', 'inv_u', { ...mapped, datedue: '2024-03-02' })], ctx);
    expect(created, JSON.stringify(created)).toMatchObject({ status: 'created' });
    const key = created!.status === 'created' ? created!.targetId : '';
    const [updated] = await sink().write([record('ARINVOICE', 'inv_u', { ...mapped, description: 'corrected' }, { targetId: key })], ctx);
    expect(updated, JSON.stringify(updated)).toMatchObject({ status: 'updated', targetId: key });
    expect(fake.state.arDocuments.get(key)!.DESCRIPTION).toBe('corrected');
  });
});
