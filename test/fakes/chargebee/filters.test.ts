import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SEED_FACTS, startFakeChargebee, type FakeChargebee } from './index.js';
import { cbGet, listAll } from './test-client.js';

describe('fake Chargebee filters, sorts and include_deleted', () => {
  let fake: FakeChargebee;
  beforeAll(async () => {
    fake = await startFakeChargebee();
  });
  afterAll(() => fake.close());

  test('updated_at[after] returns exactly the newer records and excludes records without updated_at', async () => {
    const after = 1_700_000_000;
    const { records } = await listAll(fake, 'invoices', { limit: 100, 'updated_at[after]': after, 'sort_by[asc]': 'updated_at' });
    const expected = fake.state.all('invoices').filter((i) => !i.deleted && i.updated_at !== undefined && i.updated_at > after);
    expect(records.map((r) => r['id']).sort()).toEqual(expected.map((i) => i.id).sort());
    const updatedAts = records.map((r) => r['updated_at'] as number);
    expect(updatedAts).toEqual([...updatedAts].sort((a, b) => a - b));
  });

  test('records without updated_at come first in ascending updated_at order and are never matched by an updated_at filter', async () => {
    const legacy = fake.state.all('invoices').filter((i) => i.updated_at === undefined && !i.deleted);
    expect(legacy.length).toBeGreaterThan(0);
    const first = await cbGet(fake, '/invoices', { limit: legacy.length, 'sort_by[asc]': 'updated_at' });
    expect(first.json.list.map((e: any) => e.invoice.updated_at)).toEqual(legacy.map(() => undefined));
    const all = await listAll(fake, 'invoices', { limit: 100, 'updated_at[before]': 2_000_000_000 });
    expect(all.records.some((r) => r['updated_at'] === undefined)).toBe(false);
    const desc = await listAll(fake, 'invoices', { limit: 100, 'sort_by[desc]': 'updated_at' });
    expect(desc.records.slice(-legacy.length).every((r) => r['updated_at'] === undefined)).toBe(true);
  });

  test('between is inclusive on both ends; on matches the exact second; before is strict', async () => {
    const s = SEED_FACTS.bulkUpdatedAt;
    const between = await listAll(fake, 'invoices', { limit: 100, 'updated_at[between]': `[${s},${s + 10}]` });
    expect(between.records).toHaveLength(SEED_FACTS.bulkInvoiceCount);
    const on = await listAll(fake, 'invoices', { limit: 100, 'updated_at[on]': s });
    expect(on.records).toHaveLength(SEED_FACTS.bulkInvoiceCount);
    const before = await listAll(fake, 'invoices', { limit: 100, 'updated_at[before]': s });
    expect(before.records.some((r) => r['updated_at'] >= s)).toBe(false);
  });

  test('id[in], customer_id[is], status[is] and event_type[in] filter as Chargebee does', async () => {
    const ids = fake.seedInfo.openInvoiceIds.slice(0, 3);
    const byId = await cbGet(fake, '/invoices', { 'id[in]': JSON.stringify(ids) });
    expect(byId.json.list.map((e: any) => e.invoice.id).sort()).toEqual([...ids].sort());

    const customerId = fake.seedInfo.specialCustomers.zoe;
    const byCustomer = await listAll(fake, 'invoices', { limit: 100, 'customer_id[is]': customerId });
    expect(byCustomer.records.length).toBeGreaterThan(0);
    expect(byCustomer.records.every((r) => r['customer_id'] === customerId)).toBe(true);

    const voided = await listAll(fake, 'invoices', { limit: 100, 'status[is]': 'voided' });
    expect(voided.records.map((r) => r['id']).sort()).toEqual([...fake.seedInfo.voidedInvoiceIds].sort());

    const events = await listAll(fake, 'events', { limit: 100, 'event_type[in]': '["credit_note_created","payment_refunded"]', 'sort_by[asc]': 'occurred_at' });
    expect(events.records.length).toBeGreaterThan(0);
    expect(new Set(events.records.map((e) => e['event_type']))).toEqual(new Set(['credit_note_created', 'payment_refunded']));
    const occurred = events.records.map((e) => e['occurred_at'] as number);
    expect(occurred).toEqual([...occurred].sort((a, b) => a - b));
  });

  test('credit_notes sort by date only, but accept the updated_at filter', async () => {
    const bad = await cbGet(fake, '/credit_notes', { 'sort_by[asc]': 'updated_at' });
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ type: 'invalid_request', api_error_code: 'param_wrong_value', param: 'sort_by[asc]', http_status_code: 400 });
    const byDate = await listAll(fake, 'credit_notes', { limit: 100, 'sort_by[asc]': 'date', 'updated_at[after]': 1_690_000_000 });
    const expected = fake.state.all('credit_notes').filter((c) => !c.deleted && (c.updated_at ?? 0) > 1_690_000_000);
    expect(byDate.records.map((r) => r['id']).sort()).toEqual(expected.map((c) => c.id).sort());
    const dates = byDate.records.map((r) => r['date'] as number);
    expect(dates).toEqual([...dates].sort((a, b) => a - b));
  });

  test('sort_by is checked per resource; both directions at once is rejected', async () => {
    expect((await cbGet(fake, '/transactions', { 'sort_by[desc]': 'updated_at' })).status).toBe(200);
    expect((await cbGet(fake, '/events', { 'sort_by[asc]': 'updated_at' })).status).toBe(400);
    expect((await cbGet(fake, '/customers', { 'sort_by[asc]': 'email' })).status).toBe(400);
    expect((await cbGet(fake, '/invoices', { 'sort_by[asc]': 'date', 'sort_by[desc]': 'date' })).status).toBe(400);
  });

  test('bad filter values and unknown filters answer 400 with the parameter', async () => {
    const cases: [string, Record<string, string>, string][] = [
      ['/invoices', { 'updated_at[after]': 'yesterday' }, 'updated_at[after]'],
      ['/invoices', { 'updated_at[between]': '[5,1]' }, 'updated_at[between]'],
      ['/invoices', { 'id[in]': 'a,b' }, 'id[in]'],
      ['/invoices', { 'colour[is]': 'red' }, 'colour[is]'],
      ['/invoices', { 'updated_at[is]': '1' }, 'updated_at[is]'],
      ['/customers', { include_deleted: 'yes' }, 'include_deleted'],
    ];
    for (const [path, query, param] of cases) {
      const response = await cbGet(fake, path, query);
      expect(response.status, JSON.stringify(query)).toBe(400);
      expect(response.json.param).toBe(param);
    }
    const repeated = await fetch(`${fake.url}/invoices?id[in]=a&id[in]=b`, {
      headers: { authorization: `Basic ${Buffer.from(`${fake.apiKey}:`).toString('base64')}` },
    });
    expect(repeated.status).toBe(400);
  });

  test('include_deleted lists deleted records with deleted: true; without it they are hidden', async () => {
    for (const resource of ['customers', 'invoices', 'credit_notes', 'transactions', 'subscriptions'] as const) {
      const deleted = fake.state.all(resource).filter((r) => r.deleted);
      expect(deleted.length, resource).toBeGreaterThan(0);
      const without = await listAll(fake, resource, { limit: 100 });
      expect(
        without.records.some((r) => r['deleted']),
        resource,
      ).toBe(false);
      const withDeleted = await listAll(fake, resource, { limit: 100, include_deleted: 'true' });
      expect(withDeleted.records.length).toBe(fake.state.count(resource));
      expect(
        withDeleted.records
          .filter((r) => r['deleted'] === true)
          .map((r) => r['id'])
          .sort(),
      ).toEqual(deleted.map((r) => r.id).sort());
    }
  });

  test('retrieve answers the envelope; deleted and unknown ids answer 404 resource_not_found', async () => {
    const id = fake.seedInfo.paidInvoiceIds[0] ?? '';
    const found = await cbGet(fake, `/invoices/${id}`);
    expect(found.status).toBe(200);
    expect(found.json.invoice.id).toBe(id);
    const deletedId = fake.state.all('invoices').find((i) => i.deleted)?.id ?? '';
    for (const missing of [deletedId, 'no-such-invoice']) {
      const response = await cbGet(fake, `/invoices/${missing}`);
      expect(response.status).toBe(404);
      expect(response.json).toMatchObject({
        type: 'invalid_request',
        api_error_code: 'resource_not_found',
        error_code: 'resource_not_found',
        http_status_code: 404,
      });
      expect(response.json.error_msg).toBe(response.json.message);
    }
    const event = fake.state.all('events').find((e) => e.event_type === 'payment_succeeded');
    const eventResponse = await cbGet(fake, `/events/${event?.id}`);
    expect(eventResponse.json.event).toMatchObject({ id: event?.id, event_type: 'payment_succeeded', api_version: 'v2' });
    expect(eventResponse.json.event.content.transaction.id).toBeTypeOf('string');
    expect(eventResponse.json.event.content.invoice.id).toBeTypeOf('string');
  });

  test('subscription list entries carry the customer beside the subscription', async () => {
    const page = await cbGet(fake, '/subscriptions', { limit: 3 });
    for (const entry of page.json.list) expect(entry.customer.id).toBe(entry.subscription.customer_id);
  });

  test('configurations tell the product catalog version', async () => {
    const response = await cbGet(fake, '/configurations');
    expect(response.json).toEqual({ configurations: [{ domain: 'acme-test', product_catalog_version: 'v2' }] });
  });
});
