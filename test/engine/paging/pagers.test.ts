import { afterEach, describe, expect, it } from 'vitest';
import nock from 'nock';
import { createConnection } from '../../../engine/http/connection.js';
import { limitOffsetPager, offsetTokenPager } from '../../../engine/paging/pagers.js';

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
