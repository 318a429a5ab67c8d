/**
 * The element lists the fake enforces (test/fixtures/vendor/intacct/sdk-element-order.json, read
 * from intacct-sdk-js's writeXml methods) agree with every request fixture of the SDK's own tests,
 * and the fake refuses what the SDK does not write: an unknown element, one out of order, a
 * page size over ReadByQuery.MAX_PAGE_SIZE, the legacy create_paymentrequest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SDK_FUNCTIONS, elementOrderProblem } from './element-order.js';
import { startFakeIntacct, type FakeIntacct } from './index.js';
import { asArray, child, elementNames, parseXml, text, type XmlValue } from './xml.js';

const dir = join(import.meta.dirname, '../../fixtures/vendor/intacct');
const requestFixtures = readdirSync(dir).filter((f) => f.endsWith('.xml') && /<function /.test(readFileSync(join(dir, f), 'utf8')));

function functionsOf(file: string): { name: string; body: XmlValue | undefined }[] {
  const doc = parseXml(readFileSync(join(dir, file), 'utf8'));
  return asArray(child(child(doc, 'test'), 'function')).map((fn) => {
    const [name] = elementNames(fn);
    return { name: name ?? '', body: child(fn, name ?? '') };
  });
}

describe('the SDK element lists', () => {
  it.each(requestFixtures)('agree with the SDK fixture %s', (file) => {
    for (const { name, body } of functionsOf(file)) expect(elementOrderProblem(name, body), `${file}: ${name}`).toBeUndefined();
  });

  it('cover every function ledgersync sends, each proven by at least one SDK fixture', () => {
    const proven = new Set(
      requestFixtures.flatMap((f) =>
        functionsOf(f).flatMap(({ name, body }) => (name === 'create' || name === 'update' ? elementNames(body).map((o) => `${name}/${o}`) : [name])),
      ),
    );
    const listed = Object.entries(SDK_FUNCTIONS).flatMap(([name, spec]) => (spec.objects ? Object.keys(spec.objects).map((o) => `${name}/${o}`) : [name]));
    expect(listed.sort()).toEqual(
      [
        'readByQuery',
        'readMore',
        'create_invoice',
        'update_invoice',
        'create_aradjustment',
        'create_arpayment',
        'apply_arpayment',
        'create_bill',
        'reverse_invoice',
        'reverse_arpayment',
        'delete_aradjustment',
        'reverse_bill',
        'reverse_appayment',
        'create/CUSTOMER',
        'create/APPYMT',
        'update/CUSTOMER',
      ].sort(),
    );
    expect(listed.filter((l) => !proven.has(l))).toEqual([]);
  });
});

describe('the fake gateway refuses what the SDK does not write', () => {
  let fake: FakeIntacct;
  beforeAll(async () => {
    fake = await startFakeIntacct();
  });
  afterAll(() => fake.close());

  async function run(content: string): Promise<XmlValue | undefined> {
    const c = fake.credentials;
    const body = `<?xml version="1.0" encoding="UTF-8"?><request><control><senderid>${c.senderId}</senderid><password>${c.senderPassword}</password><controlid>t</controlid><uniqueid>false</uniqueid><dtdversion>3.0</dtdversion></control><operation transaction="false"><authentication><login><userid>${c.userId}</userid><companyid>${c.companyId}</companyid><password>${c.userPassword}</password></login></authentication><content>${content}</content></operation></request>`;
    const res = await fetch(fake.url, { method: 'POST', body, headers: { 'content-type': 'application/xml' } });
    return child(child(child(parseXml(await res.text()), 'response'), 'operation'), 'result');
  }
  const error = (result: XmlValue | undefined) => child(child(result, 'errormessage'), 'error');

  it('update_invoice with create elements (billto, batchkey): InvoiceUpdate writes payto / returnto and never batchkey', async () => {
    for (const element of [
      '<billto><contactname>A</contactname></billto>',
      '<batchkey>1</batchkey>',
      '<onhold>true</onhold>',
      '<externalid>x</externalid>',
      '<nogl>false</nogl>',
    ]) {
      const result = await run(`<function controlid="u"><update_invoice key="1"><customerid>C1</customerid>${element}</update_invoice></function>`);
      expect(text(child(result, 'status'))).toBe('failure');
      expect(text(child(error(result), 'errorno'))).toBe('XL03000009');
      expect(text(child(error(result), 'description2'))).toMatch(/This element is not expected/);
    }
  });

  it('elements out of the SDK order', async () => {
    const result = await run(
      '<function controlid="o"><readByQuery><object>CUSTOMER</object><fields>*</fields><query></query><pagesize>10</pagesize></readByQuery></function>',
    );
    expect(text(child(error(result), 'description2'))).toMatch(/Element 'query': This element is not expected here/);
  });

  it.each(['reverse_invoice', 'reverse_arpayment', 'reverse_bill', 'reverse_appayment'])(
    '%s with description before datereversed, or an element it lacks',
    async (fn) => {
      const date = '<datereversed><year>2024</year><month>03</month><day>01</day></datereversed>';
      const swapped = await run(`<function controlid="r"><${fn} key="1"><description>x</description>${date}</${fn}></function>`);
      expect(text(child(error(swapped), 'description2'))).toMatch(/Element 'datereversed': This element is not expected here/);
      const unknown = await run(`<function controlid="r"><${fn} key="1">${date}<memo>x</memo></${fn}></function>`);
      expect(text(child(error(unknown), 'description2'))).toMatch(/Element 'memo': This element is not expected/);
    },
  );

  it('delete_aradjustment with an element (ArAdjustmentDelete writes the key alone)', async () => {
    const result = await run('<function controlid="d"><delete_aradjustment key="1"><description>x</description></delete_aradjustment></function>');
    expect(text(child(error(result), 'description2'))).toMatch(/Element 'description': This element is not expected/);
  });

  it('readByQuery pagesize over 1000 (ReadByQuery.MAX_PAGE_SIZE)', async () => {
    const result = await run(
      '<function controlid="p"><readByQuery><object>CUSTOMER</object><query></query><fields>*</fields><pagesize>2000</pagesize></readByQuery></function>',
    );
    expect(text(child(result, 'status'))).toBe('failure');
    expect(text(child(error(result), 'correction'))).toMatch(/Page Size cannot be greater than 1000/);
    const ok = await run(
      '<function controlid="p"><readByQuery><object>CUSTOMER</object><query></query><fields>*</fields><pagesize>1000</pagesize></readByQuery></function>',
    );
    expect(text(child(ok, 'status'))).toBe('success');
  });

  it("a quote doubled as '' instead of escaped as \\' (InArrayString)", async () => {
    const doubled = await run(
      "<function controlid=\"q\"><readByQuery><object>CUSTOMER</object><query>NAME IN ('O''Brien')</query><fields>*</fields></readByQuery></function>",
    );
    expect(text(child(doubled, 'status'))).toBe('failure');
    const escaped = await run(
      "<function controlid=\"q\"><readByQuery><object>CUSTOMER</object><query>NAME IN ('O\\'Brien')</query><fields>*</fields></readByQuery></function>",
    );
    expect(text(child(escaped, 'status'))).toBe('success');
  });

  it('the legacy create_paymentrequest', async () => {
    const result = await run('<function controlid="l"><create_paymentrequest><bankaccountid>BOA</bankaccountid></create_paymentrequest></function>');
    expect(text(child(result, 'status'))).toBe('failure');
    expect(text(child(error(result), 'description2'))).toMatch(/create APPYMT|<create><APPYMT>/);
  });
});
