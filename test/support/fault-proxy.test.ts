import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFaultProxy, type FaultProxy } from './fault-proxy.js';

let received: string[] = [];
const upstream = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    received.push(`${req.method} ${req.url} ${Buffer.concat(chunks).toString('utf8')}`);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ ok: true, padding: 'p'.repeat(1000) }));
  });
});
let proxy: FaultProxy;
beforeAll(async () => {
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  proxy = await startFaultProxy(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
});
afterAll(async () => {
  await proxy.close();
  upstream.closeAllConnections();
  await new Promise((r) => upstream.close(r));
});

async function call(method: string, path: string, body?: string): Promise<{ status: number; text: string } | { error: string }> {
  try {
    const response = await fetch(`${proxy.url}${path}`, { method, ...(body === undefined ? {} : { body }) });
    return { status: response.status, text: await response.text() };
  } catch (error) {
    return { error: String((error as Error).cause ?? error) };
  }
}

describe('the fault-injecting proxy', () => {
  it('forwards untouched what no rule picks, method, path, query and body included', async () => {
    received = [];
    expect(await call('POST', '/a/b?x=1', 'hello')).toMatchObject({ status: 200, text: expect.stringContaining('"ok":true') });
    expect(received).toEqual(['POST /a/b?x=1 hello']);
  });

  it('picks requests by method, path, body and count: skip, times and every', async () => {
    proxy.clear();
    received = [];
    proxy.inject({ method: 'POST', path: /\/writes/, body: /spoil/, skip: 1, times: 4, every: 2, fault: { kind: 'status', status: 503 } });
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) {
      const r = await call('POST', '/writes', 'spoil me');
      statuses.push('status' in r ? r.status : 0);
    }
    expect(statuses).toEqual([200, 503, 200, 503, 200, 200, 200]);
    expect(await call('GET', '/writes')).toMatchObject({ status: 200 });
    expect(await call('POST', '/writes', 'leave me')).toMatchObject({ status: 200 });
    expect(received).toHaveLength(9); // a status "after forwarding" reached the vendor
  });

  it('says which requests the vendor saw: not a reset before forwarding, nor a status with forward: false', async () => {
    proxy.clear();
    received = [];
    const seen = proxy.log.length;
    proxy.inject({ fault: { kind: 'reset-before' } });
    proxy.inject({ fault: { kind: 'status', status: 502, forward: false } });
    expect(await call('GET', '/x')).toHaveProperty('error');
    expect(await call('GET', '/x')).toMatchObject({ status: 502, text: expect.stringContaining('502 Bad Gateway') });
    expect(received).toHaveLength(0);
    expect(proxy.log.slice(seen).map((r) => [r.fault, r.forwarded])).toEqual([
      ['reset-before', false],
      ['status', false],
    ]);
  });

  it('spoils answers after forwarding: HTML 200, truncated, cut mid-body, trickled, bloated', async () => {
    proxy.clear();
    for (const kind of ['html-200', 'truncate', 'reset-mid-body', 'trickle', 'bloat'] as const)
      proxy.inject({ fault: kind === 'bloat' ? { kind, bytes: 1 << 20 } : { kind } });
    const html = await call('GET', '/1');
    expect(html).toMatchObject({ status: 200, text: expect.stringMatching(/^<!DOCTYPE html>/) });
    const truncated = await call('GET', '/2');
    expect('text' in truncated && truncated.text.length).toBeLessThan(600);
    expect(await call('GET', '/3')).toHaveProperty('error');
    const trickled = await call('GET', '/4');
    expect('text' in trickled && JSON.parse(trickled.text)).toMatchObject({ ok: true });
    const bloated = await call('GET', '/5');
    expect('text' in bloated && bloated.text.length).toBeGreaterThan(1 << 20);
    expect('text' in bloated && JSON.parse(bloated.text)).toMatchObject({ ok: true });
  });
});
