/**
 * A Chargebee id longer than the Acumatica field a document is found by. Invoice.CustomerOrder is
 * ARInvoice.InvoiceNbr and Payment.PaymentRef is ARPayment.ExtRefNbr, both PXDBString(40), and
 * Acumatica keeps only the first 40 characters of a longer value, without an error
 * (PXStringAttribute.FieldUpdating); Chargebee ids run to 50. A document created under a 44-character
 * key is never found by it again: a create whose answer was lost was created a second time. The
 * connector now refuses such a record before any request (descriptor `field_limits`), and the fake
 * tenant trims as Acumatica does instead of answering 422.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import { type FakeAcumatica, startFakeAcumatica } from '../../fakes/acumatica/index.js';
import { AcumaticaTestClient, unwrap } from '../../fakes/acumatica/test-client.js';
import type { FaultProxy } from '../../support/fault-proxy.js';
import { withSinkRequests } from '../../support/watched-connectors.js';
import { behindFaultProxy, type Sandbox, startSandbox, unreferencedUnpaidInvoice } from './e2e-harness.js';

const LONG_INVOICE = 'INV-2026-ACME-EUROPE-SUBSIDIARY-000000012345'; // 44 characters
const LONG_PAYMENT = 'txn_AzZjZbVSlT0Ov3Ww1XyZ_2026_ACME_EUROPE_0001'; // 46 characters
const FITS = 'INV-2026-ACME-EUROPE-SUBSIDIARY-00000001'; // exactly 40
/** How the example pipeline keys each document stream. */
const DIGEST_KEY = '$docKey := $length($docId) <= 40 ? $docId : ">" & $digest($docId, 39);';

let s: Sandbox | undefined;
let fake: FakeAcumatica | undefined;
let proxy: FaultProxy | undefined;
afterEach(async () => {
  await proxy?.close();
  await s?.close();
  await fake?.close();
  proxy = undefined;
  s = undefined;
  fake = undefined;
});

/** The installed connectors, with every request the Acumatica connector sends (URL and body) written to `out`. */
function recording(out: string[]) {
  return withSinkRequests('acumatica', (request) =>
    out.push(`${request.path} ${JSON.stringify(request.query ?? {})} ${request.body ?? JSON.stringify(request.json ?? null)}`),
  );
}

function deadLetters(stream: string) {
  const store = StateStore.open(s!.statePath);
  try {
    return store.deadLetters('chargebee-to-acumatica', stream);
  } finally {
    store.close();
  }
}

/** A copy of an unpaid invoice nothing refers to, under `id`. */
function invoiceUnder(id: string) {
  const model = unreferencedUnpaidInvoice(s!);
  const { id: _id, ...copy } = structuredClone(model);
  s!.cb.state.insertSeeded('invoices', { ...copy, id, updated_at: s!.cb.state.now(), resource_version: undefined } as never);
  return model;
}

/** A successful USD payment applied to nothing, under `id`. */
function paymentUnder(id: string) {
  const template = s!.cb.state.all('transactions').find((t) => t.type === 'payment' && t.status === 'success' && t.currency_code === 'USD');
  expect(template, 'a successful USD payment').toBeDefined();
  const { subscription_id: _subscription, ...fields } = structuredClone(template!);
  s!.cb.state.insertSeeded('transactions', {
    ...fields,
    id,
    linked_invoices: [],
    amount_unused: fields.amount,
    updated_at: s!.cb.state.now(),
    resource_version: undefined,
  } as never);
}

describe('Acumatica: a natural key longer than the field it is found by', () => {
  it('is refused before any request names it, with a dead letter naming the record, the field, its limit and the fix', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    // A consultant's own mapping of the plain id (the example maps a longer one to a digest).
    s.edit(Array.from({ length: 4 }, () => [DIGEST_KEY, '$docKey := $docId;'] as [string, string]));
    invoiceUnder(LONG_INVOICE);
    paymentUnder(LONG_PAYMENT);
    const sent: string[] = [];

    for (const run of [1, 2]) {
      const summary = await s.run({ connectors: recording(sent) });
      expect(summary.exitCode, `run ${run}`).toBe(1);
      expect(sent.length, `run ${run}: requests recorded`).toBeGreaterThan(0);
      // Neither the whole key nor the 40 characters Acumatica would keep: nothing looked up, nothing created.
      const naming = sent.filter((r) => [LONG_INVOICE, LONG_PAYMENT].some((id) => decodeURIComponent(r).includes(id.slice(0, 40))));
      expect(naming, `run ${run}: requests naming an over-long key`).toEqual([]);
      expect(s.acu.state.records('Invoice').filter((d) => String(d['CustomerOrder']).startsWith(LONG_INVOICE.slice(0, 40)))).toEqual([]);
      expect(s.acu.state.records('Payment').filter((d) => String(d['PaymentRef']).startsWith(LONG_PAYMENT.slice(0, 40)))).toEqual([]);
    }

    const [invoice] = deadLetters('invoices').filter((l) => l.sourceId === LONG_INVOICE);
    expect(invoice).toMatchObject({ errorCode: 'acumatica_invalid_value', errorKind: 'record' });
    expect(invoice!.message).toBe(
      `Invoice.CustomerOrder '${LONG_INVOICE}' of source record ${LONG_INVOICE} is 44 characters; Acumatica's CustomerOrder holds 40 and would silently keep only the first 40`,
    );
    expect(invoice!.fix).toContain('map CustomerOrder to a key of at most 40 characters');
    expect(invoice!.fix).toContain('$length(id) <= 40 ? id : ">" & $digest(id, 39)');
    expect(invoice!.details).toMatchObject({ entity: 'Invoice', field: 'CustomerOrder', limit: 40, length: 44, source_id: LONG_INVOICE });

    const [payment] = deadLetters('payments').filter((l) => l.sourceId === LONG_PAYMENT);
    expect(payment).toMatchObject({ errorCode: 'acumatica_invalid_value', errorKind: 'record' });
    expect(payment!.message).toContain(`Payment.PaymentRef '${LONG_PAYMENT}' of source record ${LONG_PAYMENT} is 46 characters`);
    expect(payment!.fix).toContain('$digest(id, 39)');
  }, 120_000);

  it('the fix, as the example maps it: the id when it fits, else ">" and a digest, is found by the look-up after a lost create answer', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    invoiceUnder(LONG_INVOICE);
    proxy = await behindFaultProxy(s);
    proxy.inject({ method: 'PUT', path: /\/Invoice(\?|$)/, body: /"CustomerOrder":\{"value":">/, times: 1, fault: { kind: 'reset-after' } });
    const run = await s.run();
    expect(proxy.injected).toBe(1);
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    const landed = s.acu.state.records('Invoice').filter((d) => String(d['CustomerOrder']).startsWith('>'));
    expect(landed).toHaveLength(1);
    expect(String(landed[0]!['CustomerOrder'])).toMatch(/^>[0-9a-f]{39}$/);
  }, 120_000);

  it('a key of exactly 40 characters is found after its create whose answer was lost, and not created again', async () => {
    s = await startSandbox({ chargebee: { customers: 12, seed: 11 } });
    invoiceUnder(FITS);
    proxy = await behindFaultProxy(s);
    proxy.inject({
      method: 'PUT',
      path: /\/Invoice(\?|$)/,
      body: new RegExp(`"CustomerOrder":\\{"value":"${FITS}"\\}`),
      times: 1,
      fault: { kind: 'reset-after' },
    });
    const run = await s.run();
    expect(proxy.injected).toBe(1);
    expect(run.exitCode, JSON.stringify(run.error)).toBe(0);
    expect(s.acu.state.records('Invoice').filter((d) => d['CustomerOrder'] === FITS)).toHaveLength(1);
  }, 120_000);
});

describe('the fake tenant, as Acumatica: a text longer than its field is cut to it, not refused', () => {
  it('keeps the first 40 characters of CustomerOrder and PaymentRef, so a filter on the whole value finds nothing', async () => {
    fake = await startFakeAcumatica();
    const client = new AcumaticaTestClient(fake);
    await client.login();
    await client.put('Customer', { CustomerID: 'C1', CustomerName: 'First' });

    const invoice = await client.put('Invoice', { Customer: 'C1', CustomerOrder: LONG_INVOICE, Hold: false, Details: [{ Amount: 100 }] });
    expect(invoice.status, invoice.text).toBe(200);
    expect(unwrap(invoice.json)['CustomerOrder']).toBe(LONG_INVOICE.slice(0, 40));
    const payment = await client.put('Payment', { CustomerID: 'C1', PaymentMethod: 'CARD', PaymentRef: LONG_PAYMENT, PaymentAmount: 10 });
    expect(payment.status, payment.text).toBe(200);
    expect(unwrap(payment.json)['PaymentRef']).toBe(LONG_PAYMENT.slice(0, 40));

    const filtered = async (entity: string, field: string, value: string) =>
      ((await client.api('GET', `${entity}?$filter=${encodeURIComponent(`${field} eq '${value}'`)}`)).json as unknown[]).length;
    expect(await filtered('Invoice', 'CustomerOrder', LONG_INVOICE)).toBe(0);
    expect(await filtered('Invoice', 'CustomerOrder', LONG_INVOICE.slice(0, 40))).toBe(1);
    expect(await filtered('Payment', 'PaymentRef', LONG_PAYMENT)).toBe(0);
    expect(await filtered('Payment', 'PaymentRef', LONG_PAYMENT.slice(0, 40))).toBe(1);
  });

  it('drops trailing white space, as PXStringAttribute does for a field not of fixed length', async () => {
    fake = await startFakeAcumatica();
    const client = new AcumaticaTestClient(fake);
    await client.login();
    await client.put('Customer', { CustomerID: 'C1', CustomerName: 'First' });
    const invoice = await client.put('Invoice', { Customer: 'C1', CustomerOrder: 'inv_1  ', Details: [{ Amount: 100 }] });
    expect(unwrap(invoice.json)['CustomerOrder']).toBe('inv_1');
  });
});
