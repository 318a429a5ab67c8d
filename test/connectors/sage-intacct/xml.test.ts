/** The envelope and the response reader, against Intacct's own SDK fixtures. */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildRequest, parseResponse, readResult, keyOf } from '../../../connectors/sage-intacct/xml.js';
import { createBody, updateBody } from '../../../connectors/sage-intacct/documents.js';
import { parseXml } from '../../fakes/intacct/xml.js';
import { intacctSpecs } from './helpers.js';

const objectSpecs = intacctSpecs();

const dir = join(import.meta.dirname, '../../fixtures/vendor/intacct');
const fixture = (prefix: string) => {
  const name = readdirSync(dir).find((f) => f.startsWith(prefix + '.'));
  if (!name) throw new Error(`no fixture ${prefix}`);
  return readFileSync(join(dir, name), 'utf8');
};

describe('request envelope', () => {
  it('is the RequestBlock fixture for the same control, session and empty content', () => {
    const xml = buildRequest(
      { senderId: 'testsenderid', senderPassword: 'pass123!', controlId: 'unittest', uniqueId: false },
      { sessionId: 'testsession..' },
      [],
    );
    const expected = parseXml(fixture('RequestBlock.01'));
    const got = parseXml(xml);
    const req = got['request'] as Record<string, unknown>;
    const exp = expected['request'] as Record<string, unknown>;
    expect(req['control']).toEqual(exp['control']);
    expect((req['operation'] as Record<string, unknown>)['@transaction']).toBe('false');
    expect((req['operation'] as Record<string, unknown>)['authentication']).toEqual((exp['operation'] as Record<string, unknown>)['authentication']);
  });

  it('escapes every value: markup in user data stays data', () => {
    const hostile = `Acme </NAME><STATUS>inactive</STATUS> & "Sons" 'Ltd'`;
    const xml = buildRequest(
      { senderId: 's', senderPassword: 'p<&>', controlId: 'c', uniqueId: true },
      { login: { userId: 'u', companyId: 'co', password: 'pw"' } },
      [{ controlId: 'f1', name: 'create', body: { CUSTOMER: { CUSTOMERID: 'C1', NAME: hostile } } }],
    );
    expect(xml).not.toContain('<STATUS>inactive</STATUS>');
    const doc = parseXml(xml) as any;
    expect(doc.request.operation.content.function.create.CUSTOMER.NAME).toBe(hostile);
    expect(doc.request.control.password).toBe('p<&>');
    expect(doc.request.control.uniqueid).toBe('true');
  });

  it('writes an invoice in DTD order whatever the mapping order, dates as year/month/day', () => {
    const { name, body } = createBody(objectSpecs['ARINVOICE']!, 'ARINVOICE', {
      invoiceitems: [
        { taxentries: [{ trx_tax: '1.50', detailid: 'Sales Tax' }], memo: 'Plan', amount: '10.00', glaccountno: '4000', revrecstartdate: '2024-01-01' },
      ],
      description: 'd',
      invoiceno: 'INV-1',
      datecreated: '2024-01-31',
      customerid: 'C1',
    });
    expect(name).toBe('create_invoice');
    expect(Object.keys(body)).toEqual(['customerid', 'datecreated', 'invoiceno', 'description', 'invoiceitems']);
    expect(body['datecreated']).toEqual({ year: '2024', month: '01', day: '31' });
    const line = (body['invoiceitems'] as any).lineitem[0];
    expect(Object.keys(line)).toEqual(['glaccountno', 'amount', 'memo', 'revrecstartdate', 'taxentries']);
    expect(line.taxentries).toEqual({ taxentry: [{ detailid: 'Sales Tax', trx_tax: '1.50' }] });
  });

  it('refuses unknown fields and floating-point amounts as record errors', () => {
    expect(() => createBody(objectSpecs['ARINVOICE']!, 'ARINVOICE', { customerid: 'C1', DocNumber: 'x' })).toThrow(/unknown field DocNumber/);
    expect(() => createBody(objectSpecs['ARPAYMENT']!, 'ARPAYMENT', { customerid: 'C1', paymentamount: 10.1 })).toThrow(/floating-point/);
    expect(() => createBody(objectSpecs['ARINVOICE']!, 'ARINVOICE', { customerid: 'C1', datecreated: 1706659200 })).toThrow(/YYYY-MM-DD/);
  });

  it('addresses invoice lines by number on update and never renumbers the invoice', () => {
    const u = updateBody(
      objectSpecs['ARINVOICE']!,
      'ARINVOICE',
      {
        customerid: 'C1',
        invoiceno: 'INV-1',
        invoiceitems: [
          { glaccountno: '4000', amount: '5' },
          { glaccountno: '4000', amount: '6' },
        ],
      },
      '1042',
    );
    expect(u.name).toBe('update_invoice');
    expect(u.attributes).toEqual({ key: '1042' });
    expect(u.body['invoiceno']).toBeUndefined();
    expect((u.body['updateinvoiceitems'] as any).updatelineitem.map((l: any) => l['@line_num'])).toEqual(['1', '2']);
  });
});

describe('response reader', () => {
  it('reads a session answer (OnlineResponse.01)', () => {
    const r = parseResponse(fixture('OnlineResponse.01'));
    expect(r.level).toBe('operation');
    if (r.level !== 'operation') return;
    expect(r.sessionTimeout).toBe('2015-10-23T20:58:27-07:00');
    expect(r.results[0]!.function).toBe('getAPISession');
  });
  it('reports an authentication failure with its errors (OnlineResponse.03)', () => {
    const r = parseResponse(fixture('OnlineResponse.03'));
    expect(r).toMatchObject({ level: 'authentication', errors: [{ errorno: 'XL03000006', description2: 'Sign-in information is incorrect' }] });
  });
  it('reports a control failure with its errors (OnlineResponse.06)', () => {
    expect(parseResponse(fixture('OnlineResponse.06'))).toMatchObject({ level: 'control', errors: [{ errorno: 'PL04000055' }] });
  });
  it.each(['OnlineResponse.02', 'OnlineResponse.04', 'OnlineResponse.05', 'Result.03', 'Result.04', 'Result.05'])(
    'refuses a response missing a level (%s)',
    (name) => {
      expect(() => parseResponse(fixture(name))).toThrow(/malformed/);
    },
  );
  it('reads function failures and aborted results with every error (Result.02, Result.07)', () => {
    const failed = parseResponse(fixture('Result.02'));
    expect(failed.level === 'operation' && failed.results[0]).toMatchObject({
      status: 'failure',
      errors: [{ errorno: 'Query Failed', description2: 'Object definition BADOBJECT not found' }],
    });
    const aborted = parseResponse(fixture('Result.07'));
    expect(aborted.level === 'operation' && aborted.results[0]!.errors.map((e) => e.errorno)).toEqual(['Query Failed', 'XL03000009']);
  });
  it('reads readByQuery rows and paging (Result.11) and legacy keys (Result.12)', () => {
    const r = parseResponse(fixture('Result.11'));
    if (r.level !== 'operation') throw new Error('expected results');
    const page = readResult(r.results[0]!);
    expect(page).toMatchObject({ numRemaining: 1, resultId: 'myResultId' });
    expect(page.rows.map((row) => row['CLASSID'])).toEqual(['C1234', 'C1235']);
    const created = parseResponse(fixture('Result.12'));
    expect(created.level === 'operation' && keyOf(created.results[0]!)).toBe('C1234');
  });
});
