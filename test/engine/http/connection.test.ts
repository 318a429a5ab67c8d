import { afterEach, describe, expect, it } from 'vitest';
import nock from 'nock';
import { createConnection } from '../../../engine/http/connection.js';

const noWait = { sleep: async () => {}, random: () => 0.5 };

afterEach(() => {
  nock.cleanAll();
});

describe('the connection timeout', () => {
  it('counts from the moment a request is sent, not while it waits for a rate-limit slot', async () => {
    const api = 'https://throttled.example.com';
    nock(api).post('/writes').times(3).reply(200, { ok: true });
    const http = createConnection({ label: 'test', baseUrl: api, rateLimit: { requests: 1, perSeconds: 0.4, concurrency: 1 }, timeoutMs: 250 }, noWait);
    const started = Date.now();
    const results = await Promise.all([1, 2, 3].map(() => http.request({ method: 'POST', path: '/writes', json: {} })));
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(Date.now() - started).toBeGreaterThanOrEqual(800);
  });
});
