/**
 * The vendor's own client (chargebee v3) against the fake: if the official SDK can page, retrieve,
 * post and read errors here, the fake speaks Chargebee's wire format.
 */
import Chargebee from 'chargebee';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { startFakeChargebee, type FakeChargebee } from './index.js';

describe('the official chargebee npm client against the fake', () => {
  let fake: FakeChargebee;
  let chargebee: Chargebee;
  beforeAll(async () => {
    fake = await startFakeChargebee({ customers: 60 });
    chargebee = new Chargebee({ site: '127.0.0.1', hostSuffix: '', protocol: 'http', port: fake.port, apiKey: fake.apiKey });
  });
  afterAll(() => fake.close());

  test('lists customers with paging, retrieves an invoice, records a payment and reads an error', async () => {
    const seen: string[] = [];
    let offset: string | undefined;
    let pages = 0;
    do {
      const page = await chargebee.customer.list({ limit: 25, 'sort_by[asc]': 'updated_at', ...(offset ? { offset } : {}) });
      seen.push(...page.list.map((entry) => entry.customer.id));
      offset = page.next_offset;
      pages += 1;
    } while (offset);
    const expected = fake.state
      .all('customers')
      .filter((c) => !c.deleted)
      .map((c) => c.id);
    expect(pages).toBe(Math.ceil(expected.length / 25));
    expect([...seen].sort()).toEqual([...expected].sort());
    expect(fake.requests.some((r) => r.path === '/api/v2/customers' && r.query['sort_by[asc]'] === 'updated_at')).toBe(true);

    const filtered = await chargebee.invoice.list({ limit: 100, status: { in: ['payment_due', 'not_paid'] }, updated_at: { after: 1_600_000_000 } });
    expect(filtered.list.length).toBeGreaterThan(0);
    expect(filtered.list.every((e) => e.invoice.status === 'payment_due' || e.invoice.status === 'not_paid')).toBe(true);

    const open = filtered.list[0]?.invoice;
    if (!open) throw new Error('no open invoice');
    const retrieved = await chargebee.invoice.retrieve(open.id);
    expect(retrieved.invoice.id).toBe(open.id);
    expect(retrieved.invoice.line_items?.length).toBeGreaterThanOrEqual(2);

    const paid = await chargebee.invoice.recordPayment(
      open.id,
      { transaction: { amount: 1, payment_method: 'bank_transfer', reference_number: 'SDK-1' }, comment: 'via the official client' },
      { 'chargebee-idempotency-key': 'sdk-key-1' },
    );
    expect(paid.invoice.amount_due).toBe((open.amount_due ?? 0) - 1);
    expect(paid.transaction?.reference_number).toBe('SDK-1');
    expect(paid.isIdempotencyReplayed).toBe(false);
    const replay = await chargebee.invoice.recordPayment(
      open.id,
      { transaction: { amount: 1, payment_method: 'bank_transfer', reference_number: 'SDK-1' }, comment: 'via the official client' },
      { 'chargebee-idempotency-key': 'sdk-key-1' },
    );
    expect(replay.isIdempotencyReplayed).toBe('true');
    expect(fake.state.get('invoices', open.id)?.amount_due).toBe((open.amount_due ?? 0) - 1);

    await expect(chargebee.invoice.retrieve('does-not-exist')).rejects.toMatchObject({
      type: 'invalid_request',
      api_error_code: 'resource_not_found',
      http_status_code: 404,
    });
    const wrongKey = new Chargebee({ site: '127.0.0.1', hostSuffix: '', protocol: 'http', port: fake.port, apiKey: 'wrong' });
    await expect(wrongKey.customer.list()).rejects.toMatchObject({ api_error_code: 'api_authentication_failed', http_status_code: 401 });
    await expect(chargebee.invoice.list({ limit: 101 })).rejects.toMatchObject({ api_error_code: 'param_wrong_value', param: 'limit' });
  });
});
