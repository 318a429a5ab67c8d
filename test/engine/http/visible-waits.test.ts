import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createConnection } from '../../../engine/http/connection.js';
import { SlidingWindowLimiter } from '../../../engine/http/sliding-window.js';
import { formatRate, formatWait } from '../../../engine/http/wait.js';
import { createLogger } from '../../../engine/log.js';

function capture() {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: 'info', write: (line) => lines.push(line) }, 'test') };
}

/** A clock that only moves when someone sleeps on it. */
function fakeClock(start = 1_000_000) {
  let now = start;
  const slept: number[] = [];
  return {
    now: () => now,
    slept,
    sleep: async (ms: number) => {
      slept.push(ms);
      now += ms;
    },
  };
}

let server: Server | undefined;
afterEach(async () => {
  if (server) await new Promise((resolve) => server!.close(resolve));
  server = undefined;
});

async function serve(answers: Array<{ status: number; headers?: Record<string, string> }>): Promise<string> {
  let n = 0;
  server = createServer((_req, res) => {
    const answer = answers[Math.min(n++, answers.length - 1)]!;
    res.writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers }).end('{}');
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

describe('a rate-limit wait', () => {
  it('of 60 s prints what is waited on and for how long', async () => {
    const clock = fakeClock();
    const { lines, log } = capture();
    const limiter = new SlidingWindowLimiter(40, 60_000, {
      now: clock.now,
      sleep: clock.sleep,
      log,
      reason: `QuickBooks Online allows ${formatRate(40, 60, 'batch requests')}`,
    });
    for (let i = 0; i < 40; i++) await limiter.run(async () => i);
    expect(lines).toEqual([]);
    await limiter.run(async () => 'the 41st');
    expect(clock.slept).toEqual([60_001]);
    expect(lines).toEqual(['[test] waiting 60 s: QuickBooks Online allows 40 batch requests a minute']);
  });

  it('of 2 s or less says nothing', async () => {
    const clock = fakeClock();
    const { lines, log } = capture();
    const limiter = new SlidingWindowLimiter(2, 1500, { now: clock.now, sleep: clock.sleep, log, reason: 'x' });
    for (let i = 0; i < 6; i++) await limiter.run(async () => i);
    expect(clock.slept.length).toBeGreaterThan(0);
    expect(lines).toEqual([]);
  });

  it("of a connection's own limit names the connection and its limit", async () => {
    const url = await serve([{ status: 200 }]);
    const { lines, log } = capture();
    const http = createConnection(
      { label: 'Chargebee site acme', baseUrl: url, rateLimit: { requests: 1, perSeconds: 3, concurrency: 1 } },
      { sleep: async () => {}, random: () => 0.5, log },
    );
    await http.request({ method: 'GET', path: 'customers' });
    // The no-wait sleep returns at once, so the limiter asks again until the real clock frees the slot.
    const second = http.request({ method: 'GET', path: 'customers' });
    await new Promise((r) => setTimeout(r, 50));
    expect(lines[0]).toMatch(/^\[test\] waiting 3 s: Chargebee site acme allows 1 requests every 3 s/);
    await second;
  }, 10_000);
});

describe('a retry', () => {
  it('after 429 with Retry-After 38 prints the wait, the attempt and the cause at info level', async () => {
    const url = await serve([{ status: 429, headers: { 'retry-after': '38' } }, { status: 200 }]);
    const { lines, log } = capture();
    const waits: number[] = [];
    const http = createConnection(
      { label: 'QuickBooks Online company 123', baseUrl: url },
      { sleep: async (ms) => void waits.push(ms), random: () => 0.5, log },
    );
    const response = await http.request({ method: 'POST', path: 'batch', json: {}, idempotent: true });
    expect(response.status).toBe(200);
    expect(waits).toEqual([38_000]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\[test\] waiting 38 s: QuickBooks Online company 123 POST batch, attempt 1 of 6 failed: HTTP 429 rate limited, Retry-After 38 s$/,
    );
  });

  it('carries the attempt, the cause and the wait as fields in JSON logs', async () => {
    const url = await serve([{ status: 503 }, { status: 200 }]);
    const lines: string[] = [];
    const log = createLogger({ json: true, level: 'info', write: (line) => lines.push(line) }, 'test');
    const http = createConnection({ label: 'Chargebee site acme', baseUrl: url }, { sleep: async () => {}, random: () => 0.5, log });
    await http.request({ method: 'GET', path: 'invoices' });
    expect(lines.map((l) => JSON.parse(l) as Record<string, unknown>)).toEqual([
      {
        time: expect.any(String),
        level: 'info',
        scope: 'test',
        message: 'Chargebee site acme: GET invoices attempt 1 of 6 failed (HTTP 503); retrying in 0.4 s',
        attempt: 1,
        max_attempts: 6,
        cause: 'HTTP 503',
        wait_ms: 375,
      },
    ]);
  });

  it('of a refused connection prints every attempt, so a long back-off is never silent', async () => {
    const url = await serve([{ status: 200 }]);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    const { lines, log } = capture();
    const http = createConnection({ label: 'Chargebee site acme', baseUrl: url, retry: { maxAttempts: 3 } }, { sleep: async () => {}, random: () => 0.5, log });
    await expect(http.request({ method: 'GET', path: 'customers' })).rejects.toMatchObject({ code: 'connection_failed' });
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^\[test\] Chargebee site acme: GET customers attempt 1 of 3 failed \(ECONNREFUSED.*\); retrying in 0\.4 s/);
    expect(lines[1]).toMatch(/attempt 2 of 3 failed \(ECONNREFUSED/);
  });
});

describe('formatWait', () => {
  it('reads as a person says it', () => {
    expect(formatWait(1500)).toBe('1.5 s');
    expect(formatWait(38_000)).toBe('38 s');
    expect(formatWait(125_000)).toBe('2 min 5 s');
  });
});
