/**
 * A mapped value holding a character XML 1.0 forbids (a vertical tab pasted from a spreadsheet, a
 * control character from an import) cannot travel in an Intacct request: Intacct cannot parse the
 * request and refuses all of it. The record is dead-lettered, naming itself, the field and the fix;
 * the rest of the batch is written.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connector } from '../../../connectors/sage-intacct/index.js';
import type { SinkResult } from '../../../engine/connector/types.js';
import type { LedgersyncError } from '../../../engine/errors.js';
import { startFakeIntacct, type FakeIntacct } from '../../fakes/intacct/index.js';
import { intacctInput, record, seedCustomers, sinkContext } from './helpers.js';

let fake: FakeIntacct;
beforeEach(async () => {
  fake = await startFakeIntacct();
});
afterEach(() => fake.close());

const sink = () => connector.createSink!(intacctInput(fake));
const ctx = sinkContext();

function failedError(result: SinkResult | undefined): LedgersyncError {
  if (result?.status !== 'failed') throw new Error(`expected a failed result, got ${JSON.stringify(result)}`);
  return result.error;
}

const invoice = (no: string, memo: string) => ({
  customerid: 'C1',
  datecreated: '2024-02-01',
  datedue: '2024-03-02',
  invoiceno: no,
  currency: 'USD',
  invoiceitems: [
    { glaccountno: '4000', amount: '100.00', memo: 'Pro plan' },
    { glaccountno: '4000', amount: '5.00', memo },
  ],
});

describe('a value XML 1.0 forbids', () => {
  it('the fake gateway refuses the whole request, as Intacct’s parser does', async () => {
    const res = await fetch(fake.url, {
      method: 'POST',
      headers: { 'content-type': 'application/xml' },
      body: '<?xml version="1.0" encoding="UTF-8"?><request><control><senderid>s\u000b</senderid></control></request>',
    });
    const text = await res.text();
    expect(text).toContain('<status>failure</status>');
    expect(text).toContain('XL03000003');
    expect(text).toContain('invalid Char value 11');
  });

  it('dead-letters the record that holds it, naming the record, the field and the fix, and writes the rest of the batch', async () => {
    seedCustomers(fake, 'C1');
    const results = await sink().write(
      [
        record('CUSTOMER', 'cb_tab', { CUSTOMERID: 'cb_tab', NAME: 'Acme\u000bCorp' }),
        record('CUSTOMER', 'cb_ok', { CUSTOMERID: 'cb_ok', NAME: 'Beta Ltd' }),
        record('ARINVOICE', 'inv_ctl', invoice('inv_ctl', 'Setup\u0001 fee')),
        record('ARINVOICE', 'inv_ok', invoice('inv_ok', 'Setup fee')),
      ],
      ctx,
    );

    const name = failedError(results[0]);
    expect({ code: name.code, kind: name.kind }).toEqual({ code: 'intacct_forbidden_character', kind: 'record' });
    expect(name.message).toBe(
      'CUSTOMER cb_tab (source record cb_tab): NAME holds U+000B (vertical tab) at character 5, which XML 1.0 forbids: Sage Intacct cannot read a request that holds it',
    );
    expect(name.details).toMatchObject({ sourceId: 'cb_tab', object: 'CUSTOMER', field: 'NAME', codePoint: 0xb });
    expect(name.fix).toBe(
      "remove the character from the source record, or strip such characters in the mapping of NAME: $replace(<its expression>, /[\\u0000-\\u0008\\u000B\\u000C\\u000E-\\u001F]/, ''); the record is sent again on the next run",
    );

    const memo = failedError(results[2]);
    expect(memo.kind).toBe('record');
    expect(memo.message).toContain('ARINVOICE inv_ctl (source record inv_ctl): invoiceitems[1].memo holds U+0001 (a control character) at character 6');

    expect(results[1]).toMatchObject({ status: 'created', targetId: 'cb_ok' });
    expect(results[3]).toMatchObject({ status: 'created' });
    expect([...fake.state.customers.keys()].sort()).toEqual(['C1', 'cb_ok']);
  });

  it('in a natural key, fails that record before its look-up, not the batch’s look-up request', async () => {
    const results = await sink().write(
      [record('CUSTOMER', 'cb_key', { CUSTOMERID: 'cb\u0001key', NAME: 'Key' }), record('CUSTOMER', 'cb_fine', { CUSTOMERID: 'cb_fine', NAME: 'Fine' })],
      ctx,
    );
    expect(failedError(results[0]).message).toContain('CUSTOMERID holds U+0001');
    expect(results[1]).toMatchObject({ status: 'created', targetId: 'cb_fine' });
  });

  it('plan says the same before anything is sent', async () => {
    const [planned] = await sink().plan!([record('CUSTOMER', 'cb_ff', { CUSTOMERID: 'cb_ff', NAME: 'Form\u000cfeed' })], ctx);
    expect(planned).toMatchObject({ action: 'fail', error: { code: 'intacct_forbidden_character', kind: 'record' } });
    expect(fake.state.requests.some((r) => r.functions.includes('create'))).toBe(false);
  });
});
