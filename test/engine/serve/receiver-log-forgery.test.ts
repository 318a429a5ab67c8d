/**
 * `POST /webhooks/<name>` logs a refusal before it knows the sender: a name that is not a served
 * pipeline (anyone who reaches the port chooses it) is logged JSON-quoted and cut short, and the
 * text logger keeps every entry to one line, so a URL-encoded line break cannot forge a log line.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, expect, it } from 'vitest';
import type { WebhookReceiver } from '../../../engine/connector/webhook.js';
import { createLogger } from '../../../engine/log.js';
import { createWebhookServer } from '../../../engine/serve/receiver.js';

const SECRET = 'forgery-secret-0c4e8a2b';
const FORGED = 'ERROR [ledgersync:run] forged: run failed, exit 3';
const receiver: WebhookReceiver = { deliveryOf: () => ({ eventId: 'ev_1' }) };

let server: Server;
let base: string;
let written: string[];

beforeEach(async () => {
  written = [];
  server = createWebhookServer({
    secret: SECRET,
    pipelines: new Map([['acme', receiver]]),
    enqueue: () => 'queued',
    queued: () => undefined,
    accepting: () => true,
    health: () => ({ healthy: true, body: {} }),
    log: createLogger({ write: (line) => void written.push(line) }, 'ledgersync:serve'),
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const logLines = () => written.join('\n').split('\n');

it('a refused delivery to a name holding line breaks is one log line, the name quoted', async () => {
  const path = `/webhooks/acme${encodeURIComponent(`\n${FORGED}\r\n`)}`;
  const answer = await fetch(base + path, { method: 'POST', body: '{}' });
  expect(answer.status).toBe(401);
  expect(logLines()).toEqual([
    `WARN [ledgersync:serve] refused a delivery to /webhooks/"acme\\n${FORGED}\\r\\n" from 127.0.0.1: no or a wrong secret (401); nothing stored`,
  ]);
});

it('an unknown name is cut to 80 characters in the log', async () => {
  const answer = await fetch(`${base}/webhooks/${'x'.repeat(500)}`, { method: 'POST', body: '{}' });
  expect(answer.status).toBe(401);
  expect(logLines()).toEqual([
    `WARN [ledgersync:serve] refused a delivery to /webhooks/"${'x'.repeat(80)}…" from 127.0.0.1: no or a wrong secret (401); nothing stored`,
  ]);
});

it('a served pipeline is named as it is', async () => {
  const answer = await fetch(`${base}/webhooks/acme`, { method: 'POST', body: '{}' });
  expect(answer.status).toBe(401);
  expect(logLines()).toEqual(['WARN [ledgersync:serve] refused a delivery to /webhooks/acme from 127.0.0.1: no or a wrong secret (401); nothing stored']);
});

it('with the secret, an unknown name is refused 404 and logged quoted on one line', async () => {
  const answer = await fetch(`${base}/webhooks/${encodeURIComponent(`nope\n${FORGED}`)}?token=${SECRET}`, { method: 'POST', body: '{}' });
  expect(answer.status).toBe(404);
  expect(logLines()).toEqual([`WARN [ledgersync:serve] refused a delivery from 127.0.0.1: no pipeline named "nope\\n${FORGED}" is served here (404)`]);
});
