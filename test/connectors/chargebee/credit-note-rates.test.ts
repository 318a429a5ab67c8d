/**
 * Chargebee gives a credit note no `exchange_rate` (chargebee-node types/resources/CreditNote.d.ts
 * declares none; Invoice and Transaction do). The fake answers so, and the source gives a credit note
 * the rate of the invoice it credits, read by `id[in]` once per page and kept for the run.
 */
import { describe, expect, it } from 'vitest';
import type { Source, SourceRecord, StreamReadRequest } from '../../../engine/connector/types.js';
import { silentLogger } from '../../../engine/log.js';
import type { FakeChargebee } from '../../fakes/chargebee/index.js';
import { cbRequest } from '../../fakes/chargebee/test-client.js';
import { chargebeeSourceFixture } from './source-harness.js';

const request = (endpoint: string, extra: Partial<StreamReadRequest> = {}): StreamReadRequest => ({
  stream: endpoint,
  endpoint,
  checkpoint: undefined,
  lookbackSeconds: 60,
  params: {},
  ...extra,
});
const ctx = { log: silentLogger, signal: new AbortController().signal, now: () => Date.now() / 1000 };

const chargebee = chargebeeSourceFixture(['invoices', 'credit_notes']);

async function readAll(source: Source, req: StreamReadRequest): Promise<SourceRecord[]> {
  const records: SourceRecord[] = [];
  for await (const page of source.read(req, ctx)) records.push(...page.records);
  return records;
}

/** Listings of invoices by id: the look-ups of credited invoices. */
const invoiceLookups = (fake: FakeChargebee) => fake.requests.filter((r) => r.path.endsWith('/invoices') && r.query['id[in]'] !== undefined);

/** A credit note of `invoiceId`, as Chargebee returns one: no exchange_rate. */
function creditNoteOf(fake: FakeChargebee, id: string, invoiceId: string | undefined, extra: Record<string, unknown> = {}): void {
  const template = fake.state.all('credit_notes').find((n) => !n.deleted)!;
  const invoice = invoiceId ? fake.state.all('invoices').find((i) => i.id === invoiceId) : undefined;
  const { exchange_rate: _none, reference_invoice_id: _ref, ...fields } = structuredClone(template) as Record<string, unknown>;
  fake.state.create('credit_notes', {
    ...fields,
    id,
    ...(invoiceId ? { reference_invoice_id: invoiceId, customer_id: invoice?.customer_id, currency_code: invoice?.currency_code } : {}),
    allocations: [],
    ...extra,
  } as never);
}

describe('Chargebee credit notes and their exchange rate', () => {
  it('the fake answers credit notes without exchange_rate, as the real API does', async () => {
    const fake = await chargebee.start({ customers: 40, seed: 1 });
    const listed = await cbRequest(fake, 'GET', '/credit_notes', { query: { limit: 100 } });
    const notes = (listed.json.list as Array<{ credit_note: Record<string, unknown> }>).map((e) => e.credit_note);
    expect(notes.length).toBeGreaterThan(0);
    expect(notes.filter((n) => 'exchange_rate' in n).map((n) => n['id'])).toEqual([]);
  });

  it('a listed credit note takes the rate of the invoice it credits, the invoices of a page read in one id[in] listing', async () => {
    const fake = await chargebee.start({ customers: 40, seed: 1 });
    const source = await chargebee.source(fake);
    await source.open?.(ctx, [request('credit_notes')]);
    const notes = await readAll(source, request('credit_notes'));
    const live = notes.filter((n) => !n.deleted);
    expect(live.length).toBeGreaterThan(1);
    const invoices = new Map(fake.state.all('invoices').map((i) => [i.id, i]));
    for (const note of live) {
      const invoice = invoices.get(String(note.data['reference_invoice_id']));
      expect(note.data['exchange_rate'], `${note.id} of ${invoice?.id}`).toBe(invoice?.exchange_rate);
    }
    expect(live.some((n) => n.data['currency_code'] !== 'USD' && n.data['exchange_rate'] !== 1)).toBe(true);
    // One page of credit notes: one look-up naming every invoice they credit.
    const lookups = invoiceLookups(fake);
    expect(lookups).toHaveLength(1);
    expect(new Set(JSON.parse(lookups[0]!.query['id[in]']!) as string[])).toEqual(new Set(live.map((n) => n.data['reference_invoice_id'])));
    expect(lookups[0]!.query).toMatchObject({ include_deleted: 'true' });

    // Kept for the source's life: reading again, or fetching by id, asks Chargebee for no invoice again.
    await readAll(source, request('credit_notes'));
    const fetched = await source.fetch!(request('credit_notes'), [live[0]!.id], ctx);
    expect(fetched[0]!.data['exchange_rate']).toBe(live[0]!.data['exchange_rate']);
    expect(invoiceLookups(fake)).toHaveLength(1);
  });

  it('keeps a rate Chargebee gives, leaves none on a credit note that credits no invoice, and finds a deleted invoice older than the start date', async () => {
    const fake = await chargebee.start({ customers: 40, seed: 1 });
    const eur = fake.state.all('invoices').find((i) => !i.deleted && i.currency_code === 'EUR' && (i.date ?? 0) > 1_700_000_000)!;
    expect(eur, 'a seeded EUR invoice').toBeDefined();
    const date = (eur.date ?? 0) + 86_400;
    creditNoteOf(fake, 'cn_given', eur.id, { date, exchange_rate: 1.2345 });
    creditNoteOf(fake, 'cn_store', undefined, { date, currency_code: 'EUR', customer_id: eur.customer_id });
    creditNoteOf(fake, 'cn_old', eur.id, { date });
    fake.state.delete('invoices', eur.id);
    const source = await chargebee.source(fake);
    const ids = ['cn_given', 'cn_store', 'cn_old'];
    // Through fetch (webhooks and retries), with a start date after the invoice's date.
    const notes = await source.fetch!(request('credit_notes', { startDate: (eur.date ?? 0) + 1 }), ids, ctx);
    const rate = new Map(notes.map((n) => [n.id, n.data['exchange_rate']]));
    expect(Object.fromEntries(rate)).toEqual({ cn_given: 1.2345, cn_store: undefined, cn_old: eur.exchange_rate });
    expect(invoiceLookups(fake).map((r) => JSON.parse(r.query['id[in]']!))).toEqual([[eur.id]]);
  });

  it('an offline payment recorded on an invoice has its own rate, that of its date, not a copy of the invoice’s', async () => {
    const now = 1_750_000_000;
    const fake = await chargebee.start({ customers: 40, seed: 1, now: () => now });
    const invoice = fake.state
      .all('invoices')
      .find((i) => !i.deleted && i.currency_code !== 'USD' && (i.status === 'payment_due' || i.status === 'not_paid') && (i.amount_due ?? 0) > 0)!;
    expect(invoice, 'an open foreign invoice').toBeDefined();
    const paid = await cbRequest(fake, 'POST', `/invoices/${invoice.id}/record_payment`, {
      form: { 'transaction[amount]': invoice.amount_due ?? 0, 'transaction[payment_method]': 'bank_transfer', 'transaction[date]': now - 86_400 },
    });
    expect(paid.status).toBe(200);
    const rate = paid.json.transaction.exchange_rate as number;
    expect(rate).toBeGreaterThan(0);
    expect(rate).not.toBe(invoice.exchange_rate);
    expect(Math.abs(rate / (invoice.exchange_rate ?? 1) - 1)).toBeLessThanOrEqual(0.02);
  });
});
