/** The fake QBO itself: it must refuse what QuickBooks refuses, with QuickBooks' error bodies. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeQbo, type FakeQbo } from './index.js';
import { loadQboSchema, validateEntity } from './xsd-schema.js';
import { parseQuery } from './query.js';

let fake: FakeQbo;
let token: string;

async function refresh(refreshToken: string, secret = fake.clientSecret): Promise<Response> {
  return fetch(fake.tokenUrl, {
    method: 'POST',
    headers: { authorization: `Basic ${Buffer.from(`${fake.clientId}:${secret}`).toString('base64')}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: refreshToken }).toString(),
  });
}

async function api(method: string, path: string, body?: unknown, query = 'minorversion=75'): Promise<{ status: number; body: Record<string, unknown> }> {
  const response = await fetch(`${fake.url}/v3/company/${fake.realmId}/${path}${path.includes('?') ? '&' : '?'}${query}`, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

function faultCode(body: Record<string, unknown>): string | undefined {
  return (body['Fault'] as { Error: { code: string }[] } | undefined)?.Error[0]?.code;
}

beforeEach(async () => {
  fake = await startFakeQbo();
  const response = await refresh(fake.refreshToken);
  token = ((await response.json()) as { access_token: string }).access_token;
});
afterEach(async () => fake.close());

describe('fake QBO OAuth', () => {
  it('rotates the refresh token and refuses the old one with invalid_grant', async () => {
    expect(fake.state.currentRefreshToken).not.toBe(fake.refreshToken);
    const again = await refresh(fake.refreshToken);
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: 'invalid_grant' });
    expect((await refresh(fake.state.currentRefreshToken, 'nope')).status).toBe(401);
  });

  it('hands back the same refresh token until it is rotateAfterSeconds old, and honours the previous one for rotatedTokenGraceSeconds', async () => {
    await fake.close();
    fake = await startFakeQbo({ rotateAfterSeconds: 3600 });
    const same = (await (await refresh(fake.refreshToken)).json()) as { refresh_token: string };
    expect(same.refresh_token).toBe(fake.refreshToken);
    await fake.close();
    fake = await startFakeQbo({ rotatedTokenGraceSeconds: 60 });
    const rotated = (await (await refresh(fake.refreshToken)).json()) as { refresh_token: string };
    expect(rotated.refresh_token).not.toBe(fake.refreshToken);
    const previous = await refresh(fake.refreshToken);
    expect(previous.status).toBe(200);
    expect(((await previous.json()) as { refresh_token: string }).refresh_token).toBe(rotated.refresh_token);
    expect(fake.state.currentRefreshToken).toBe(rotated.refresh_token);
  });

  it('answers 401 with the gateway fault body for an expired access token', async () => {
    fake.faults.expireAccessTokens();
    const r = await api('GET', 'customer/1');
    expect(r.status).toBe(401);
    expect(r.body['fault']).toMatchObject({ error: [{ code: '3200' }], type: 'AUTHENTICATION' });
  });
});

describe('fake QBO v3 API', () => {
  it('validates posted entities against the XSD: unknown field → 2010, wrong type → 2010', async () => {
    expect(faultCode((await api('POST', 'customer', { DisplayName: 'A', Nickname: 'x' })).body)).toBe('2010');
    expect(faultCode((await api('POST', 'customer', { DisplayName: 'A', Active: 'maybe' })).body)).toBe('2010');
    expect((await api('POST', 'customer', { DisplayName: 'A', Active: true, BillAddr: { Line1: 'x', City: 'y' } })).status).toBe(200);
  });

  it('requires minorversion, enforces unique DisplayName (6240) and SyncToken (5010), sparse updates keep other fields', async () => {
    expect((await api('POST', 'customer', { DisplayName: 'A' }, '')).status).toBe(400);
    const created = (await api('POST', 'customer', { DisplayName: 'Acme', CompanyName: 'Acme Inc' })).body['Customer'] as { Id: string; SyncToken: string };
    expect(faultCode((await api('POST', 'customer', { DisplayName: 'acme' })).body)).toBe('6240');
    expect(faultCode((await api('POST', 'customer', { Id: created.Id, SyncToken: '7', sparse: true, Notes: 'n' })).body)).toBe('5010');
    const updated = (await api('POST', 'customer', { Id: created.Id, SyncToken: '0', sparse: true, Notes: 'n' })).body['Customer'] as Record<string, unknown>;
    expect(updated).toMatchObject({ SyncToken: '1', CompanyName: 'Acme Inc', Notes: 'n' });
  });

  it('a sparse update clears a field sent empty ("" or an aggregate of empty parts) and answers without it; a malformed email is still refused', async () => {
    const created = (
      await api('POST', 'customer', {
        DisplayName: 'Clear Co',
        CompanyName: 'Clear Co Ltd',
        PrimaryEmailAddr: { Address: 'ap@clear.example' },
        Mobile: { FreeFormNumber: '+1 555 0100' },
        BillAddr: { Line1: '1 Main St', City: 'Springfield' },
      })
    ).body['Customer'] as { Id: string };
    const cleared = (
      await api('POST', 'customer', {
        Id: created.Id,
        SyncToken: '0',
        sparse: true,
        CompanyName: '',
        PrimaryEmailAddr: { Address: '' },
        BillAddr: { Line1: '', City: 'Shelbyville' },
      })
    ).body['Customer'] as Record<string, unknown>;
    expect(cleared).toMatchObject({ DisplayName: 'Clear Co', Mobile: { FreeFormNumber: '+1 555 0100' }, BillAddr: { City: 'Shelbyville' } });
    for (const field of ['CompanyName', 'PrimaryEmailAddr']) expect(cleared).not.toHaveProperty(field);
    expect(cleared['BillAddr']).not.toHaveProperty('Line1');
    const bad = await api('POST', 'customer', { Id: created.Id, SyncToken: '1', sparse: true, PrimaryEmailAddr: { Address: 'not an email' } });
    expect(faultCode(bad.body)).toBe('6000');
  });

  it('queries with where / in / startposition / maxresults, and batches at most 30 items', async () => {
    for (let i = 0; i < 5; i++) await api('POST', 'customer', { DisplayName: `C${i}`, Notes: `n'${i}` });
    const page = (
      await api(
        'GET',
        `query?query=${encodeURIComponent("select Id, Notes from Customer where DisplayName in ('C1', 'C3', 'C4') startposition 2 maxresults 1")}`,
      )
    ).body['QueryResponse'] as Record<string, unknown>;
    expect(page).toMatchObject({ startPosition: 2, maxResults: 1 });
    expect((page['Customer'] as { Notes: string }[])[0]!.Notes).toBe("n'3");
    const escaped = (await api('GET', `query?query=${encodeURIComponent("select * from Customer where Notes = 'n\\'4'")}`)).body['QueryResponse'] as Record<
      string,
      unknown
    >;
    expect((escaped['Customer'] as unknown[]).length).toBe(1);
    const tooMany = Array.from({ length: 31 }, (_, i) => ({ bId: String(i), Query: 'select * from Customer' }));
    expect((await api('POST', 'batch', { BatchItemRequest: tooMany })).status).toBe(400);
    const batch = await api('POST', 'batch', {
      BatchItemRequest: [
        { bId: 'a', operation: 'create', Customer: { DisplayName: 'B1' } },
        { bId: 'b', operation: 'create', Customer: { DisplayName: 'B1' } },
      ],
    });
    const items = batch.body['BatchItemResponse'] as Record<string, unknown>[];
    expect(items[0]).toHaveProperty('Customer');
    expect(faultCode(items[1]!)).toBe('6240');
  });

  it('computes invoice totals exactly, refuses a duplicate DocNumber (6140), too many decimals, and voids / deletes with the SyncToken', async () => {
    const customer = (await api('POST', 'customer', { DisplayName: 'K', CurrencyRef: { value: 'KWD' } })).body['Customer'] as { Id: string };
    const line = (amount: string) => ({
      DetailType: 'SalesItemLineDetail',
      Amount: amount,
      SalesItemLineDetail: { ItemRef: { value: '1' }, Qty: 3, UnitPrice: (Number(amount) / 3).toFixed(3) },
    });
    const invoice = {
      DocNumber: 'K-1',
      CustomerRef: { value: customer.Id },
      CurrencyRef: { value: 'KWD' },
      Line: [line('0.300'), line('0.300'), line('0.300')],
    };
    const created = (await api('POST', 'invoice', invoice)).body['Invoice'] as { Id: string; TotalAmt: number };
    expect(created.TotalAmt).toBe(0.9);
    expect(faultCode((await api('POST', 'invoice', invoice)).body)).toBe('6140');
    expect(faultCode((await api('POST', 'invoice', { ...invoice, DocNumber: 'K-2', Line: [line('0.3001')] })).body)).toBe('6000');
    expect(faultCode((await api('POST', 'invoice?operation=void', { Id: created.Id, SyncToken: '5' })).body)).toBe('5010');
    expect((await api('POST', 'invoice?operation=void', { Id: created.Id, SyncToken: '0' })).body['Invoice']).toMatchObject({ TotalAmt: 0, SyncToken: '1' });
    expect((await api('POST', 'invoice?operation=delete', { Id: created.Id, SyncToken: '1' })).body['Invoice']).toMatchObject({ status: 'Deleted' });
    expect(faultCode((await api('GET', `invoice/${created.Id}`)).body)).toBe('610');
  });

  it('a company outside the US with sales tax refuses a sales line without a tax code (6000), and knows its own codes, not TAX / NON', async () => {
    await fake.close();
    fake = await startFakeQbo({ country: 'GB' });
    token = ((await (await refresh(fake.refreshToken)).json()) as { access_token: string }).access_token;
    const customer = (await api('POST', 'customer', { DisplayName: 'G', CurrencyRef: { value: 'USD' } })).body['Customer'] as { Id: string };
    const invoice = (doc: string, taxCode?: string) => ({
      DocNumber: doc,
      CustomerRef: { value: customer.Id },
      Line: [
        {
          DetailType: 'SalesItemLineDetail',
          Amount: '10.00',
          SalesItemLineDetail: { ItemRef: { value: '1' }, Qty: 1, UnitPrice: '10.00', ...(taxCode ? { TaxCodeRef: { value: taxCode } } : {}) },
        },
      ],
    });
    const untaxed = await api('POST', 'invoice', invoice('G-1'));
    expect(faultCode(untaxed.body)).toBe('6000');
    expect(JSON.stringify(untaxed.body)).toContain('Make sure all your transactions have a VAT rate before you save.');
    expect(faultCode((await api('POST', 'invoice', invoice('G-2', 'TAX'))).body)).toBe('2500');
    expect((await api('POST', 'invoice', invoice('G-3', '5'))).body['Invoice']).toMatchObject({ TotalAmt: 10 });
  });

  it('a journal entry must balance and name the customer of its A/R line; a Payment applies a credit memo to it, up to what it charges', async () => {
    const customer = (await api('POST', 'customer', { DisplayName: 'R', CurrencyRef: { value: 'EUR' } })).body['Customer'] as { Id: string };
    const other = (await api('POST', 'customer', { DisplayName: 'S', CurrencyRef: { value: 'EUR' } })).body['Customer'] as { Id: string };
    const line = (posting: string, account: string, amount: string, entity?: unknown) => ({
      DetailType: 'JournalEntryLineDetail',
      Amount: amount,
      JournalEntryLineDetail: { PostingType: posting, AccountRef: { value: account }, ...(entity ? { Entity: entity } : {}) },
    });
    const toCustomer = { Type: 'Customer', EntityRef: { value: customer.Id } };
    const entry = (doc: string, debit: unknown, credit = line('Credit', '36', '30.00')) => ({
      DocNumber: doc,
      CurrencyRef: { value: 'EUR' },
      Line: [debit, credit],
    });
    const refused = async (body: unknown, message: string) => {
      const answer = await api('POST', 'journalentry', body);
      expect(faultCode(answer.body)).toBe('6000');
      expect(JSON.stringify(answer.body)).toContain(message);
    };
    await refused(entry('R-1', line('Debit', '841', '30.00', toCustomer), line('Credit', '36', '29.99')), 'Transaction must be balanced');
    await refused(entry('R-1', line('Debit', '841', '30.00')), 'you must choose a customer');
    await refused(entry('R-1', line('Debit', '84', '30.00', toCustomer)), 'select the A/R account in EUR');
    expect(faultCode((await api('POST', 'journalentry', entry('R-1', line('Debt', '841', '30.00', toCustomer)))).body)).toBe('2010');
    const je = (await api('POST', 'journalentry', entry('R-1', line('Debit', '841', '30.00', toCustomer)))).body['JournalEntry'] as {
      Id: string;
      TotalAmt: number;
    };
    expect(je.TotalAmt).toBe(30);
    expect(faultCode((await api('POST', `journalentry?operation=void`, { Id: je.Id, SyncToken: '0' })).body)).toBe('500');

    const memo = (
      await api('POST', 'creditmemo', {
        DocNumber: 'CM-R',
        CustomerRef: { value: customer.Id },
        CurrencyRef: { value: 'EUR' },
        Line: [{ DetailType: 'SalesItemLineDetail', Amount: '40.00', SalesItemLineDetail: { ItemRef: { value: '1' }, Qty: 1, UnitPrice: '40.00' } }],
      })
    ).body['CreditMemo'] as { Id: string };
    const apply = (ref: string, customerId: string, amount: string) => ({
      PaymentRefNum: ref,
      CustomerRef: { value: customerId },
      CurrencyRef: { value: 'EUR' },
      TotalAmt: '0.00',
      Line: [
        { Amount: amount, LinkedTxn: [{ TxnId: je.Id, TxnType: 'JournalEntry' }] },
        { Amount: amount, LinkedTxn: [{ TxnId: memo.Id, TxnType: 'CreditMemo' }] },
      ],
    });
    expect(JSON.stringify((await api('POST', 'payment', apply('P-1', customer.Id, '30.01'))).body)).toContain('exceeds the open balance of journal entry R-1');
    expect(JSON.stringify((await api('POST', 'payment', apply('P-1', other.Id, '30.00'))).body)).toContain('charges customer');
    const payment = (await api('POST', 'payment', apply('P-1', customer.Id, '30.00'))).body['Payment'] as { Id: string; UnappliedAmt: number };
    expect(payment.UnappliedAmt).toBe(0);
    expect(fake.state.company.get('CreditMemo', memo.Id)?.['RemainingCredit']).toBe(10);
    // The entry is paid in full: a second application finds nothing open.
    expect(JSON.stringify((await api('POST', 'payment', apply('P-2', customer.Id, '0.01'))).body)).toContain('exceeds the open balance of journal entry R-1');
    await api('POST', 'payment?operation=update&include=void', { Id: payment.Id, SyncToken: '0', sparse: true });
    expect(fake.state.company.get('CreditMemo', memo.Id)?.['RemainingCredit']).toBe(40);
    expect((await api('POST', 'payment', apply('P-2', customer.Id, '30.00'))).status).toBe(200);
  });

  it('throttles past 10 requests in flight with 429 ThrottleExceeded', async () => {
    await fake.close();
    fake = await startFakeQbo({ latencyMs: 50 });
    token = ((await (await refresh(fake.refreshToken)).json()) as { access_token: string }).access_token;
    const results = await Promise.all(Array.from({ length: 14 }, () => api('GET', 'item/1')));
    const throttled = results.filter((r) => r.status === 429);
    expect(throttled.length).toBeGreaterThanOrEqual(4);
    expect(faultCode(throttled[0]!.body)).toBe('3001');
  });
});

describe('XSD-derived schema', () => {
  it('knows QBO entities from Intuit’s XSDs, inherited fields and references included', () => {
    const schema = loadQboSchema();
    expect(schema.complex.get('Invoice')!.fields.get('Line')).toEqual({ type: 'Line', many: true });
    expect(schema.complex.get('Invoice')!.fields.get('SyncToken')).toEqual({ type: 'string', many: false });
    expect(schema.complex.get('ReferenceType')!.valueType).toBe('id');
    expect(validateEntity(schema, 'Payment', { TotalAmt: 'ten' })[0]!.message).toMatch(/decimal/);
    expect(validateEntity(schema, 'Invoice', { GlobalTaxCalculation: 'Sometimes' })[0]!.message).toMatch(/TaxInclusive/);
  });

  it('parses the query subset and rejects the rest', () => {
    expect(parseQuery("select count(*) from Invoice where DocNumber = 'a' and TxnDate > '2024-01-01'")).toMatchObject({
      fields: 'count',
      where: [
        { field: 'DocNumber', op: '=' },
        { field: 'TxnDate', op: '>' },
      ],
    });
    expect(() => parseQuery('select * from Invoice where DocNumber == 1')).toThrow();
    expect(() => parseQuery('select * from Invoice maxresults 1001')).toThrow(/maxresults/);
  });
});
