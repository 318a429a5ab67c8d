/**
 * `$lookup(table, key)`, `$ref(stream, id)` and `$refOrNull(stream, id)` take one value. A path that
 * matched several values (the accounting codes of a two-line invoice) used to become the text
 * "SAAS,SERVICES", which no table holds, so a table with a default silently answered the default
 * (a wrong GL account). It is now an `invalid_argument` record error naming the helper, the table or
 * stream, and the fix, on both engines.
 */
import { describe, expect, it } from 'vitest';
import { LedgersyncError } from '../../../engine/errors.js';
import { mapRecord, mapRecordCompiled, streamIsCompiled } from '../../../engine/transform/mapper.js';
import { bindingsFor, ENGINES, oneStream, settled } from '../../support/one-stream.js';

const LOOKUPS = ['lookups:', '  gl_accounts:', '    default: "4999"', '    values: { SAAS: "4000", SERVICES: "4100" }'];

const invoice = (codes: string[]) => ({
  id: 'inv_1',
  deleted: false,
  data: { id: 'inv_1', customer_id: 'cus_1', line_items: codes.map((code, i) => ({ id: `li_${i}`, accounting_code: code, amount: 100 })) },
});

async function mapped(expression: string, codes: string[], engine: (typeof ENGINES)[number][1], targets: Record<string, string> = {}) {
  const { stream, plan } = await oneStream(expression, { extra: LOOKUPS });
  return settled(mapRecord(engine(stream), invoice(codes), bindingsFor(plan, targets)));
}

describe.each(ENGINES)('%s: a key that is several values', (_name, engine) => {
  const ACCOUNT = '{ "id": id, "account": $lookup("gl_accounts", line_items.accounting_code) }';

  it('one line maps to its account', async () => {
    expect(await mapped(ACCOUNT, ['SAAS'], engine)).toMatchObject({ kind: 'mapped', records: [{ data: { account: '4000' } }] });
  });

  it('two lines: $lookup is an invalid_argument record error naming the helper, the table and the fix, not the default "4999"', async () => {
    const out = await mapped(ACCOUNT, ['SAAS', 'SERVICES'], engine);
    expect(out).toMatchObject({
      error: 'invalid_argument',
      message: expect.stringContaining(`$lookup() for lookup table 'gl_accounts' was given 2 values (["SAAS","SERVICES"])`),
      fix: expect.stringContaining('inside line_items.( … )'),
    });
  });

  it('a list of one value is that value, and an empty list no key (the default), as before', async () => {
    const sorted = '{ "id": id, "account": $lookup("gl_accounts", $sort(line_items.accounting_code)) }';
    expect(await mapped(sorted, ['SAAS'], engine)).toMatchObject({ kind: 'mapped', records: [{ data: { account: '4000' } }] });
    expect(
      await mapped('{ "id": id, "account": $lookup("gl_accounts", line_items[accounting_code = "X"].accounting_code[]) }', ['SAAS'], engine),
    ).toMatchObject({
      kind: 'mapped',
      records: [{ data: { account: '4999' } }],
    });
  });

  it('an object key is refused too', async () => {
    const out = await mapped('{ "id": id, "account": $lookup("gl_accounts", line_items[0]) }', ['SAAS', 'SERVICES'], engine);
    expect(out).toMatchObject({ error: 'invalid_argument', message: expect.stringContaining('was given an object') });
  });

  it('mapping one line at a time takes each line’s account', async () => {
    const out = await mapped('{ "id": id, "accounts": line_items.($lookup("gl_accounts", accounting_code)) }', ['SAAS', 'SERVICES'], engine);
    expect(out).toMatchObject({ kind: 'mapped', records: [{ data: { accounts: ['4000', '4100'] } }] });
  });

  it('$ref and $refOrNull refuse an id that is several values, naming the stream', async () => {
    const targets = { 'customers/SAAS': 'T1' };
    for (const helper of ['$ref', '$refOrNull']) {
      const out = await mapped(`{ "id": id, "customer": ${helper}("customers", line_items.accounting_code) }`, ['SAAS', 'SERVICES'], engine, targets);
      expect(out, helper).toMatchObject({
        error: 'invalid_argument',
        message: expect.stringContaining(`${helper}() for stream 'customers' was given 2 values`),
      });
      const one = await mapped(`{ "id": id, "customer": ${helper}("customers", line_items.accounting_code) }`, ['SAAS'], engine, targets);
      expect(one, helper).toMatchObject({ kind: 'mapped', records: [{ data: { customer: 'T1' } }] });
    }
  });
});

describe('the compiled closures call the helpers directly', () => {
  it('and meet the same check, without the interpreter behind them', async () => {
    const { stream, plan } = await oneStream('{ "id": id, "account": $lookup("gl_accounts", line_items.accounting_code) }', { extra: LOOKUPS });
    expect(streamIsCompiled(stream)).toBe(true);
    let thrown: unknown;
    try {
      mapRecordCompiled(stream, invoice(['SAAS', 'SERVICES']), bindingsFor(plan));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(LedgersyncError);
    expect(thrown).toMatchObject({ code: 'invalid_argument', kind: 'record' });
  });
});
