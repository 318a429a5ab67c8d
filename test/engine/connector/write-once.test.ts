import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeOnce } from '../../../engine/connector/write-once.js';
import { closeHttpAgent, createConnection } from '../../../engine/http/connection.js';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.js';

/** A vendor without idempotency keys: POST /things {key} creates a thing, GET /things?key= finds it; 422 for an empty key. */
async function startVendor(): Promise<{ server: Server; url: string; things: Map<string, number> }> {
  const things = new Map<string, number>();
  let next = 1;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const send = (status: number, body: unknown) => {
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(body));
      };
      if (req.method === 'POST') {
        const { key } = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { key: string };
        if (!key) return send(422, { error: 'key is required' });
        const id = next++;
        things.set(`${key}#${id}`, id);
        return send(200, { thing: { id, key } });
      }
      const key = url.searchParams.get('key');
      return send(200, { things: [...things.entries()].filter(([k]) => k.startsWith(`${key}#`)).map(([, id]) => ({ id, key })) });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, things };
}

let vendor: Awaited<ReturnType<typeof startVendor>>;
let proxy: FaultProxy;
beforeEach(async () => {
  vendor = await startVendor();
  proxy = await startFaultProxy(vendor.url);
});
afterEach(async () => {
  await proxy.close();
  vendor.server.closeAllConnections();
  await new Promise((r) => vendor.server.close(r));
  await closeHttpAgent();
});

type Thing = { id: number; key: string };
function write(key: string, maxAttempts = 3) {
  const connection = createConnection(
    { label: 'Vendor', baseUrl: proxy.url, retry: { maxAttempts, baseDelayMs: 1, maxDelayMs: 2 }, timeoutMs: 1000 },
    { sleep: async () => {}, random: () => 0 },
  );
  return writeOnce<Thing>({
    connection,
    request: { method: 'POST', path: '/things', json: { key } },
    what: `thing ${key}`,
    read: (response) => response.json<{ thing?: Thing }>().thing,
    lookUp: async () => (await connection.request({ method: 'GET', path: '/things', query: { key } })).json<{ things: Thing[] }>().things[0],
  });
}

const count = (key: string) => [...vendor.things.keys()].filter((k) => k.startsWith(`${key}#`)).length;

describe('writeOnce', () => {
  it('adopts a document whose answer was lost after it landed (503, gateway 429, HTML 200, truncated, reset, timeout), sending it once', async () => {
    const faults = [
      { kind: 'status', status: 503 },
      { kind: 'status', status: 429 },
      { kind: 'html-200' },
      { kind: 'truncate' },
      { kind: 'reset-after' },
      { kind: 'reset-mid-body' },
      { kind: 'stall' },
    ] as const;
    for (const [i, fault] of faults.entries()) {
      proxy.inject({ method: 'POST', fault });
      const written = await write(`k${i}`);
      expect(written, fault.kind).toMatchObject({ landed: 'found', sent: 1 });
      expect(count(`k${i}`), fault.kind).toBe(1);
    }
  });

  it('sends again a write that never reached the vendor, once the look-up says it is not there', async () => {
    proxy.inject({ method: 'POST', fault: { kind: 'reset-before' } });
    proxy.inject({ method: 'POST', fault: { kind: 'status', status: 503, forward: false } });
    const written = await write('a', 3);
    expect(written).toMatchObject({ landed: 'answered', sent: 3 });
    expect(count('a')).toBe(1);
    expect(proxy.log.map((r) => `${r.method} ${r.forwarded}`)).toEqual(['POST false', 'GET true', 'POST false', 'GET true', 'POST true']);
  });

  it('gives up in doubt, never in silence: a write still unconfirmed after the retry policy throws with mayHaveSucceeded', async () => {
    proxy.inject({ method: 'POST', times: Infinity, fault: { kind: 'status', status: 502, forward: false } });
    await expect(write('b', 2)).rejects.toMatchObject({ mayHaveSucceeded: true, kind: 'transient', message: /thing b is still in doubt after 2 attempts/ });
    proxy.clear();
    proxy.inject({ method: 'POST', fault: { kind: 'status', status: 502 } });
    proxy.inject({ method: 'GET', times: Infinity, fault: { kind: 'status', status: 500 } });
    await expect(write('c', 2)).rejects.toMatchObject({ mayHaveSucceeded: true, message: /thing c may have landed .* and looking it up failed/ });
  });

  it('throws a refusal at once, without a look-up', async () => {
    await expect(write('')).rejects.toMatchObject({ code: 'http_422', mayHaveSucceeded: false });
    expect(proxy.log).toHaveLength(1);
  });
});
