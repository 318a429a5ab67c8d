/**
 * A create whose answer was lost (acumatica_create_unconfirmed) leaves the record pending: the
 * document may land in Acumatica after the run. Chargebee voiding the invoice before the next run must
 * not clear that: the void is looked up, and the document that landed is reported to be reversed.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

let s: Sandbox;
let gateway: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => (gateway ? gateway.close(() => resolve()) : resolve()));
  gateway = undefined;
  await s.close();
});

/** The create of the invoice `order` is answered 504 at once and reaches the tenant `lateMs` later. */
async function lateGateway(target: URL, order: string, lateMs: number): Promise<{ url: string; spoiled: () => boolean }> {
  let spoiled = false;
  const forward = (req: IncomingMessage, body: Buffer) =>
    new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const headers: Record<string, string | string[] | undefined> = { ...req.headers, host: target.host, 'content-length': String(body.length) };
      delete headers['connection'];
      const upstream = httpRequest({ hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 502, headers: res.headers, body: Buffer.concat(chunks) }));
      });
      upstream.on('error', reject);
      upstream.end(body);
    });
  gateway = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const text = body.toString('utf8');
    if (!spoiled && req.method === 'PUT' && /\/Invoice(\?|$)/.test(req.url ?? '') && text.includes(`"CustomerOrder":{"value":"${order}"}`)) {
      spoiled = true;
      res.writeHead(504, { 'content-type': 'text/html' });
      res.end('<html><body><h1>504 Gateway Time-out</h1></body></html>');
      setTimeout(() => void forward(req, body).catch(() => {}), lateMs);
      return;
    }
    try {
      const answer = await forward(req, body);
      const headers = { ...answer.headers };
      delete headers['transfer-encoding'];
      delete headers['connection'];
      res.writeHead(answer.status, { ...headers, 'content-length': String(answer.body.length) });
      res.end(answer.body);
    } catch {
      res.socket?.destroy();
    }
  });
  await new Promise<void>((resolve) => gateway!.listen(0, '127.0.0.1', () => resolve()));
  const port = (gateway.address() as AddressInfo).port;
  return { url: `http://127.0.0.1:${port}${target.pathname === '/' ? '' : target.pathname}`, spoiled: () => spoiled };
}

function invoiceLetters() {
  const store = StateStore.open(s.statePath);
  try {
    return store.deadLetters('chargebee-to-acumatica', 'invoices').map((l) => [l.sourceId, l.errorCode]);
  } finally {
    store.close();
  }
}

describe('Acumatica: an invoice voided while its create is unconfirmed (pending)', () => {
  it('is not skipped: the document that landed is reported (acumatica_cannot_void), not left open silently', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    // An unpaid invoice nothing else refers to, as in voided.test.ts.
    const invoice = s.cb.state
      .all('invoices')
      .find(
        (i) =>
          !i.deleted &&
          (i.status === 'payment_due' || i.status === 'not_paid') &&
          !(i.linked_payments ?? []).length &&
          !s.cb.state.all('credit_notes').some((c) => (c.allocations ?? []).some((a) => a.invoice_id === i.id)) &&
          !s.cb.state.all('transactions').some((t) => (t.linked_invoices ?? []).some((l) => l.invoice_id === i.id)),
      )!;
    const late = await lateGateway(new URL(s.acu.url), invoice.id, 300);
    s.env['ACUMATICA_URL'] = late.url;
    const first = await s.run();
    await new Promise((resolve) => setTimeout(resolve, 800));
    expect(late.spoiled()).toBe(true);
    expect(invoiceLetters()).toEqual([[invoice.id, 'acumatica_create_unconfirmed']]);
    expect(first.exitCode).toBe(1);
    const landed = s.acu.state.records('Invoice').filter((d) => d['Type'] === 'Invoice' && d['CustomerOrder'] === invoice.id);
    expect(landed, 'the lost create landed in Acumatica after the run').toHaveLength(1);

    // Voided in Chargebee before the next run.
    s.cb.state.touch('invoices', invoice.id, { status: 'voided', voided_at: s.cb.state.now(), amount_due: 0 } as never);
    const second = await s.run();
    const doc = s.acu.state.records('Invoice').find((d) => d['Type'] === 'Invoice' && d['CustomerOrder'] === invoice.id)!;
    const status = String(doc['Status']);
    // Acumatica still holds the receivable of an invoice Chargebee voided: someone must be told.
    expect(['Voided', 'Canceled']).not.toContain(status);
    expect(invoiceLetters(), `run 2 exit ${second.exitCode}, Acumatica ${String(doc['ReferenceNbr'])} ${status}`).toEqual([
      [invoice.id, 'acumatica_cannot_void'],
    ]);
    expect(second.exitCode).toBe(1);
  }, 120_000);
});
