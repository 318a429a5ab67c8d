import { getEventListeners } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnection } from '../../../engine/http/connection.js';
import { sleep } from '../../../engine/http/wait.js';
import { SlidingWindowLimiter } from '../../../engine/http/sliding-window.js';

let server: Server;
let baseUrl: string;
let served = 0;

beforeAll(async () => {
  // Every 25th request is refused once with 503, so retries (and their sleeps) happen all along the run.
  server = createServer((_req, res) => {
    served++;
    if (served % 25 === 0) {
      res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"busy"}');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

describe('abort listeners on the run signal', () => {
  it('stay bounded over 10,000 requests with rate-limit waits and retries under one signal', async () => {
    const run = new AbortController();
    const warnings: string[] = [];
    const onWarning = (warning: Error) => warnings.push(warning.name);
    process.on('warning', onWarning);
    const http = createConnection(
      {
        label: 'local',
        baseUrl,
        // A window small enough that the limiter waits many times during the run.
        rateLimit: { requests: 100, perSeconds: 0.05, concurrency: 8 },
        retry: { baseDelayMs: 1, maxDelayMs: 2 },
      },
      { sleep, random: Math.random, signal: run.signal },
    );
    let peak = 0;
    let done = 0;
    const worker = async () => {
      while (done < 10_000) {
        done++;
        const response = await http.request({ method: 'GET', path: '/items' });
        expect(response.status).toBe(200);
        peak = Math.max(peak, getEventListeners(run.signal, 'abort').length);
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    process.off('warning', onWarning);
    expect(http.stats.requests).toBeGreaterThanOrEqual(10_000);
    expect(http.stats.retries).toBeGreaterThan(300);
    // One listener per request or wait in flight at most, never one per request made.
    expect(peak).toBeLessThanOrEqual(16);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    expect(warnings).not.toContain('MaxListenersExceededWarning');
  }, 120_000);

  it('sleep rejects with the signal reason and leaves no listener', async () => {
    const run = new AbortController();
    for (let i = 0; i < 100; i++) await sleep(0, run.signal);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
    const waiting = sleep(60_000, run.signal);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
    const reason = new Error('stopped');
    run.abort(reason);
    await expect(waiting).rejects.toBe(reason);
    await expect(sleep(10, run.signal)).rejects.toBe(reason);
  });

  it('a sliding window waiting under the signal removes its listener when the wait ends', async () => {
    const run = new AbortController();
    const limiter = new SlidingWindowLimiter(2, 20);
    for (let i = 0; i < 50; i++) await limiter.run(async () => i, run.signal);
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(0);
  });
});
