/**
 * The fake gateway against Intacct's own SDK fixtures: it accepts every request fixture (wrapped
 * in a real `<request>` envelope, as the fixture INDEX says) and answers in the shapes of the
 * response fixtures.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeIntacct, type FakeIntacct } from './index.js';
import { parseXml, child, text, asArray, type XmlValue } from './xml.js';

const dir = join(import.meta.dirname, '../../fixtures/vendor/intacct');
const fixture = (name: string) => readFileSync(join(dir, name), 'utf8');
const inner = (xml: string) =>
  xml
    .replace(/^<\?xml[^>]*\?>\s*/, '')
    .replace(/^<test>/, '')
    .replace(/<\/test>\s*$/, '');

let fake: FakeIntacct;
let counter = 0;

function envelope(content: string, opts: { sender?: string; user?: string; uniqueId?: string } = {}): string {
  const c = fake.credentials;
  return `<?xml version="1.0" encoding="UTF-8"?><request><control><senderid>${opts.sender ?? c.senderId}</senderid><password>${c.senderPassword}</password><controlid>${opts.uniqueId ?? `t-${++counter}`}</controlid><uniqueid>${opts.uniqueId ? 'true' : 'false'}</uniqueid><dtdversion>3.0</dtdversion></control><operation transaction="false"><authentication><login><userid>${opts.user ?? c.userId}</userid><companyid>${c.companyId}</companyid><password>${c.userPassword}</password></login></authentication><content>${content}</content></operation></request>`;
}

async function post(body: string): Promise<XmlValue | undefined> {
  const res = await fetch(fake.url, { method: 'POST', body, headers: { 'content-type': 'application/xml' } });
  expect(res.status).toBe(200);
  return child(parseXml(await res.text()), 'response');
}

/** Element names of every level, so shapes can be compared with a fixture without comparing values. */
function shape(value: XmlValue | undefined): unknown {
  if (value === undefined || typeof value === 'string') return 'text';
  if (Array.isArray(value)) return shape(value[0]);
  return Object.fromEntries(
    Object.keys(value)
      .filter((k) => !k.startsWith('@') && k !== '#text')
      .sort()
      .map((k) => [k, shape(value[k])]),
  );
}

beforeAll(async () => {
  fake = await startFakeIntacct({ defaultGlAccount: '4000' });
  const s = fake.state;
  for (const id of ['CUSTOMER1', 'C0020', 'C5678']) {
    s.customers.set(id, {
      RECORDNO: String(s.customers.size + 1),
      CUSTOMERID: id,
      NAME: id,
      STATUS: 'active',
      contact: {},
      WHENCREATED: '',
      WHENMODIFIED: '',
      updates: 0,
    });
  }
  for (const RECORDNO of ['1000', '1001']) {
    s.arDocuments.set(RECORDNO, {
      kind: 'invoice',
      RECORDNO,
      RECORDID: `INV-${RECORDNO}`,
      CUSTOMERID: 'C0020',
      WHENCREATED: '2016-06-01',
      CURRENCY: 'USD',
      EXCHRATE: '1',
      DESCRIPTION: '',
      lines: [],
      total: 10_000_000n,
      applied: 0n,
      WHENMODIFIED: '',
      updates: 0,
    });
  }
  s.arPayments.set('1234', {
    RECORDNO: '1234',
    CUSTOMERID: 'C0020',
    DOCNUMBER: '',
    PAYMENTMETHOD: 'Cash',
    amount: 2_000_000n,
    applied: 0n,
    RECEIPTDATE: '2016-06-30',
    CURRENCY: 'USD',
    FINANCIALENTITY: 'BOA',
    OVERPAYLOCID: '',
    OVERPAYDEPTID: '',
    WHENMODIFIED: '',
  });
  s.lastRecordNo = 5000;
});
afterAll(() => fake.close());

/** Fixtures of functions whose seeded counterparts exist here; the others (update, AP, reversals) are checked by element-order.test.ts. */
const checkedElsewhere =
  /^(InvoiceUpdate|CustomerUpdate|ApPaymentCreate|ReadByQuery|ReadMore|BillCreate|InvoiceReverse|ArPaymentReverse|ArAdjustmentDelete|BillReverse|ApPaymentReverse)\./;
const requestFixtures = readdirSync(dir).filter((f) => f.endsWith('.xml') && !checkedElsewhere.test(f) && /<test>/.test(readFileSync(join(dir, f), 'utf8')));
/** Fixtures that leave required values empty: Intacct answers them with a function failure, and so does the fake. */
const incomplete = new Set([
  'JournalEntryCreate.01.should-create-a-journalentry-object.xml',
  'JournalEntryLineCreate.01.should-create-a-journalentryline-object.xml',
]);

describe('fake Intacct gateway accepts the SDK request fixtures', () => {
  it('finds all 18 request fixtures', () => {
    expect(requestFixtures.length).toBe(18);
  });

  it.each(requestFixtures)('%s', async (name) => {
    let content = inner(fixture(name));
    if (name.startsWith('JournalEntryLineCreate')) {
      // A GLENTRY fragment: post it inside a journal entry with a balancing line, as the SDK does.
      const doc = parseXml(content);
      const amount = text(child(child(doc, 'GLENTRY'), 'TRX_AMOUNT'));
      const type = text(child(child(doc, 'GLENTRY'), 'TR_TYPE')) === '1' ? '-1' : '1';
      content = `<function controlid="unittest"><create><GLBATCH><JOURNAL>GJ</JOURNAL><BATCH_DATE>06/30/2016</BATCH_DATE><BATCH_TITLE>fixture</BATCH_TITLE><ENTRIES>${content}<GLENTRY><ACCOUNTNO>1000</ACCOUNTNO><TR_TYPE>${type}</TR_TYPE><TRX_AMOUNT>${amount}</TRX_AMOUNT></GLENTRY></ENTRIES></GLBATCH></create></function>`;
    }
    const response = await post(envelope(content));
    expect(text(child(child(response, 'control'), 'status'))).toBe('success');
    const operation = child(response, 'operation');
    expect(text(child(child(operation, 'authentication'), 'status'))).toBe('success');
    const result = child(operation, 'result');
    expect(text(child(result, 'controlid'))).toBe('unittest');
    if (incomplete.has(name)) {
      expect(text(child(result, 'status'))).toBe('failure');
      expect(text(child(child(child(result, 'errormessage'), 'error'), 'errorno'))).toBe('BL03000011');
    } else {
      expect(text(child(result, 'status')), JSON.stringify(child(result, 'errormessage'))).toBe('success');
    }
  });

  it('applied the fixture payments to the seeded invoices', () => {
    // ArPaymentCreate 02..04 and ArPaymentApply.02 each apply 75 to 1000 and 25.99 to 1001.
    expect(fake.state.arDocuments.get('1000')!.applied).toBe(4n * 750_000n);
    expect(fake.state.arDocuments.get('1001')!.applied).toBe(4n * 259_900n);
  });
});

describe('fake Intacct gateway answers in the response fixtures shapes', () => {
  it('getAPISession like OnlineResponse.01', async () => {
    const got = await post(envelope('<function controlid="testControlId"><getAPISession /></function>'));
    expect(shape(got)).toEqual(
      shape(child(parseXml(fixture('OnlineResponse.01.should-parse-response-and-verify-acknowledgement-is-success.xml')), 'response')),
    );
    expect(text(child(child(child(child(child(got, 'operation'), 'result'), 'data'), 'api'), 'endpoint'))).toBe(fake.url);
  });

  it('a bad user like OnlineResponse.03', async () => {
    const got = await post(envelope('<function controlid="x"><getAPISession /></function>', { user: 'nobody' }));
    expect(shape(got)).toEqual(shape(child(parseXml(fixture('OnlineResponse.03.should-throw-exception-with-authentication-failure.xml')), 'response')));
  });

  it('a bad sender fails at control level, running nothing', async () => {
    const before = fake.state.customers.size;
    const got = await post(envelope('<function controlid="x"><create><CUSTOMER><NAME>Never</NAME></CUSTOMER></create></function>', { sender: 'intruder' }));
    expect(text(child(child(got, 'control'), 'status'))).toBe('failure');
    expect(child(got, 'operation')).toBeUndefined();
    expect(text(child(child(child(got, 'errormessage'), 'error'), 'description2'))).toMatch(/Partner ID/);
    expect(fake.state.customers.size).toBe(before);
  });

  it('a function failure like Result.02, readByQuery like Result.11 with readMore paging', async () => {
    const bad = await post(
      envelope('<function controlid="testControlId"><readByQuery><object>BADOBJECT</object><query></query><fields>*</fields></readByQuery></function>'),
    );
    expect(shape(bad)).toEqual(shape(child(parseXml(fixture('Result.02.should-return-failure-status-and-errors.xml')), 'response')));
    const first = await post(
      envelope(
        "<function controlid=\"q\"><readByQuery><object>CUSTOMER</object><query>CUSTOMERID IN ('C0020','CUSTOMER1','C5678')</query><fields>RECORDNO,CUSTOMERID</fields><pagesize>2</pagesize></readByQuery></function>",
      ),
    );
    const data = child(child(child(first, 'operation'), 'result'), 'data') as Record<string, XmlValue>;
    expect([data['@count'], data['@totalcount'], data['@numremaining']]).toEqual(['2', '3', '1']);
    expect(asArray(data['customer']).length).toBe(2);
    const more = await post(envelope(`<function controlid="m"><readMore><resultId>${text(data['@resultId'])}</resultId></readMore></function>`));
    const rest = child(child(child(more, 'operation'), 'result'), 'data') as Record<string, XmlValue>;
    expect([rest['@count'], rest['@numremaining'], rest['@resultId']]).toEqual(['1', '0', '']);
  });

  it('a duplicate control id under uniqueid is refused before anything runs', async () => {
    const fn = '<function controlid="f"><create><CUSTOMER><CUSTOMERID>UNIQ1</CUSTOMERID><NAME>Once</NAME></CUSTOMER></create></function>';
    const first = await post(envelope(fn, { uniqueId: 'ctl-dup-1' }));
    expect(text(child(child(child(first, 'operation'), 'result'), 'status'))).toBe('success');
    const again = await post(envelope(fn, { uniqueId: 'ctl-dup-1' }));
    expect(text(child(child(again, 'control'), 'status'))).toBe('failure');
    expect(text(child(child(child(again, 'errormessage'), 'error'), 'errorno'))).toBe('XL03000013');
  });

  it('enforces the 17-character customer id and 4 decimals on invoice lines', async () => {
    const long = await post(
      envelope('<function controlid="f"><create><CUSTOMER><CUSTOMERID>ABCDEFGHIJKLMNOPQR</CUSTOMERID><NAME>Long</NAME></CUSTOMER></create></function>'),
    );
    expect(text(child(child(child(child(child(long, 'operation'), 'result'), 'errormessage'), 'error'), 'description2'))).toMatch(/limit is 17/);
    const decimals = await post(
      envelope(
        '<function controlid="f"><create_invoice><customerid>C0020</customerid><datecreated><year>2024</year><month>01</month><day>05</day></datecreated><invoiceitems><lineitem><glaccountno>4000</glaccountno><amount>1.23456</amount></lineitem></invoiceitems></create_invoice></function>',
      ),
    );
    expect(text(child(child(child(child(child(decimals, 'operation'), 'result'), 'errormessage'), 'error'), 'errorno'))).toBe('BL03000120');
  });
});
