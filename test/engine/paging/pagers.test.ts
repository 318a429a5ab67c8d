import { afterEach, describe, expect, it } from 'vitest';
import nock from 'nock';
import { createConnection } from '../../../engine/http/connection.js';
import { limitOffsetPager, offsetTokenPager, pagesOf, topSkipPager } from '../../../engine/paging/pagers.js';

const base = 'https://acme-test.chargebee.com/api/v2';
const noWait = { sleep: async () => {}, random: () => 0.5 };

afterEach(() => {
  nock.cleanAll();
});

describe('offsetTokenPager', () => {
  it('follows next_offset until it is absent, copying it verbatim', async () => {
    const token = '["1700000000000","cus_100"]';
    nock(base)
      .get('/customers')
      .query({ limit: '100', 'sort_by[asc]': 'updated_at' })
      .reply(200, { list: [{ customer: { id: 'a' } }, { customer: { id: 'b' } }], next_offset: token })
      .get('/customers')
      .query({ limit: '100', 'sort_by[asc]': 'updated_at', offset: token })
      .reply(200, { list: [{ customer: { id: 'c' } }] });
    const http = createConnection({ label: 'test', baseUrl: base }, noWait);
    const pages = [];
    for await (const page of offsetTokenPager({
      http,
      path: '/customers',
      query: { 'sort_by[asc]': 'updated_at' },
      limitParam: 'limit',
      pageSize: 100,
      offsetParam: 'offset',
      nextField: 'next_offset',
      recordsField: 'list',
    })) {
      pages.push(page);
    }
    expect(pages.map((p) => p.entries.length)).toEqual([2, 1]);
    expect(pages.map((p) => p.number)).toEqual([1, 2]);
    expect(nock.isDone()).toBe(true);
  });

  it('stops with an error when the server repeats the same offset', async () => {
    nock(base).get('/invoices').query(true).times(2).reply(200, { list: [], next_offset: 'same' });
    const http = createConnection({ label: 'test', baseUrl: base }, noWait);
    const pager = offsetTokenPager({
      http,
      path: '/invoices',
      query: {},
      limitParam: 'limit',
      pageSize: 100,
      offsetParam: 'offset',
      nextField: 'next_offset',
      recordsField: 'list',
    });
    await expect(async () => {
      for await (const _ of pager) void _;
    }).rejects.toThrow(/same next_offset twice/);
  });

  it('retries a page answered with 429 after Retry-After, losing nothing', async () => {
    const waits: number[] = [];
    nock(base)
      .get('/events')
      .query(true)
      .reply(429, { message: 'slow down', api_error_code: 'api_request_limit_exceeded' }, { 'Retry-After': '2' })
      .get('/events')
      .query(true)
      .reply(200, { list: [{ event: { id: 'ev_1' } }] });
    const http = createConnection({ label: 'test', baseUrl: base }, { sleep: async (ms) => void waits.push(ms), random: () => 0.5 });
    const entries = [];
    for await (const page of offsetTokenPager({
      http,
      path: '/events',
      query: {},
      limitParam: 'limit',
      pageSize: 100,
      offsetParam: 'offset',
      nextField: 'next_offset',
      recordsField: 'list',
    })) {
      entries.push(...page.entries);
    }
    expect(entries).toHaveLength(1);
    expect(waits).toEqual([2000]);
    expect(http.stats.throttled).toBe(1);
  });
});

describe('limitOffsetPager', () => {
  it('advances the offset by the page size and stops at count', async () => {
    const api = 'https://api.dualentry.com/public/v2';
    nock(api)
      .get('/accounts/')
      .query({ limit: '2', offset: '0' })
      .reply(200, { items: [{ n: 1 }, { n: 2 }], count: 3 })
      .get('/accounts/')
      .query({ limit: '2', offset: '2' })
      .reply(200, { items: [{ n: 3 }], count: 3 });
    const http = createConnection({ label: 'test', baseUrl: api }, noWait);
    const all = [];
    for await (const page of limitOffsetPager({
      http,
      path: '/accounts/',
      query: {},
      limitParam: 'limit',
      offsetParam: 'offset',
      pageSize: 2,
      recordsField: 'items',
      countField: 'count',
    })) {
      all.push(...page.entries);
    }
    expect(all).toHaveLength(3);
    expect(nock.isDone()).toBe(true);
  });
});

describe('topSkipPager', () => {
  const odata = 'https://erp.example/entity/Default/24.200.001';

  it('skips by the entries received and stops on a short page', async () => {
    nock(odata)
      .get('/Customer')
      .query({ $top: '2', $skip: '0', $filter: "Status eq 'Active'" })
      .reply(200, [{ id: 1 }, { id: 2 }])
      .get('/Customer')
      .query({ $top: '2', $skip: '2', $filter: "Status eq 'Active'" })
      .reply(200, [{ id: 3 }]);
    const http = createConnection({ label: 'test', baseUrl: odata }, noWait);
    const pages = [];
    for await (const page of topSkipPager({
      http,
      path: '/Customer',
      query: { $filter: "Status eq 'Active'" },
      topParam: '$top',
      skipParam: '$skip',
      pageSize: 2,
    })) {
      pages.push(page);
    }
    expect(pages.map((p) => p.entries)).toEqual([[{ id: 1 }, { id: 2 }], [{ id: 3 }]]);
    expect(pages.map((p) => p.number)).toEqual([1, 2]);
    expect(nock.isDone()).toBe(true);
  });

  it('asks once more after a full last page, and stops on the empty answer', async () => {
    nock(odata)
      .get('/Customer')
      .query({ $top: '2', $skip: '0' })
      .reply(200, [{ id: 1 }, { id: 2 }])
      .get('/Customer')
      .query({ $top: '2', $skip: '2' })
      .reply(200, []);
    const http = createConnection({ label: 'test', baseUrl: odata }, noWait);
    const sizes = [];
    for await (const page of topSkipPager({ http, path: '/Customer', query: {}, topParam: '$top', skipParam: '$skip', pageSize: 2 }))
      sizes.push(page.entries.length);
    expect(sizes).toEqual([2, 0]);
    expect(nock.isDone()).toBe(true);
  });

  it('refuses a body that is not the array of entities', async () => {
    nock(odata).get('/Customer').query(true).reply(200, { value: [] });
    const http = createConnection({ label: 'test', baseUrl: odata }, noWait);
    await expect(async () => {
      for await (const _ of topSkipPager({ http, path: '/Customer', query: {}, topParam: '$top', skipParam: '$skip', pageSize: 2 })) void _;
    }).rejects.toThrow(/expected a JSON array/);
  });
});

describe('pagesOf (the pager a descriptor names)', () => {
  it('pages limit_offset with the parameter names and page size of the descriptor, stopping at count', async () => {
    const api = 'https://api.dualentry.com/public/v2';
    nock(api)
      .get('/journal-entries/')
      .query({ search: 'ls-1', per: '2', skip: '0' })
      .reply(200, { rows: [{ n: 1 }, { n: 2 }], total: 4 })
      .get('/journal-entries/')
      .query({ search: 'ls-1', per: '2', skip: '2' })
      .reply(200, { rows: [{ n: 3 }, { n: 4 }], total: 4 });
    const http = createConnection({ label: 'test', baseUrl: api }, noWait);
    const paging = { type: 'limit_offset', limit_param: 'per', offset_param: 'skip', page_size: 2, records_field: 'rows', count_field: 'total' } as const;
    const all = [];
    for await (const page of pagesOf(paging, { http, path: '/journal-entries/', query: { search: 'ls-1' } })) all.push(...page.entries);
    expect(all).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }, { n: 4 }]);
    expect(nock.isDone()).toBe(true); // no third request: count says the list is complete
  });

  it('pages offset_token and top_skip by their own fields', async () => {
    nock(base)
      .get('/items')
      .query({ max: '1' })
      .reply(200, { data: [{ id: 'a' }], next: 't1' })
      .get('/items')
      .query({ max: '1', after: 't1' })
      .reply(200, { data: [{ id: 'b' }] });
    const http = createConnection({ label: 'test', baseUrl: base }, noWait);
    const tokenPaging = { type: 'offset_token', limit_param: 'max', page_size: 1, offset_param: 'after', next_field: 'next', records_field: 'data' } as const;
    const ids = [];
    for await (const page of pagesOf(tokenPaging, { http, path: '/items', query: {} })) ids.push(...page.entries);
    expect(ids).toEqual([{ id: 'a' }, { id: 'b' }]);
    expect(nock.isDone()).toBe(true);
  });

  it('reads a list that is not paged in one request', async () => {
    nock(base).get('/currencies').reply(200, ['USD', 'EUR']);
    const http = createConnection({ label: 'test', baseUrl: base }, noWait);
    const pages = [];
    for await (const page of pagesOf({ type: 'none' }, { http, path: '/currencies', query: {} })) pages.push(page.entries);
    expect(pages).toEqual([['USD', 'EUR']]);
  });
});
