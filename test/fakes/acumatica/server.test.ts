/** Routing, endpoint versions, the licence's request limits and the fault knobs of the fake tenant. */
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeAcumatica, startFakeAcumatica } from './index.js';
import { AcumaticaTestClient } from './test-client.js';

let fake: FakeAcumatica;
afterEach(async () => fake?.close());

async function loggedIn(options: Parameters<typeof startFakeAcumatica>[0] = {}): Promise<AcumaticaTestClient> {
  fake = await startFakeAcumatica(options);
  const client = new AcumaticaTestClient(fake);
  await client.login();
  return client;
}

describe('instance and endpoint versions', () => {
  it('serves only the configured endpoint versions: any other answers 404; GET /entity lists what is served', async () => {
    const client = await loggedIn({ instancePath: '/AcumaticaERP', endpoints: [{ name: 'Default', version: '24.200.001' }] });
    expect(fake.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/AcumaticaERP$/);
    expect((await client.raw('GET', `${fake.url}/entity/Default/24.200.001/Customer`)).status).toBe(200);
    const older = await client.raw('GET', `${fake.url}/entity/Default/23.200.001/Customer`);
    expect(older.status).toBe(404);
    expect(older.json).toEqual({ message: `No HTTP resource was found that matches the request URI '${fake.url}/entity/Default/23.200.001/Customer'.` });
    expect((await client.raw('GET', `${fake.url}/entity/MyEndpoint/24.200.001/Customer`)).status).toBe(404);
    expect((await client.raw('GET', `http://127.0.0.1:${fake.port}/entity/Default/24.200.001/Customer`)).status).toBe(404);
    const listing = await client.raw('GET', `${fake.url}/entity`);
    expect(listing.json.endpoints).toEqual([{ name: 'Default', version: '24.200.001', href: '/AcumaticaERP/entity/Default/24.200.001/' }]);
  });

  it('answers 404 for entities outside the contract, 405 for methods a route does not take', async () => {
    const client = await loggedIn();
    expect((await client.api('GET', 'Widget')).status).toBe(404);
    const wrongMethod = await client.api('PATCH', 'Customer');
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.json.message).toBe("The requested resource does not support http method 'PATCH'.");
    expect((await client.api('GET', 'Vendor')).json.exceptionType).toBe('System.NotImplementedException');
  });

  it('reads reference data for preflight checks: accounts, subaccounts, tax categories, payment methods with cash accounts, branches', async () => {
    const client = await loggedIn({
      seed: {
        branches: [
          { BranchID: 'east', BranchName: 'East' },
          { BranchID: 'WEST', BranchName: 'West', Active: false },
        ],
      },
    });
    expect((await client.api('GET', 'Account/40000')).json.Type.value).toBe('Income');
    expect((await client.api('GET', `Account?$filter=${encodeURIComponent('Active eq false')}`)).json.map((a: any) => a.AccountCD.value)).toEqual(['49900']);
    expect((await client.api('GET', 'Subaccount/000000')).status).toBe(200);
    expect((await client.api('GET', 'TaxCategory/exempt')).json.TaxCategoryID.value).toBe('EXEMPT');
    const card = (await client.api('GET', 'PaymentMethod/CARD?$expand=AllowedCashAccounts')).json;
    expect(card.AllowedCashAccounts.map((row: any) => [row.CashAccount.value, row.UseInAR.value, row.ARDefault.value])).toEqual([['10250', true, true]]);
    const branches = await client.api('PUT', 'CompaniesStructure?$expand=Results', {});
    expect(branches.json.Results.map((row: any) => [row.BranchID.value, row.BranchStatus.value])).toEqual([
      ['EAST', true],
      ['WEST', false],
    ]);
    expect((await client.api('GET', 'Ledger/ACTUAL?$expand=Branches')).json.Branches).toHaveLength(2);
  });

  it('serves taxes by TaxID, upper case, with no Active: NotValidAfter (Tax.OutDate) defaults to 9999-06-06', async () => {
    const client = await loggedIn({ seed: { taxes: [{ TaxID: 'old', Description: 'Retired', NotValidAfter: '2020-12-31' }] } });
    const created = await client.put('Tax', { TaxID: 'nyState', Description: 'New York State' });
    expect(created.status).toBe(200);
    expect(created.json.TaxID.value).toBe('NYSTATE');
    expect(created.json.TaxType.value).toBe('Sales');
    expect(created.json.NotValidAfter.value).toBe('9999-06-06T00:00:00+00:00');
    expect(created.json.Active).toBeUndefined();
    const filter = encodeURIComponent("TaxID eq 'nystate' or TaxID eq 'OLD'");
    const listed = await client.api('GET', `Tax?$filter=${filter}&$select=TaxID,NotValidAfter`);
    expect(listed.json.map((t: any) => [t.TaxID.value, t.NotValidAfter.value, t.Description])).toEqual([
      ['NYSTATE', '9999-06-06T00:00:00+00:00', undefined],
      ['OLD', '2020-12-31T00:00:00+00:00', undefined],
    ]);
    expect((await client.api('GET', 'Tax?$select=Active')).status).toBe(400);
  });
});

describe('licence request limits', () => {
  it('answers 429 above the requests per minute with IIS plain text and no Retry-After; logout is exempt', async () => {
    let clock = Date.UTC(2026, 0, 1);
    const client = await loggedIn({ licence: { requestsPerMinute: 3 }, now: () => clock });
    expect((await client.api('GET', 'Customer')).status).toBe(200);
    expect((await client.api('GET', 'Customer')).status).toBe(200);
    const throttled = await client.api('GET', 'Customer');
    expect(throttled.status).toBe(429);
    expect(throttled.text).toBe('The custom error module does not recognize this error.');
    expect(throttled.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(throttled.headers.get('retry-after')).toBeNull();
    expect(fake.state.throttled).toBe(1);
    expect((await client.logout()).status).toBe(204);
    clock += 60_000;
    expect((await client.login()).status).toBe(204);
  });

  it('sends Retry-After when the licence option asks for it, and refuses requests above the concurrency limit', async () => {
    const client = await loggedIn({ licence: { maxConcurrentRequests: 2, retryAfterSeconds: 7 }, latencyMs: 150 });
    const results = await Promise.all(Array.from({ length: 5 }, () => client.api('GET', 'Customer')));
    const statuses = results.map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 429, 429, 429]);
    expect(results.find((r) => r.status === 429)!.headers.get('retry-after')).toBe('7');
    expect(fake.state.maxInFlight).toBe(2);
  });
});

describe('fault knobs', () => {
  it('failNext answers the status with a Web API error body before anything takes effect', async () => {
    const client = await loggedIn();
    fake.faults.failNext(2, 503, 'Maintenance');
    const first = await client.put('Customer', { CustomerID: 'C1', CustomerName: 'A' });
    expect([first.status, first.json.exceptionMessage]).toEqual([503, 'Maintenance']);
    expect((await client.api('GET', 'Customer')).status).toBe(503);
    expect((await client.api('GET', 'Customer')).status).toBe(200);
    expect(fake.state.records('Customer')).toEqual([]);
  });

  it('throttleNext answers 429 without counting against the licence', async () => {
    const client = await loggedIn();
    fake.faults.throttleNext(1);
    expect((await client.api('GET', 'Customer')).status).toBe(429);
    expect((await client.api('GET', 'Customer')).status).toBe(200);
    expect(fake.state.throttled).toBe(0);
  });

  it('resetConnectionNext drops the socket before the request takes effect', async () => {
    const client = await loggedIn();
    fake.faults.resetConnectionNext(1);
    await expect(client.put('Customer', { CustomerID: 'C1', CustomerName: 'A' })).rejects.toThrow();
    expect(fake.state.records('Customer')).toEqual([]);
  });

  it('dropResponseAfterWriteNext applies the write and loses the answer; afterWrite sees it first', async () => {
    const client = await loggedIn();
    const seen: string[] = [];
    fake.faults.afterWrite = (event) => {
      seen.push(`${event.operation} ${event.entity} ${event.keys['CustomerID']}`);
    };
    fake.faults.dropResponseAfterWriteNext(1);
    await expect(client.put('Customer', { CustomerID: 'C1', CustomerName: 'A' })).rejects.toThrow();
    expect(fake.state.record('Customer', 'C1')).toMatchObject({ CustomerName: 'A' });
    expect(seen).toEqual(['insert Customer C1']);
    expect((await client.put('Customer', { CustomerID: 'C2', CustomerName: 'B' })).status).toBe(200);
    expect(fake.state.requests.filter((r) => r.method === 'PUT').map((r) => r.status)).toEqual([0, 200]);
  });

  it('a client that times out during delayMs does not stop its create: the document lands anyway', async () => {
    const client = await loggedIn();
    fake.faults.delayMs = 200;
    const aborted = fetch(`${fake.endpointUrl()}/Customer`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', cookie: [...client.cookies].map(([name, value]) => `${name}=${value}`).join('; ') },
      body: JSON.stringify({ CustomerID: { value: 'LATE' }, CustomerName: { value: 'Late' } }),
      signal: AbortSignal.timeout(50),
    });
    await expect(aborted).rejects.toThrow();
    expect(fake.state.records('Customer')).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(fake.state.record('Customer', 'late')).toMatchObject({ CustomerName: 'Late' });
  });

  it('delayMs slows every answer', async () => {
    const client = await loggedIn();
    fake.faults.delayMs = 120;
    const started = Date.now();
    await client.api('GET', 'Customer');
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    fake.faults.clear();
    expect(fake.faults.delayMs).toBe(0);
  });

  it('rejects bad option values with what was expected', async () => {
    await expect(startFakeAcumatica({ licence: { maxApiUsers: 0 } })).rejects.toThrow(/licence.maxApiUsers must be an integer >= 1, received 0/);
    await expect(startFakeAcumatica({ instancePath: 'AcumaticaERP/' })).rejects.toThrow(/instancePath/);
    fake = await startFakeAcumatica();
    expect(() => fake.faults.failNext(1, 200)).toThrow(/400..599/);
  });
});
