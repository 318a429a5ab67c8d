/** The fake DualEntry is strict like the ledger: these are the refusals the connector relies on. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeDualEntry, type FakeDualEntry } from './index.js';

let fake: FakeDualEntry;
beforeAll(async () => {
  fake = await startFakeDualEntry({ lockedPeriods: ['2026-09'] });
});
afterAll(async () => {
  await fake.close();
});

async function call(method: string, path: string, body?: unknown, key: string | null = fake.apiKey) {
  const response = await fetch(`${fake.url}${path}`, {
    method,
    headers: { ...(key ? { 'X-API-KEY': key } : {}), ...(body ? { 'content-type': 'application/json' } : {}) },
    ...(body ? { body: JSON.stringify(body) } : {}),
  });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

const entry = (items: Array<Record<string, unknown>>, date = '2026-10-31') => ({
  date,
  company_id: fake.companyId,
  memo: 'm',
  currency_iso_4217_code: 'USD',
  record_status: 'posted',
  items: items.map((item, i) => ({ position: i + 1, memo: 'line', debit: '0', credit: '0', ...item })),
});

describe('fake DualEntry', () => {
  it('answers 401 without a key and 403 with a wrong one, in the documented error shape', async () => {
    expect(await call('GET', '/public/v2/health/', undefined, null)).toEqual({
      status: 401,
      body: { success: false, errors: { __all__: ['Authentication credentials were not provided.'] } },
    });
    expect((await call('GET', '/public/v2/health/', undefined, 'nope')).status).toBe(403);
  });

  it('creates a balanced entry with 200 and the created record, amounts as decimal strings', async () => {
    const created = await call(
      'POST',
      '/public/v2/journal-entries/',
      entry([
        { account_number: 1200, debit: '12.30' },
        { account_number: 4000, credit: 12.3 },
      ]),
    );
    expect(created.status).toBe(200);
    expect(created.body).toMatchObject({ amount: '12.30', company_id: fake.companyId, record_status: 'posted' });
    expect((created.body['items'] as Array<{ credit: string }>)[1]!.credit).toBe('12.30');
    const listed = await call('GET', '/public/v2/journal-entries/?limit=100&offset=0&search=m');
    expect(listed.body['count']).toBe(1);
  });

  it('refuses unbalanced entries, unknown or archived accounts, locked periods, bad decimals and pages over 100', async () => {
    expect(
      await call(
        'POST',
        '/public/v2/journal-entries/',
        entry([
          { account_number: 1200, debit: '10.00' },
          { account_number: 4000, credit: '9.99' },
        ]),
      ),
    ).toEqual({
      status: 422,
      body: { success: false, errors: { items: ['Journal entry is not balanced: debits 10.00 and credits 9.99 must be equal.'] } },
    });
    expect(
      await call(
        'POST',
        '/public/v2/journal-entries/',
        entry([
          { account_number: 1200, debit: '1' },
          { account_number: 4999, credit: '1' },
        ]),
      ),
    ).toEqual({
      status: 404,
      body: { success: false, errors: { 'items[1].account_number': ['Account 4999 not found.'] } },
    });
    expect(
      (
        await call(
          'POST',
          '/public/v2/journal-entries/',
          entry(
            [
              { account_number: 1200, debit: '1' },
              { account_number: 4000, credit: '1' },
            ],
            '2026-09-30',
          ),
        )
      ).body,
    ).toEqual({
      success: false,
      errors: { date: ['The period 2026-09 is locked. Entries cannot be posted into a locked period.'] },
    });
    expect(
      (
        await call(
          'POST',
          '/public/v2/journal-entries/',
          entry([
            { account_number: 1200, debit: '1.001' },
            { account_number: 4000, credit: '1.001' },
          ]),
        )
      ).status,
    ).toBe(400);
    expect(
      (
        await call('POST', '/public/v2/journal-entries/', {
          ...entry([
            { account_number: 1200, debit: '1' },
            { account_number: 4000, credit: '1' },
          ]),
          company_id: 1,
        })
      ).status,
    ).toBe(404);
    expect((await call('GET', '/public/v2/accounts/?limit=101')).status).toBe(400);
    fake.archiveAccount(4010);
    expect(
      (
        await call(
          'POST',
          '/public/v2/journal-entries/',
          entry([
            { account_number: 1200, debit: '1' },
            { account_number: 4010, credit: '1' },
          ]),
        )
      ).status,
    ).toBe(404);
    expect(fake.state.entries).toHaveLength(1);
  });

  it('refuses a date the calendar does not have (2026-02-30, 2025-02-29, 2026-13-01) as a wrong-format 400, and takes 2024-02-29', async () => {
    const lines = [
      { account_number: 1200, debit: '1.00' },
      { account_number: 4000, credit: '1.00' },
    ];
    const before = fake.state.entries.length;
    for (const date of ['2026-02-30', '2025-02-29', '2026-13-01', '2026-04-31']) {
      expect(await call('POST', '/public/v2/journal-entries/', entry(lines, date)), date).toEqual({
        status: 400,
        body: { success: false, errors: { date: ['Date has wrong format. Use one of these formats instead: YYYY-MM-DD.'] } },
      });
    }
    expect(fake.state.entries).toHaveLength(before);
    const leapDay = await call('POST', '/public/v2/journal-entries/', entry(lines, '2024-02-29'));
    expect(leapDay.status).toBe(200);
    expect(leapDay.body['date']).toBe('2024-02-29');
  });

  it('pages accounts with limit and offset and filters by number', async () => {
    const page = await call('GET', '/public/v2/accounts/?limit=3&offset=3');
    expect(page.body['count']).toBe(9);
    expect((page.body['items'] as Array<{ number: number }>).map((a) => a.number)).toEqual([2400, 4000, 4010]);
    const numbers = (body: Record<string, unknown>) => (body['items'] as Array<{ number: number }>).map((a) => a.number);
    const filtered = await call('GET', `/public/v2/accounts/?numbers=4000&numbers=9999&company_id_access=${fake.companyId}`);
    expect(numbers(filtered.body)).toEqual([4000]);
    // As the OpenAPI names it: `numbers[]` is no filter of DualEntry's, so the listing is not filtered.
    expect((await call('GET', '/public/v2/accounts/?numbers[]=4000')).body['count']).toBe(9);
    // `company_id` filters only bank and credit-card accounts.
    expect(numbers((await call('GET', `/public/v2/accounts/?company_id=${fake.companyId}`)).body)).toEqual([1000]);
  });
});
