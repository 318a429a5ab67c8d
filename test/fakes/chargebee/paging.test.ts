import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SEED_FACTS, startFakeChargebee, type FakeChargebee } from './index.js';
import { cbGet, listAll } from './test-client.js';

describe('fake Chargebee paging', () => {
  let fake: FakeChargebee;
  beforeAll(async () => {
    fake = await startFakeChargebee();
  });
  afterAll(() => fake.close());

  test('limit 100 pages over every listed record exactly once, for every sort', async () => {
    const expected = fake.state
      .all('invoices')
      .filter((i) => !i.deleted)
      .map((i) => i.id)
      .sort();
    for (const query of [{}, { 'sort_by[asc]': 'updated_at' }, { 'sort_by[desc]': 'updated_at' }, { 'sort_by[asc]': 'date' }]) {
      const { records, pages } = await listAll(fake, 'invoices', { limit: 100, ...query });
      const ids = records.map((r) => r['id']);
      expect(new Set(ids).size).toBe(ids.length);
      expect([...ids].sort()).toEqual(expected);
      expect(pages).toBe(Math.ceil(expected.length / 100));
    }
  });

  test('the last page has no next_offset and the default limit is 10', async () => {
    const first = await cbGet(fake, '/customers');
    expect(first.json.list).toHaveLength(10);
    expect(typeof first.json.next_offset).toBe('string');
    const few = await cbGet(fake, '/customers', { 'id[is]': fake.seedInfo.specialCustomers.zoe });
    expect(few.json.list).toHaveLength(1);
    expect(few.json).not.toHaveProperty('next_offset');
  });

  test('unsorted lists come newest-created first', async () => {
    const { records } = await listAll(fake, 'invoices', { limit: 100 });
    const dates = records.map((r) => r['date'] as number);
    expect(dates).toEqual([...dates].sort((a, b) => b - a));
  });

  test(`${SEED_FACTS.bulkInvoiceCount} invoices sharing one updated_at second page correctly across three pages`, async () => {
    const second = SEED_FACTS.bulkUpdatedAt;
    const { records, pages } = await listAll(fake, 'invoices', { limit: 100, 'sort_by[asc]': 'updated_at', 'updated_at[between]': `[${second},${second}]` });
    expect(pages).toBe(3);
    expect(records).toHaveLength(SEED_FACTS.bulkInvoiceCount);
    expect(new Set(records.map((r) => r['id'])).size).toBe(SEED_FACTS.bulkInvoiceCount);
    expect(records.every((r) => r['updated_at'] === second)).toBe(true);
    expect(records.map((r) => r['id']).sort()).toEqual([...fake.seedInfo.bulkInvoiceIds].sort());
  });

  test('the offset is a keyset token of the last sort value and id', async () => {
    const page = await cbGet(fake, '/invoices', { limit: 5, 'sort_by[asc]': 'updated_at', 'updated_at[after]': 1_700_000_000 });
    const last = page.json.list[4].invoice;
    const token = JSON.parse(page.json.next_offset);
    expect(token.slice(0, 2)).toEqual([String(last.updated_at), last.id]);
  });

  test('a tampered, garbled or foreign offset answers 400 param offset', async () => {
    const page = await cbGet(fake, '/invoices', { limit: 5, 'sort_by[asc]': 'updated_at' });
    const token = JSON.parse(page.json.next_offset) as string[];
    const tampered = JSON.stringify([String(Number(token[0] ?? 0) + 1), token[1], token[2]]);
    for (const offset of [tampered, 'garbage', '["1","2"]', '{}']) {
      const response = await cbGet(fake, '/invoices', { limit: 5, 'sort_by[asc]': 'updated_at', offset });
      expect(response.status).toBe(400);
      expect(response.json).toMatchObject({ type: 'invalid_request', api_error_code: 'param_wrong_value', param: 'offset', http_status_code: 400 });
    }
    const otherSort = await cbGet(fake, '/invoices', { limit: 5, 'sort_by[desc]': 'updated_at', offset: page.json.next_offset });
    expect(otherSort.status).toBe(400);
  });
});

describe('fake Chargebee keyset paging under concurrent changes', () => {
  test('records updated mid-paging never make the reader skip a record', async () => {
    const fake = await startFakeChargebee({ customers: 300, now: () => 1_800_000_000 });
    try {
      const before = fake.state
        .all('invoices')
        .filter((i) => !i.deleted)
        .map((i) => i.id);
      const seen: string[] = [];
      await listAll(fake, 'invoices', { limit: 100, 'sort_by[asc]': 'updated_at' }, (page, records) => {
        seen.push(...records.map((r) => r['id']));
        if (page === 1) {
          // Records already read and records not yet read move to the end of the order.
          for (const r of records.slice(0, 30)) fake.state.touch('invoices', r['id'], { po_number: `PO-MOVED-${r['id']}` });
          const unread = before.filter((id) => !seen.includes(id)).slice(0, 20);
          for (const id of unread) fake.state.touch('invoices', id, { po_number: `PO-MOVED-${id}` });
        }
      });
      const missing = before.filter((id) => !seen.includes(id));
      expect(missing).toEqual([]);
      // The 30 re-read records come again, at the end (their updated_at moved), which a sync dedupes by version.
      expect(seen.length).toBe(before.length + 30);
    } finally {
      await fake.close();
    }
  });

  test('unsorted (creation order) paging is not moved by updates at all', async () => {
    const fake = await startFakeChargebee({ customers: 60 });
    try {
      const expected = fake.state
        .all('customers')
        .filter((c) => !c.deleted)
        .map((c) => c.id);
      const { records } = await listAll(fake, 'customers', { limit: 7 }, (page, pageRecords) => {
        if (page === 2) for (const r of pageRecords) fake.state.touch('customers', r['id'], { phone: '+1 555 0000' });
      });
      expect(records.map((r) => r['id']).sort()).toEqual([...expected].sort());
    } finally {
      await fake.close();
    }
  });
});
