import { describe, expect, it } from 'vitest';
import { backoffMs, decideRetry, defaultRetryPolicy, parseRetryAfter } from '../../../engine/http/retry.js';

const policy = { ...defaultRetryPolicy, maxAttempts: 4, baseDelayMs: 100, maxDelayMs: 1000, maxRetryAfterMs: 60_000 };
const response = (status: number, retryAfter?: string) => ({ kind: 'response' as const, status, retryAfter: retryAfter ?? null });

describe('decideRetry', () => {
  it('succeeds on 2xx', () => {
    expect(decideRetry(response(200), 1, policy, true, 0.5).action).toBe('succeed');
  });

  it('waits exactly Retry-After seconds on 429, for reads and for writes the vendor’s throttle answer refused', () => {
    const read = decideRetry(response(429, '7'), 1, policy, true, 0.5);
    const write = decideRetry({ ...response(429, '7'), vendorThrottle: true }, 1, policy, false, 0.5);
    expect(read).toMatchObject({ action: 'retry', waitMs: 7000, uncertain: false });
    expect(write).toMatchObject({ action: 'retry', waitMs: 7000, uncertain: false });
  });

  it('never repeats a write answered by a 429 that is not the vendor’s throttle answer (a gateway’s): it may have landed', () => {
    expect(decideRetry(response(429, '7'), 1, policy, false, 0.5)).toMatchObject({ action: 'fail', uncertain: true });
  });

  it('accepts Retry-After as an HTTP date', () => {
    const now = Date.parse('2026-11-22T10:00:00Z');
    expect(parseRetryAfter('Sun, 22 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(decideRetry(response(429, 'Sun, 22 Nov 2026 10:00:30 GMT'), 1, policy, true, 0, now).waitMs).toBe(30_000);
  });

  it('backs off exponentially on 429 without Retry-After', () => {
    expect(decideRetry(response(429), 1, policy, true, 0).waitMs).toBe(50);
    expect(decideRetry(response(429), 3, policy, true, 0).waitMs).toBe(200);
  });

  it('fails instead of stalling when Retry-After is beyond the bound', () => {
    const d = decideRetry(response(429, '3600'), 1, policy, true, 0.5);
    expect(d.action).toBe('fail');
    expect(d.reason).toMatch(/above the 60 s limit/);
  });

  it('retries 5xx on idempotent requests with jittered exponential backoff, bounded', () => {
    const low = decideRetry(response(502), 2, policy, true, 0);
    const high = decideRetry(response(502), 2, policy, true, 0.999);
    expect(low).toMatchObject({ action: 'retry', waitMs: 100 });
    expect(high.waitMs).toBeGreaterThan(190);
    expect(high.waitMs).toBeLessThanOrEqual(200);
    expect(decideRetry(response(502), 20, { ...policy, maxAttempts: 30 }, true, 0.999).waitMs).toBeLessThanOrEqual(1000);
  });

  it('gives up after maxAttempts', () => {
    expect(decideRetry(response(500), 4, policy, true, 0.5)).toMatchObject({ action: 'fail' });
  });

  it('never repeats a write after any 5xx (503 included), a timeout, a reset or an unreadable answer: it may have been applied', () => {
    for (const status of [500, 502, 503, 504, 408]) {
      expect(decideRetry(response(status), 1, policy, false, 0.5), `HTTP ${status}`).toMatchObject({ action: 'fail', uncertain: true });
    }
    expect(decideRetry({ kind: 'error', name: 'TimeoutError' }, 1, policy, false, 0.5)).toMatchObject({ action: 'fail', uncertain: true });
    expect(decideRetry({ kind: 'error', code: 'ECONNRESET' }, 1, policy, false, 0.5)).toMatchObject({ action: 'fail', uncertain: true });
    expect(decideRetry({ kind: 'error', code: 'UND_ERR_SOCKET' }, 1, policy, false, 0.5)).toMatchObject({ action: 'fail', uncertain: true });
    expect(decideRetry({ kind: 'unreadable', status: 200, problem: 'an HTML page' }, 1, policy, false, 0.5)).toMatchObject({
      action: 'fail',
      uncertain: true,
    });
  });

  it('retries a write that never left (connection refused, DNS)', () => {
    expect(decideRetry({ kind: 'error', code: 'ECONNREFUSED' }, 1, policy, false, 0.5)).toMatchObject({ action: 'retry', uncertain: false });
    expect(decideRetry({ kind: 'error', code: 'ENOTFOUND' }, 1, policy, false, 0.5)).toMatchObject({ action: 'retry', uncertain: false });
  });

  it('retries an unreadable 2xx body of a read like a 5xx, then fails it as not in doubt', () => {
    const garbage = { kind: 'unreadable' as const, status: 200, problem: 'a truncated or malformed JSON body' };
    expect(decideRetry(garbage, 1, policy, true, 0)).toMatchObject({ action: 'retry', waitMs: 50 });
    expect(decideRetry(garbage, 4, policy, true, 0)).toMatchObject({ action: 'fail', uncertain: false });
    expect(decideRetry(garbage, 4, policy, true, 0).reason).toMatch(/HTTP 200 with a truncated or malformed JSON body/);
  });

  it('retries resets and timeouts of reads', () => {
    expect(decideRetry({ kind: 'error', code: 'ECONNRESET' }, 1, policy, true, 0.5).action).toBe('retry');
    expect(decideRetry({ kind: 'error', code: 'UND_ERR_HEADERS_TIMEOUT' }, 1, policy, true, 0.5).action).toBe('retry');
  });

  it('fails other 4xx at once', () => {
    for (const status of [400, 401, 403, 404, 422]) {
      expect(decideRetry(response(status), 1, policy, true, 0.5)).toMatchObject({ action: 'fail', uncertain: false });
    }
  });

  it('caps a single backoff step at maxDelayMs', () => {
    expect(backoffMs(30, policy, 0.999)).toBeLessThanOrEqual(1000);
  });
});
