/**
 * A connection's `timeoutMs` is the one limit on waiting for an answer: Intacct's and Acumatica's
 * descriptors give an attempt 120 s, and nothing shared by every connection may cut that shorter.
 * The clocks of undici and of the slow server are faked, so a minute passes in milliseconds; the
 * attempt's own deadline (AbortSignal.timeout) runs on Node's internal timers and stays real.
 * undici keeps one ticking timer for the whole process, so the clock is faked once for the file.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, expect, it, vi } from 'vitest';
import { closeHttpAgent, createConnection, type HttpConnection } from '../../../engine/http/connection.js';

let server: Server | undefined;
beforeAll(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
});
afterAll(() => {
  vi.useRealTimers();
});
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
  server = undefined;
  await closeHttpAgent();
});

/** A server that answers each request `answerAfterMs` (on the faked clock) after it arrived, with a body sent in two parts `bodyPauseMs` apart. */
async function slowServer(answerAfterMs: number, bodyPauseMs = 0): Promise<{ url: string; received: () => number }> {
  let received = 0;
  server = createServer((req, res) => {
    req.resume();
    received++;
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"ok":');
      setTimeout(() => res.end('true}'), bodyPauseMs);
    }, answerAfterMs);
  });
  await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, received: () => received };
}

/** Sends one POST and moves the faked clock `elapseMs` ahead once the server holds it. */
async function sendWhileTimePasses(http: HttpConnection, received: () => number, elapseMs: number) {
  const sent = http.send({ method: 'POST', path: '/slow', json: {}, idempotent: true });
  while (received() === 0) await new Promise((r) => setImmediate(r));
  for (let elapsed = 0; elapsed < elapseMs; elapsed += 500) await vi.advanceTimersByTimeAsync(500);
  return sent;
}

const connect = (url: string) =>
  createConnection({ label: 'Slow vendor', baseUrl: url, timeoutMs: 120_000, retry: { maxAttempts: 1 } }, { sleep: async () => {}, random: () => 0.5 });

it('an answer whose headers come 65 s after the request is taken, within a 120 s timeout_ms', async () => {
  const { url, received } = await slowServer(65_000);
  const result = await sendWhileTimePasses(connect(url), received, 66_000);
  expect({ outcome: result.outcome, received: received(), error: result.outcome === 'answered' ? undefined : result.error.message }).toEqual({
    outcome: 'answered',
    received: 1,
    error: undefined,
  });
});

it('an answer whose body pauses 125 s, after its headers, is read when timeout_ms allows it', async () => {
  const { url, received } = await slowServer(0, 125_000);
  const http = createConnection(
    { label: 'Slow vendor', baseUrl: url, timeoutMs: 300_000, retry: { maxAttempts: 1 } },
    { sleep: async () => {}, random: () => 0.5 },
  );
  const result = await sendWhileTimePasses(http, received, 126_000);
  expect({ outcome: result.outcome, received: received(), error: result.outcome === 'answered' ? undefined : result.error.message }).toEqual({
    outcome: 'answered',
    received: 1,
    error: undefined,
  });
});

it('the attempt’s own deadline still ends an answer that does not come in time', async () => {
  const { url, received } = await slowServer(65_000);
  const http = createConnection(
    { label: 'Slow vendor', baseUrl: url, timeoutMs: 300, retry: { maxAttempts: 1 } },
    { sleep: async () => {}, random: () => 0.5 },
  );
  const result = await http.send({ method: 'POST', path: '/slow', json: {}, idempotent: true });
  expect({ outcome: result.outcome, received: received() }).toEqual({ outcome: 'failed', received: 1 });
  expect(result.outcome !== 'answered' && result.error.message).toMatch(/failed: TimeoutError still after 1 attempts/);
});
