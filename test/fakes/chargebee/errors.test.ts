import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { startFakeChargebee, type FakeChargebee } from './index.js';
import { basicAuth, cbGet } from './test-client.js';

describe('fake Chargebee errors and faults', () => {
  let fake: FakeChargebee;
  beforeAll(async () => {
    fake = await startFakeChargebee({ customers: 20 });
  });
  afterEach(() => fake.faults.clear());
  afterAll(() => fake.close());

  test('a wrong, missing or password-carrying key answers 401 with the real error body', async () => {
    for (const authorization of [basicAuth('wrong_key'), basicAuth(fake.apiKey, 'x'), undefined, `Bearer ${fake.apiKey}`]) {
      const response = await fetch(`${fake.url}/customers`, { headers: authorization ? { authorization } : {} });
      expect(response.status).toBe(401);
      expect(await response.json()).toEqual({
        message: 'Sorry, authentication failed. Invalid api key',
        type: 'invalid_request',
        api_error_code: 'api_authentication_failed',
        error_code: 'api_authentication_failed',
        error_msg: 'Sorry, authentication failed. Invalid api key',
        http_status_code: 401,
      });
    }
  });

  test('limit outside 1..100 answers 400 invalid_request with param limit', async () => {
    const response = await cbGet(fake, '/invoices', { limit: 101 });
    expect(response.status).toBe(400);
    expect(response.json).toEqual({
      message: 'limit : cannot be more than 100',
      type: 'invalid_request',
      api_error_code: 'param_wrong_value',
      param: 'limit',
      error_code: 'param_wrong_value',
      error_msg: 'limit : cannot be more than 100',
      error_param: 'limit',
      http_status_code: 400,
    });
    for (const limit of ['0', '-3', 'ten']) expect((await cbGet(fake, '/invoices', { limit })).json.param).toBe('limit');
    const listed = fake.state.all('invoices').filter((i) => !i.deleted).length;
    expect((await cbGet(fake, '/invoices', { limit: 100 })).json.list).toHaveLength(listed);
  });

  test('rateLimitNext answers 429 api_request_limit_exceeded with Retry-After, then recovers', async () => {
    fake.faults.rateLimitNext(2, 7);
    for (let i = 0; i < 2; i++) {
      const response = await cbGet(fake, '/customers');
      expect(response.status).toBe(429);
      expect(response.headers.get('retry-after')).toBe('7');
      expect(response.json).toMatchObject({ api_error_code: 'api_request_limit_exceeded', http_status_code: 429 });
    }
    expect((await cbGet(fake, '/customers')).status).toBe(200);
  });

  test('serviceUnavailableNext answers 503 site_not_ready, alternating JSON and HTML bodies', async () => {
    fake.faults.serviceUnavailableNext(2);
    const json = await cbGet(fake, '/customers');
    expect(json.status).toBe(503);
    expect(json.json).toMatchObject({ api_error_code: 'site_not_ready', http_status_code: 503 });
    const html = await cbGet(fake, '/customers');
    expect(html.status).toBe(503);
    expect(html.json).toBeUndefined();
    expect(html.headers.get('content-type')).toContain('text/html');
    expect((await cbGet(fake, '/customers')).status).toBe(200);
  });

  test('failEvery fails every k-th request with the given status', async () => {
    fake.faults.failEvery(3, 500);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await cbGet(fake, '/customers')).status);
    expect(statuses).toEqual([200, 200, 500, 200, 200, 500]);
  });

  test('resetConnectionNext destroys the socket without an answer, logged with status 0', async () => {
    fake.faults.resetConnectionNext(1);
    await expect(cbGet(fake, '/customers')).rejects.toThrow();
    expect(fake.requests.at(-1)).toMatchObject({ method: 'GET', path: '/api/v2/customers', status: 0 });
    expect((await cbGet(fake, '/customers')).status).toBe(200);
  });

  test('delayMs adds latency', async () => {
    fake.faults.delayMs = 120;
    const started = Date.now();
    await cbGet(fake, '/configurations');
    expect(Date.now() - started).toBeGreaterThanOrEqual(110);
  });

  test('every request is logged with method, path, query and status', async () => {
    fake.requests.length = 0;
    await cbGet(fake, '/invoices', { limit: 2, 'status[is]': 'paid' });
    expect(fake.requests).toEqual([
      {
        method: 'GET',
        path: '/api/v2/invoices',
        query: { limit: '2', 'status[is]': 'paid' },
        status: 200,
        operation: 'Invoice.list',
        operationSource: 'chargebee/esm/schema/invoice.schema.js#ListInvoiceBodySchema',
      },
    ]);
  });

  test('Product Catalog 1.0 endpoints on a 2.0 site answer configuration_incompatible', async () => {
    for (const path of ['/plans', '/addons', '/plans/starter-usd-monthly']) {
      const response = await cbGet(fake, path);
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ type: 'invalid_request', api_error_code: 'configuration_incompatible', http_status_code: 400 });
      expect(response.json.message).toContain('product catalog 1.0');
    }
    expect((await cbGet(fake, '/item_prices')).status).toBe(200);
  });

  test('unknown routes answer 404 resource_not_found', async () => {
    const response = await cbGet(fake, '/widgets');
    expect(response.status).toBe(404);
    expect(response.json.api_error_code).toBe('resource_not_found');
  });
});

describe('fake Chargebee on a Product Catalog 1.0 site with a real rate limiter', () => {
  test('items are incompatible, plans and addons are served, and the limiter answers 429 with the wait', async () => {
    const fake = await startFakeChargebee({ customers: 12, catalogVersion: 'v1', rateLimit: { requests: 5, perSeconds: 60 } });
    try {
      expect((await cbGet(fake, '/configurations')).json.configurations[0].product_catalog_version).toBe('v1');
      const items = await cbGet(fake, '/items');
      expect(items.json).toMatchObject({ api_error_code: 'configuration_incompatible' });
      expect(items.json.message).toContain('product catalog 2.0');
      const plans = await cbGet(fake, '/plans', { limit: 100 });
      expect(plans.json.list.every((e: any) => typeof e.plan.accounting_code === 'string')).toBe(true);
      const invoice = await cbGet(fake, '/invoices', { limit: 1 });
      expect(['plan', 'addon', 'adhoc']).toContain(invoice.json.list[0].invoice.line_items[0].entity_type);
      expect((await cbGet(fake, '/addons')).status).toBe(200); // the fifth request in the window
      const limited = await cbGet(fake, '/addons');
      expect(limited.status).toBe(429);
      expect(limited.json.api_error_code).toBe('api_request_limit_exceeded');
      const wait = Number(limited.headers.get('retry-after'));
      expect(wait).toBeGreaterThan(50);
      expect(wait).toBeLessThanOrEqual(60);
    } finally {
      await fake.close();
    }
  });
});
