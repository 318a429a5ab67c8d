/** $filter, $select, $expand, $top and $skip on the fake tenant: the parser alone, then through HTTP. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FilterError, parseFilter } from './filter.js';
import { type FakeAcumatica, startFakeAcumatica } from './index.js';
import { AcumaticaTestClient } from './test-client.js';

describe('$filter parser', () => {
  it('parses comparisons, boolean operators, functions, typed literals and linked paths', () => {
    expect(parseFilter("CustomerID eq 'O''Brien' and not (Amount gt 10.5 or Hold eq true)")).toEqual({
      kind: 'and',
      left: {
        kind: 'compare',
        operator: 'eq',
        left: { kind: 'field', path: ['CustomerID'] },
        right: { kind: 'literal', literal: { kind: 'string', value: "O'Brien" } },
      },
      right: {
        kind: 'not',
        operand: {
          kind: 'or',
          left: {
            kind: 'compare',
            operator: 'gt',
            left: { kind: 'field', path: ['Amount'] },
            right: { kind: 'literal', literal: { kind: 'number', text: '10.5' } },
          },
          right: {
            kind: 'compare',
            operator: 'eq',
            left: { kind: 'field', path: ['Hold'] },
            right: { kind: 'literal', literal: { kind: 'boolean', value: true } },
          },
        },
      },
    });
    expect(parseFilter("LastModifiedDateTime ge datetimeoffset'2026-01-02T03:04:05.678+02:00'")).toMatchObject({
      right: { kind: 'literal', literal: { kind: 'datetime', ms: Date.UTC(2026, 0, 2, 1, 4, 5, 678) } },
    });
    expect(parseFilter("startswith(MainContact/Email, 'a') eq true")).toMatchObject({
      left: { kind: 'call', name: 'startswith', args: [{ kind: 'field', path: ['MainContact', 'Email'] }, {}] },
    });
    expect(parseFilter("substringof('x', Description)")).toMatchObject({ kind: 'call', name: 'substringof' });
  });

  it('refuses what it does not know with an OData-style message', () => {
    expect(() => parseFilter("CustomerID = 'x'")).toThrow(FilterError);
    expect(() => parseFilter("CustomerID eq 'x")).toThrow(/Syntax error at position 14/);
    expect(() => parseFilter("contains(CustomerID, 'x')")).toThrow(/Unknown function 'contains'/);
    expect(() => parseFilter("LastModifiedDateTime gt datetimeoffset'yesterday'")).toThrow(/Unrecognized 'datetimeoffset' literal/);
    expect(() => parseFilter('')).toThrow(FilterError);
  });
});

describe('query options through HTTP', () => {
  let fake: FakeAcumatica;
  let client: AcumaticaTestClient;
  let clock = Date.UTC(2026, 0, 10, 9, 0, 0, 0);
  let updatedAt = '';
  const get = (query: string) => client.api('GET', `Customer?${query}`);
  const ids = (response: { json: any[] }) => response.json.map((c) => c.CustomerID.value);

  beforeAll(async () => {
    fake = await startFakeAcumatica({ now: () => clock });
    client = new AcumaticaTestClient(fake);
    await client.login();
    for (const [id, email, currency] of [
      ['b2', 'b2@example.com', 'USD'],
      ['a1', 'a1@example.com', 'EUR'],
      ['c3', 'other@example.org', 'USD'],
      ['d4', null, 'JPY'],
    ] as const) {
      clock += 1000;
      await client.put('Customer', {
        CustomerID: id,
        CustomerName: `Customer ${id}`,
        CurrencyID: currency,
        ...(email ? { MainContact: { Email: email, Address: { City: 'Paris' } } } : {}),
      });
    }
    clock += 1000;
    updatedAt = new Date(clock).toISOString();
    await client.put('Customer', { CustomerID: 'A1', CustomerName: 'Renamed' });
  });
  afterAll(async () => fake.close());

  it('lists in key order and pages with $top and $skip', async () => {
    expect(ids(await get(''))).toEqual(['A1', 'B2', 'C3', 'D4']);
    expect(ids(await get('$top=2'))).toEqual(['A1', 'B2']);
    expect(ids(await get('$top=2&$skip=2'))).toEqual(['C3', 'D4']);
    expect(ids(await get('$skip=10'))).toEqual([]);
    expect((await get('$top=2')).json.map((c: any) => c.rowNumber)).toEqual([1, 2]);
    expect((await get('$top=-1')).status).toBe(400);
    expect((await get('$skip=x')).status).toBe(400);
  });

  it('filters on LastModifiedDateTime with datetimeoffset, case-insensitively on strings, with and/or/not and functions', async () => {
    const since = (op: string) => get(`$filter=${encodeURIComponent(`LastModifiedDateTime ${op} datetimeoffset'${updatedAt}'`)}`);
    expect(ids(await since('ge'))).toEqual(['A1']);
    expect(ids(await since('gt'))).toEqual([]);
    expect(ids(await since('lt'))).toEqual(['B2', 'C3', 'D4']);
    const filter = (text: string) => get(`$filter=${encodeURIComponent(text)}`);
    expect(ids(await filter("CurrencyID eq 'usd'"))).toEqual(['B2', 'C3']);
    expect(ids(await filter("CurrencyID ne 'USD' and not (CustomerID eq 'd4')"))).toEqual(['A1']);
    expect(ids(await filter("CustomerID eq 'b2' or CustomerID eq 'C3'"))).toEqual(['B2', 'C3']);
    expect(ids(await filter("startswith(CustomerName, 'customer')"))).toEqual(['B2', 'C3', 'D4']);
    expect(ids(await filter("endswith(MainContact/Email, '.ORG') eq true"))).toEqual(['C3']);
    expect(ids(await filter("substringof('example', MainContact/Email)"))).toEqual(['A1', 'B2', 'C3']);
    expect(ids(await filter('MainContact/Email eq null'))).toEqual(['D4']);
    expect(ids(await filter("MainContact/Address/City eq 'paris' and BAccountID ge 7001"))).toEqual(['A1', 'C3']);
    expect(ids(await filter("CustomerID gt 'B2'"))).toEqual(['C3', 'D4']);
  });

  it('refuses filters on unknown fields, detail lines, mismatched literal types and bad syntax with 400', async () => {
    const filter = (text: string) => get(`$filter=${encodeURIComponent(text)}`);
    const unknown = await filter("Nickname eq 'x'");
    expect(unknown.status).toBe(400);
    expect(unknown.json).toMatchObject({
      message: 'An error has occurred.',
      exceptionMessage: "Could not find a property named 'Nickname' on type 'Customer'.",
      exceptionType: 'Microsoft.Data.OData.ODataException',
    });
    expect((await filter('Contacts/ContactID eq 1')).json.exceptionMessage).toMatch(/detail records/);
    expect((await filter("LastModifiedDateTime gt '2026-01-01'")).json.exceptionMessage).toMatch(/incompatible types/);
    expect((await filter("CustomerID eq 'x' and")).status).toBe(400);
    expect((await get('$orderby=CustomerID')).status).toBe(400);
  });

  it('$select returns only the fields asked for, $expand adds linked entities, nested with /', async () => {
    const selected = (await get(`$select=CustomerID,MainContact/Email&$filter=${encodeURIComponent("CustomerID eq 'B2'")}`)).json[0];
    expect(Object.keys(selected)).toEqual(['id', 'rowNumber', 'note', 'CustomerID', 'MainContact', 'custom', '_links']);
    expect(Object.keys(selected.MainContact)).toEqual(['id', 'rowNumber', 'note', 'Email', 'custom']);
    const plain = (await client.api('GET', 'Customer/B2')).json;
    expect(plain.MainContact).toBeUndefined();
    const expanded = (await client.api('GET', 'Customer/B2?$expand=MainContact/Address')).json;
    expect(expanded.MainContact.Email.value).toBe('b2@example.com');
    expect(expanded.MainContact.Address.City.value).toBe('Paris');
    expect((await client.api('GET', 'Customer/B2?$expand=CustomerName')).status).toBe(400);
    expect((await client.api('GET', 'Customer/B2?$select=Nickname')).status).toBe(400);
    expect((await client.api('GET', 'Customer/B2?$custom=Document.UsrX')).status).toBe(400);
  });

  it('renders every value wrapped, an empty one as {}', async () => {
    const d4 = (await client.api('GET', 'Customer/D4')).json;
    expect(d4.CustomerName).toEqual({ value: 'Customer d4' });
    expect(d4.BAccountID.value).toBeTypeOf('number');
    await client.put('Customer', { CustomerID: 'D4', Email: null });
    expect((await client.api('GET', 'Customer/D4')).json.Email).toEqual({});
  });
});
