/**
 * The fake refuses what Chargebee's own per-operation schemas refuse (the chargebee npm package,
 * `esm/schema/*.schema.js`), with Chargebee's 400 invalid_request body naming the parameter.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { OFFLINE_PAYMENT_METHODS, startFakeChargebee, type FakeChargebee } from './index.js';
import { cbGet, cbRequest } from './test-client.js';

const invalidRequest = (param: string) => ({ type: 'invalid_request', api_error_code: 'param_wrong_value', param, error_param: param, http_status_code: 400 });

describe('requests checked against the chargebee package schemas', () => {
  let v1: FakeChargebee;
  let v2: FakeChargebee;
  beforeAll(async () => {
    v1 = await startFakeChargebee({ customers: 12, catalogVersion: 'v1' });
    v2 = await startFakeChargebee({ customers: 12 });
  });
  afterAll(async () => {
    await v1.close();
    await v2.close();
  });

  test('Plan.list and Addon.list have no sort_by (ListPlanBodySchema, ListAddonBodySchema)', async () => {
    for (const path of ['/plans', '/addons']) {
      const sorted = await cbGet(v1, path, { 'sort_by[asc]': 'updated_at' });
      expect(sorted.status).toBe(400);
      expect(sorted.json).toMatchObject(invalidRequest('sort_by[asc]'));
      expect(sorted.json.message).toMatch(/is not a parameter of (Plan|Addon)\.list/);
      const filtered = await cbGet(v1, path, { limit: 100, 'updated_at[after]': 1_600_000_000, include_deleted: 'true' });
      expect(filtered.status).toBe(200);
    }
  });

  test("Invoice.recordPayment refuses 'card' (RecordPaymentInvoiceTransactionSchema), before touching the invoice", async () => {
    const invoiceId = v2.seedInfo.openInvoiceIds[0]!;
    const before = v2.state.get('invoices', invoiceId);
    const response = await cbRequest(v2, 'POST', `/invoices/${invoiceId}/record_payment`, {
      form: { 'transaction[amount]': '100', 'transaction[payment_method]': 'card' },
    });
    expect(response.status).toBe(400);
    expect(response.json).toMatchObject(invalidRequest('transaction[payment_method]'));
    expect(response.json.message).toBe(`transaction[payment_method] : invalid value "card"; expected one of ${OFFLINE_PAYMENT_METHODS.join(', ')}`);
    expect(v2.state.get('invoices', invoiceId)).toEqual(before);
  });

  test('the accepted payment methods are the package enum, and the Chargebee descriptor declares exactly those', () => {
    expect(OFFLINE_PAYMENT_METHODS).toEqual([
      'cash',
      'check',
      'bank_transfer',
      'other',
      'app_store',
      'play_store',
      'custom',
      'dana',
      'touch_n_go',
      'tamara',
      'qpay',
    ]);
    const descriptor = parse(readFileSync(new URL('../../../connectors/chargebee/connector.yaml', import.meta.url), 'utf8'));
    expect(descriptor.objects.offline_payment.fields.payment_method.enum).toEqual([...OFFLINE_PAYMENT_METHODS]);
  });

  test('parameters an operation does not define, wrong types and over-long values are refused with the parameter named', async () => {
    const unknown = await cbGet(v2, '/invoices', { 'colour[is]': 'red' });
    expect(unknown.json).toMatchObject(invalidRequest('colour[is]'));
    const badType = await cbGet(v2, '/invoices', { include_deleted: 'yes' });
    expect(badType.json).toMatchObject(invalidRequest('include_deleted'));
    const badTimestamp = await cbGet(v2, '/invoices', { 'updated_at[after]': '12' });
    expect(badTimestamp.json).toMatchObject(invalidRequest('updated_at[after]'));
    const retrieve = await cbGet(v2, `/customers/${v2.seedInfo.specialCustomers.zoe}`, { expand: 'x' });
    expect(retrieve.json).toMatchObject(invalidRequest('expand'));
    const longComment = await cbRequest(v2, 'POST', `/invoices/${v2.seedInfo.openInvoiceIds[1]!}/record_payment`, {
      form: { 'transaction[payment_method]': 'cash', comment: 'x'.repeat(301) },
    });
    expect(longComment.json).toMatchObject({ ...invalidRequest('comment'), message: 'comment : cannot be longer than 300 characters' });
  });

  test('subscriptions accept include_deleted (ListSubscriptionBodySchema)', async () => {
    expect((await cbGet(v2, '/subscriptions', { include_deleted: 'true', 'sort_by[asc]': 'updated_at' })).status).toBe(200);
  });
});
