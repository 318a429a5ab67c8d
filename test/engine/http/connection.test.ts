import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import nock from 'nock';
import { closeHttpAgent, createConnection, type ConnectionOptions } from '../../../engine/http/connection.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { exitCodeFor } from '../../../engine/exit-codes.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';

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

/** A vendor that counts what reached it and answers `{"n": <count>}`, behind the fault proxy. */
async function vendorBehindProxy(): Promise<{ proxy: FaultProxy; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      received++;
      const body = JSON.stringify({ n: received, padding: 'x'.repeat(200) });
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const proxy = await startFaultProxy(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  return {
    proxy,
    received: () => received,
    async close() {
      await proxy.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

describe('what a connection makes of lost, spoiled and garbage answers', () => {
  let vendor: Awaited<ReturnType<typeof vendorBehindProxy>>;
  beforeEach(async () => {
    vendor = await vendorBehindProxy();
  });
  afterEach(async () => {
    await vendor.close();
    await closeHttpAgent();
  });
  const connect = (extra: Partial<ConnectionOptions> = {}) =>
    createConnection({ label: 'Test vendor', baseUrl: vendor.proxy.url, retry: { maxAttempts: 3, baseDelayMs: 1, maxDelayMs: 5 }, ...extra }, noWait);

  it('a write answered 503 after the vendor took it is uncertain, never sent again blindly', async () => {
    vendor.proxy.inject({ method: 'POST', fault: { kind: 'status', status: 503 } });
    const result = await connect().send({ method: 'POST', path: '/things', json: {} });
    expect(result.outcome).toBe('uncertain');
    expect(vendor.received()).toBe(1);
    vendor.proxy.inject({ method: 'POST', fault: { kind: 'status', status: 503 } });
    await expect(connect().request({ method: 'POST', path: '/things', json: {} })).rejects.toMatchObject({ mayHaveSucceeded: true, kind: 'transient' });
  });

  it('a write refused by the vendor’s documented throttle answer is sent again after the wait; a gateway’s 429 is not', async () => {
    const throttleAnswers = [{ status: 429, bodyPattern: /api_request_limit_exceeded/ }];
    vendor.proxy.inject({
      method: 'POST',
      fault: { kind: 'status', status: 429, forward: false, body: '{"api_error_code":"api_request_limit_exceeded"}', contentType: 'application/json' },
    });
    const refused = await connect({ throttleAnswers }).send({ method: 'POST', path: '/things', json: {} });
    expect(refused).toMatchObject({ outcome: 'answered' });
    expect(vendor.received()).toBe(1);
    vendor.proxy.inject({ method: 'POST', fault: { kind: 'status', status: 429 } });
    expect((await connect({ throttleAnswers }).send({ method: 'POST', path: '/things', json: {} })).outcome).toBe('uncertain');
    expect(vendor.received()).toBe(2);
  });

  it('a read answered with an HTML page or a truncated body is retried like a 5xx', async () => {
    vendor.proxy.inject({ method: 'GET', fault: { kind: 'html-200' } });
    vendor.proxy.inject({ method: 'GET', fault: { kind: 'truncate' } });
    const response = await connect().request({ method: 'GET', path: '/things' });
    expect(response.json()).toMatchObject({ n: 3 });
  });

  it('garbage that persists is reported as transient, naming the system, the content type and the first bytes', async () => {
    vendor.proxy.inject({ method: 'GET', times: Infinity, fault: { kind: 'html-200' } });
    const error = await connect()
      .request({ method: 'GET', path: '/things' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgersyncError);
    expect(error).toMatchObject({ code: 'unreadable_response', kind: 'transient', mayHaveSucceeded: false });
    expect((error as LedgersyncError).message).toMatch(
      /^Test vendor: GET \/things answered HTTP 200 with an HTML page \(text\/html; charset=utf-8, \d+ bytes, starting "<!DOCTYPE html>\\n<html><head><title>Maintenance/,
    );
    expect(exitCodeFor({ error: error as LedgersyncError })).toBe(3);
  });

  it('a write whose answer is truncated, cut mid-body or reset is uncertain; one reset before it left is uncertain too (the client cannot tell)', async () => {
    for (const kind of ['truncate', 'reset-mid-body', 'reset-after', 'reset-before'] as const) {
      vendor.proxy.inject({ method: 'POST', fault: { kind } });
      const result = await connect().send({ method: 'POST', path: '/things', json: {} });
      expect(result.outcome, kind).toBe('uncertain');
      if (result.outcome === 'uncertain') expect(result.error.code, kind).toBe(kind === 'truncate' ? 'unreadable_response' : 'connection_failed');
    }
    expect(vendor.received()).toBe(3);
  });

  it('a write whose answer never comes (the client times out) is uncertain; a read is retried', async () => {
    vendor.proxy.inject({ method: 'POST', fault: { kind: 'stall' } });
    const result = await connect({ timeoutMs: 300 }).send({ method: 'POST', path: '/things', json: {} });
    expect(result).toMatchObject({ outcome: 'uncertain', error: { code: 'connection_failed', mayHaveSucceeded: true } });
    vendor.proxy.inject({ method: 'GET', fault: { kind: 'stall' } });
    expect((await connect({ timeoutMs: 300 }).request({ method: 'GET', path: '/things' })).json()).toMatchObject({ n: 3 });
  });

  it('reads a trickled or bloated answer whole, and refuses one above the size it reads', async () => {
    vendor.proxy.inject({ method: 'GET', fault: { kind: 'trickle', pieces: 10, delayMs: 10 } });
    expect((await connect().request({ method: 'GET', path: '/things' })).json()).toMatchObject({ n: 1 });
    vendor.proxy.inject({ method: 'GET', fault: { kind: 'bloat', bytes: 4 * 1024 * 1024 } });
    expect((await connect().request({ method: 'GET', path: '/things' })).json()).toMatchObject({ n: 2 });
    vendor.proxy.inject({ method: 'GET', times: Infinity, fault: { kind: 'bloat', bytes: 64 * 1024 } });
    await expect(connect({ maxResponseBytes: 32 * 1024 }).request({ method: 'GET', path: '/things' })).rejects.toThrow(
      /with a body larger than the 32768 bytes this connection reads/,
    );
  });

  it('a connector’s parseBody hook decides what a non-JSON body must be', async () => {
    const http = connect({
      hooks: {
        parseBody: (response) => {
          if (!response.text.startsWith('<response>')) throw new Error('not a <response> document');
          return 'parsed';
        },
      },
    });
    const error = await http.send({
      method: 'POST',
      path: '/things',
      body: '<request/>',
      contentType: 'application/xml',
      headers: { accept: 'application/xml' },
    });
    expect(error).toMatchObject({ outcome: 'uncertain', error: { code: 'unreadable_response' } });
  });
});
