/**
 * Chargebee's webhooks from the connector's side: a delivery is read for its event id only, the
 * event is fetched again from the fake Chargebee, and records are fetched by id through the
 * stream's own listing.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chargebeeWebhooks, eventOf } from '../../../connectors/chargebee/events.js';
import { ChargebeeSource } from '../../../connectors/chargebee/source.js';
import type { ConnectorFactoryInput, SourceContext, StreamReadRequest } from '../../../engine/connector/types.js';
import { createConnection } from '../../../engine/http/connection.js';
import { silentLogger } from '../../../engine/log.js';
import { eventsAbout, startFakeChargebee, webhookBody, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { loadedDescriptor } from '../descriptors.js';

const descriptor = loadedDescriptor('chargebee');

let fake: FakeChargebee;
let source: ChargebeeSource;
const ctx: SourceContext = { log: silentLogger, signal: new AbortController().signal, now: () => Math.floor(Date.now() / 1000) };

function input(): ConnectorFactoryInput {
  return {
    connection: { connector: 'chargebee', site: fake.site, api_key: fake.apiKey, base_url: fake.url },
    descriptor,
    pipelineDir: '.',
    pipeline: 'events-test',
    timezone: 'UTC',
    extensions: {},
    lookups: {},
    options: {},
    log: silentLogger,
    http: { connect: (o) => createConnection(o) },
  };
}

const request = (endpoint: string, over: Partial<StreamReadRequest> = {}): StreamReadRequest => ({
  stream: endpoint,
  endpoint,
  checkpoint: undefined,
  lookbackSeconds: 120,
  params: {},
  ...over,
});

beforeEach(async () => {
  fake = await startFakeChargebee({ customers: 60 });
  source = new ChargebeeSource(input());
});
afterEach(async () => {
  await fake.close();
});

describe('Chargebee webhook deliveries', () => {
  it('reads the event id and type of a delivery, and nothing else', () => {
    const event = fake.state.all('events')[0]!;
    expect(chargebeeWebhooks.deliveryOf(JSON.parse(webhookBody(event)))).toEqual({ eventId: event.id, eventType: event.event_type });
    expect(chargebeeWebhooks.deliveryOf({ id: 'ev_1' })).toEqual({ eventId: 'ev_1' });
  });

  it('refuses what is not a Chargebee event, or an id that could steer the request elsewhere', () => {
    for (const body of [
      null,
      [],
      'ev_1',
      42,
      {},
      { id: 7 },
      { id: '' },
      { id: '../customers/x' },
      { id: 'ev 1' },
      { id: 'x'.repeat(101) },
      { object: 'customer', id: 'cus_1' },
    ]) {
      expect(chargebeeWebhooks.deliveryOf(body), JSON.stringify(body)).toHaveProperty('refused');
    }
  });

  it("names the records of an event's content by the endpoint that lists them", () => {
    const event = {
      event: {
        id: 'ev_1',
        event_type: 'payment_succeeded',
        occurred_at: 1_700_000_000,
        content: {
          transaction: { id: 'txn_1', resource_version: 17 },
          invoice: { id: 'inv_1', resource_version: 18 },
          customer: { id: 'cus_1' },
          card: { id: 'card_1' },
          subscription: { no_id: true },
        },
      },
    };
    expect(eventOf(event, descriptor)).toEqual({
      id: 'ev_1',
      type: 'payment_succeeded',
      occurredAt: 1_700_000_000,
      references: expect.arrayContaining([
        { endpoint: 'transactions', id: 'txn_1', version: '17' },
        { endpoint: 'invoices', id: 'inv_1', version: '18' },
        { endpoint: 'customers', id: 'cus_1' },
      ]),
    });
    expect(eventOf(event, descriptor)!.references).toHaveLength(3);
    expect(eventOf({ list: [] }, descriptor)).toBeUndefined();
  });
});

describe('Chargebee source: by id', () => {
  it('fetches an event again with GET /events/{id}; an id Chargebee does not know is undefined', async () => {
    const invoice = fake.state.all('invoices').find((i) => !i.deleted)!;
    fake.state.touch('invoices', invoice.id, { po_number: 'PO-7' });
    const event = eventsAbout(fake.state, 'invoice', invoice.id).at(-1)!;
    const fetched = await source.fetchEvent(event.id!, ctx);
    expect(fetched).toMatchObject({ id: event.id, type: 'invoice_updated', references: [{ endpoint: 'invoices', id: invoice.id }] });
    expect(await source.fetchEvent('ev_never_sent', ctx)).toBeUndefined();
    expect(fake.requests.filter((r) => r.path.startsWith('/api/v2/events/')).map((r) => [r.path, r.status])).toEqual([
      [`/api/v2/events/${event.id}`, 200],
      ['/api/v2/events/ev_never_sent', 404],
    ]);
  });

  it('a wrong API key fails the event fetch as an auth error, not as an unknown event', async () => {
    const wrong = new ChargebeeSource({ ...input(), connection: { ...input().connection, api_key: 'wrong_key' } });
    await expect(wrong.fetchEvent('ev_1', ctx)).rejects.toMatchObject({ code: 'chargebee_auth_failed', kind: 'auth' });
  });

  it("fetches records by id through the stream's listing: deleted ones included, unknown ones absent", async () => {
    const invoices = fake.state.all('invoices');
    const live = invoices.filter((i) => !i.deleted).slice(0, 3);
    const deleted = invoices.find((i) => i.deleted)!;
    const ids = [...live.map((i) => i.id), deleted.id, 'inv_does_not_exist'];
    const records = await source.fetch(request('invoices'), ids, ctx);
    expect(records.map((r) => r.id).sort()).toEqual([...live.map((i) => i.id), deleted.id].sort());
    expect(records.find((r) => r.id === deleted.id)!.deleted).toBe(true);
    expect(records.every((r) => r.version !== undefined || r.data['resource_version'] === undefined)).toBe(true);
    const listing = fake.requests.filter((r) => r.path === '/api/v2/invoices').at(-1)!;
    expect(JSON.parse(listing.query['id[in]']!)).toEqual(ids);
    expect(listing.query['include_deleted']).toBe('true');
  });

  it("keeps the stream's parameters and start date, so nothing a run would not read is returned", async () => {
    const invoices = fake.state.all('invoices').filter((i) => !i.deleted);
    const paid = invoices.find((i) => i.status === 'paid')!;
    const due = invoices.find((i) => i.status === 'payment_due')!;
    expect((await source.fetch(request('invoices', { params: { 'status[is]': 'paid' } }), [paid.id, due.id], ctx)).map((r) => r.id)).toEqual([paid.id]);
    const newest = Math.max(...invoices.map((i) => i.date!));
    expect(await source.fetch(request('invoices', { startDate: newest + 1 }), [paid.id, due.id], ctx)).toEqual([]);
  });

  it('asks for at most 50 ids at a time', async () => {
    const ids = fake.state.all('customers').map((c) => c.id);
    expect(ids.length).toBeGreaterThan(50);
    const records = await source.fetch(request('customers'), ids, ctx);
    expect(records).toHaveLength(ids.length);
    const listings = fake.requests.filter((r) => r.path === '/api/v2/customers');
    expect(listings.map((r) => (JSON.parse(r.query['id[in]']!) as string[]).length)).toEqual([50, ids.length - 50]);
  });
});
