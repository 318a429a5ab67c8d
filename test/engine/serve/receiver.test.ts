/**
 * The webhook receiver alone, in process: the secret, the size limit, the JSON, the durable queue
 * before the answer, `/healthz`, and what is refused while stopping. No connector is involved: a
 * receiver that reads `{id}` stands in for Chargebee's.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { WebhookReceiver } from '../../../engine/connector/webhook.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { createLogger, redact } from '../../../engine/log.js';
import { MAX_BODY_BYTES, createWebhookServer } from '../../../engine/serve/receiver.js';
import { carriesSecret, webhookSecretOf } from '../../../engine/serve/secret.js';
import { StateStore } from '../../../engine/state/store.js';

const SECRET = 'receiver-secret-4b1d9e7a';
const P = 'acme';

const receiver: WebhookReceiver = {
  deliveryOf: (body) => {
    const id = (body as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? { eventId: id } : { refused: 'no id' };
  },
};

let dir: string;
let state: StateStore;
let server: Server;
let base: string;
let accepting: boolean;
let woken: string[];
let logged: string[];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ls-receiver-'));
  state = StateStore.open(join(dir, 'state.db'));
  accepting = true;
  woken = [];
  logged = [];
  server = createWebhookServer({
    secret: SECRET,
    pipelines: new Map([[P, receiver]]),
    enqueue: (pipeline, id, type) => state.webhooks.enqueue(pipeline, id, type, Date.now()),
    queued: (pipeline) => woken.push(pipeline),
    accepting: () => accepting,
    health: () => ({ healthy: accepting, body: { status: accepting ? 'ok' : 'draining', queued: state.webhooks.counts(P).queued } }),
    log: createLogger({ write: (line) => logged.push(line) }),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  state.close();
  rmSync(dir, { recursive: true, force: true });
});

const basicAuth = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function post(path: string, body: string, headers: Record<string, string> = { authorization: basicAuth('chargebee', SECRET) }) {
  const response = await fetch(base + path, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  return { status: response.status, body: (await response.json()) as Record<string, unknown>, headers: response.headers };
}

const event = (id: string) => JSON.stringify({ id, event_type: 'invoice_generated' });

describe('webhook receiver', () => {
  it('stores the event before it answers 200, and wakes the worker once per new event', async () => {
    const started = Date.now();
    const answer = await post(`/webhooks/${P}`, event('ev_1'));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(answer).toMatchObject({ status: 200, body: { status: 'queued', event_id: 'ev_1' } });
    expect(state.webhooks.get(P, 'ev_1')).toMatchObject({ status: 'queued', deliveries: 1 });
    expect((await post(`/webhooks/${P}`, event('ev_1'))).body).toEqual({ status: 'duplicate', event_id: 'ev_1' });
    expect(woken).toEqual([P]);
  });

  it('takes the secret as the Basic password with any user name, or as ?token=', async () => {
    expect((await post(`/webhooks/${P}`, event('ev_a'), { authorization: basicAuth('anyone', SECRET) })).status).toBe(200);
    expect((await post(`/webhooks/${P}`, event('ev_b'), { authorization: basicAuth('', SECRET) })).status).toBe(200);
    expect((await post(`/webhooks/${P}?token=${SECRET}`, event('ev_c'), {})).status).toBe(200);
    expect((await post(`/webhooks/${P}/?token=${encodeURIComponent(SECRET)}`, event('ev_d'), {})).status).toBe(200);
    expect(state.webhooks.all(P)).toHaveLength(4);
  });

  it('refuses a missing or wrong secret with 401 and stores nothing, without printing what was sent', async () => {
    const guesses: Array<[string, Record<string, string>]> = [
      ['', {}],
      ['', { authorization: basicAuth('chargebee', 'wrong') }],
      ['', { authorization: basicAuth('chargebee', SECRET.slice(0, -1)) }],
      ['', { authorization: basicAuth('chargebee', `${SECRET} `) }],
      ['', { authorization: basicAuth(SECRET, '') }],
      ['', { authorization: `Bearer ${SECRET}` }],
      ['?token=guess-7781', {}],
      [`?token=${SECRET.toUpperCase()}`, {}],
    ];
    for (const [query, headers] of guesses) {
      const answer = await post(`/webhooks/${P}${query}`, event('ev_x'), headers);
      expect(answer.status, JSON.stringify([query, headers])).toBe(401);
      expect(answer.headers.get('www-authenticate')).toMatch(/^Basic realm=/);
    }
    expect(state.webhooks.all(P)).toEqual([]);
    // Unknown pipelines are not revealed before the secret is checked.
    expect((await post('/webhooks/nope', event('ev_x'), {})).status).toBe(401);
    expect(logged.join('\n')).toMatch(/no or a wrong secret \(401\)/);
    expect(logged.join('\n')).not.toContain('guess-7781');
    expect(logged.join('\n')).not.toContain(SECRET);
  });

  it('compares secrets whatever their length, and only in full', () => {
    const url = (q: string) => new URL(`http://x/webhooks/p${q}`);
    expect(carriesSecret(undefined, url(''), SECRET)).toBe(false);
    expect(carriesSecret(basicAuth('u', SECRET), url(''), SECRET)).toBe(true);
    expect(carriesSecret(basicAuth('u', 'x'.repeat(10_000)), url(''), SECRET)).toBe(false);
    expect(carriesSecret(undefined, url(`?token=a&token=${SECRET}`), SECRET)).toBe(true);
    expect(carriesSecret('Basic !!!', url(''), SECRET)).toBe(false);
  });

  it('refuses bodies over 1 MiB with 413, announced or streamed, and takes one of exactly 1 MiB', async () => {
    const padded = (size: number) => {
      const head = '{"id":"ev_big","pad":"';
      return head + 'x'.repeat(size - head.length - 2) + '"}';
    };
    expect(Buffer.byteLength(padded(MAX_BODY_BYTES))).toBe(MAX_BODY_BYTES);
    expect((await post(`/webhooks/${P}`, padded(MAX_BODY_BYTES))).status).toBe(200);
    expect((await post(`/webhooks/${P}`, padded(MAX_BODY_BYTES + 1).replace('ev_big', 'ev_big2'))).status).toBe(413);
    // Chunked, without a content-length: counted as it arrives.
    const streamed = await new Promise<number>((resolve, reject) => {
      const req = httpRequest(
        `${base}/webhooks/${P}`,
        { method: 'POST', headers: { authorization: basicAuth('c', SECRET), 'transfer-encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const chunk = 'x'.repeat(64 * 1024);
      for (let i = 0; i < 17; i++) req.write(chunk);
      req.end();
    });
    expect(streamed).toBe(413);
    expect(state.webhooks.all(P).map((e) => e.eventId)).toEqual(['ev_big']);
  });

  it('refuses malformed JSON and bodies that are not an event with 400, a GET with 405, an unknown pipeline with 404', async () => {
    expect((await post(`/webhooks/${P}`, '{"id": ')).status).toBe(400);
    expect((await post(`/webhooks/${P}`, '[]')).status).toBe(400);
    expect((await post(`/webhooks/${P}`, '{"event": {"id": "ev_1"}}')).body).toEqual({ error: 'no id' });
    expect((await fetch(`${base}/webhooks/${P}`)).status).toBe(405);
    expect((await post('/webhooks/other', event('ev_1'))).status).toBe(404);
    expect((await post('/elsewhere', event('ev_1'))).status).toBe(404);
    expect(state.webhooks.all(P)).toEqual([]);
  });

  it('answers /healthz, and 503 to deliveries while stopping so that the sender retries', async () => {
    await post(`/webhooks/${P}`, event('ev_1'));
    const health = await fetch(`${base}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok', queued: 1 });
    accepting = false;
    const refused = await post(`/webhooks/${P}`, event('ev_2'));
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('30');
    expect((await fetch(`${base}/healthz`)).status).toBe(503);
    expect(state.webhooks.all(P).map((e) => e.eventId)).toEqual(['ev_1']);
  });

  it('answers 503 when the state file cannot take the event, so it is delivered again', async () => {
    state.close();
    const answer = await post(`/webhooks/${P}`, event('ev_1'));
    expect(answer.status).toBe(503);
    state = StateStore.open(join(dir, 'state.db'));
  });
});

describe('LEDGERSYNC_WEBHOOK_SECRET', () => {
  it('is required, at least 16 characters, and masked once read', () => {
    expect(() => webhookSecretOf({})).toThrow(LedgersyncError);
    expect(() => webhookSecretOf({ LEDGERSYNC_WEBHOOK_SECRET: 'short' })).toThrow(/shorter than 16 characters/);
    const secret = 'a-long-enough-secret-9c1';
    expect(webhookSecretOf({ LEDGERSYNC_WEBHOOK_SECRET: secret })).toBe(secret);
    expect(redact(`token=${secret}`)).toBe('token=***');
  });
});

describe('webhook receiver handing events to a job queue (PostgreSQL state)', () => {
  it('hands every stored event off before the answer, new or delivered again; a refused hand-off is 503 with the event kept', async () => {
    const handedOff: string[] = [];
    let queueDown = true;
    const queueing = createWebhookServer({
      secret: SECRET,
      pipelines: new Map([[P, receiver]]),
      enqueue: (pipeline, id, type) => state.webhooks.enqueue(pipeline, id, type, Date.now()),
      queued: () => undefined,
      handOff: async (pipeline, id, _type, stored) => {
        if (queueDown) throw new Error('queue unreachable');
        handedOff.push(`${pipeline}/${id}/${stored}`);
      },
      accepting: () => true,
      health: () => ({ healthy: true, body: {} }),
      log: createLogger({ write: (line) => logged.push(line) }),
    });
    await new Promise<void>((resolve) => queueing.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(queueing.address() as AddressInfo).port}/webhooks/${P}`;
    const send = async () => {
      const response = await fetch(url, { method: 'POST', headers: { authorization: basicAuth('chargebee', SECRET) }, body: event('ev_q') });
      return { status: response.status, body: (await response.json()) as Record<string, unknown>, retryAfter: response.headers.get('retry-after') };
    };
    try {
      expect(await send()).toEqual({ status: 503, body: { error: 'the event could not be queued: deliver again later' }, retryAfter: '10' });
      expect(state.webhooks.get(P, 'ev_q')).toMatchObject({ status: 'queued', deliveries: 1 });
      expect(logged.join('\n')).toMatch(/ev_q is stored but could not be queued as a job: queue unreachable/);
      queueDown = false;
      // Chargebee delivers it again: a duplicate for the store, handed off this time.
      expect(await send()).toMatchObject({ status: 200, body: { status: 'duplicate', event_id: 'ev_q' } });
      expect(handedOff).toEqual([`${P}/ev_q/duplicate`]);
    } finally {
      queueing.closeAllConnections();
      await new Promise((resolve) => queueing.close(resolve));
    }
  });
});
