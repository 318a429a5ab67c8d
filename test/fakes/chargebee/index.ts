/**
 * A faithful, stateful fake of the Chargebee API v2 for tests and the sandbox (`npm start`).
 *
 *   const fake = await startFakeChargebee({ customers: 300 });
 *   // base_url: fake.url  (http://127.0.0.1:PORT/api/v2), api_key: fake.apiKey
 *   fake.state.touch('invoices', id, { po_number: 'PO-1' });   // a change the next sync must see
 *   fake.faults.rateLimitNext(2, 1);                          // the next two requests answer 429
 *   await fake.close();
 *
 * Served: GET /configurations; GET list and retrieve of customers, item_families, items,
 * item_prices (Product Catalog 2.0 sites), plans, addons (1.0 sites), subscriptions, invoices,
 * credit_notes, transactions, events; POST /invoices/{id}/record_payment. Unsorted lists come
 * newest-created first; `offset` is a keyset token (see ./listing.ts). Webhooks: `webhookBody(event)`
 * is what Chargebee POSTs for an event, `deliverWebhook(url, body, auth)` posts it (./webhooks.ts).
 */
import type { Server } from 'node:http';
import { Faults, RateLimiter, type FaultKnobs } from './faults.js';
import { emptySiteSummary, seedSite, type SeedSummary } from './seed.js';
import { API_PREFIX, createFakeServer, listen, type RequestLogEntry } from './server.js';
import { FakeChargebeeState } from './state.js';
import { MAX_LINE_ITEMS_LIMIT } from './line-items.js';

export type { FaultKnobs, UnavailableBody } from './faults.js';
export type { RequestLogEntry } from './server.js';
export type { SeedSummary } from './seed.js';
export { SEED_FACTS } from './seed.js';
export { FakeChargebeeState } from './state.js';
export type { ChangeOptions, RecordChanges } from './state.js';
export type { FakeEvent, ResourceName, MutableResourceName, ResourceRecordMap } from './resources.js';
export { RESOURCE_SPECS } from './resources.js';
export { MINOR_UNIT_EXPONENT, CURRENCIES } from './catalog.js';
export { OFFLINE_PAYMENT_METHODS } from './payments.js';
export { deliverWebhook, eventsAbout, webhookBody, type Delivery, type WebhookAuth } from './webhooks.js';

export interface FakeChargebeeOptions {
  /** Site name (the `{site}` of `{site}.chargebee.com`). Default `acme-test`. */
  site?: string;
  /** The API key clients must send as the Basic user name. Default `test_fake_key`. */
  apiKey?: string;
  /** PRNG seed of the generated data. Default 1. */
  seed?: number;
  /** Number of seeded customers, at least 12; 0 for an empty site a test fills itself (`state.insertSeeded`). Default 300 (about 600 invoices). */
  customers?: number;
  /** Product Catalog version of the site. Default `v2`. */
  catalogVersion?: 'v1' | 'v2';
  /** Clock in unix seconds used for changes made after start. Default: real time. */
  now?: () => number;
  /** A real limiter: more than `requests` in `perSeconds` answers 429 with Retry-After. Default off. */
  rateLimit?: { requests: number; perSeconds: number };
  /**
   * Line items of an invoice or credit note in one answer; beyond them the document carries
   * `line_items_next_offset` and the rest is read with the retrieve call's `line_items_offset`.
   * Chargebee documents no figure for lists; default 300, the most `line_items_limit` takes.
   */
  lineItemsPerAnswer?: number;
}

export interface FakeChargebee {
  /** Base URL for `base_url`: `http://127.0.0.1:PORT/api/v2`. */
  url: string;
  /** Port on 127.0.0.1 (for clients that take host and port apart, like the official SDK). */
  port: number;
  apiKey: string;
  site: string;
  catalogVersion: 'v1' | 'v2';
  state: FakeChargebeeState;
  faults: FaultKnobs;
  /** Every request received, in order. */
  requests: RequestLogEntry[];
  /** Ids of notable seeded records. */
  seedInfo: SeedSummary;
  close(): Promise<void>;
}

function checkOptions(options: FakeChargebeeOptions): void {
  const expect = (ok: boolean, what: string, received: unknown): void => {
    if (!ok) throw new Error(`startFakeChargebee: ${what}, received ${JSON.stringify(received)}`);
  };
  if (options.site !== undefined) expect(/^[a-z0-9][a-z0-9-]*$/.test(options.site), 'site must be lowercase letters, digits and dashes', options.site);
  if (options.apiKey !== undefined) expect(options.apiKey !== '' && !options.apiKey.includes(':'), 'apiKey must be non-empty without ":"', options.apiKey);
  if (options.seed !== undefined) expect(Number.isInteger(options.seed), 'seed must be an integer', options.seed);
  if (options.catalogVersion !== undefined)
    expect(options.catalogVersion === 'v1' || options.catalogVersion === 'v2', "catalogVersion must be 'v1' or 'v2'", options.catalogVersion);
}

export async function startFakeChargebee(options: FakeChargebeeOptions = {}): Promise<FakeChargebee> {
  checkOptions(options);
  const site = options.site ?? 'acme-test';
  const apiKey = options.apiKey ?? 'test_fake_key';
  const catalogVersion = options.catalogVersion ?? 'v2';
  const seed = options.seed ?? 1;
  const state = new FakeChargebeeState({ clock: options.now ?? (() => Date.now() / 1000), idSeed: seed ^ 0x5eed });
  const seedInfo = options.customers === 0 ? emptySiteSummary() : seedSite(state, { seed, customers: options.customers ?? 300, catalogVersion });
  const faults = new Faults();
  const requests: RequestLogEntry[] = [];
  const server: Server = createFakeServer({
    site,
    apiKey,
    catalogVersion,
    state,
    faults,
    requests,
    lineItemsPerAnswer: options.lineItemsPerAnswer ?? MAX_LINE_ITEMS_LIMIT,
    ...(options.rateLimit ? { rateLimiter: new RateLimiter(options.rateLimit.requests, options.rateLimit.perSeconds) } : {}),
  });
  const port = await listen(server);
  return {
    url: `http://127.0.0.1:${port}${API_PREFIX}`,
    port,
    apiKey,
    site,
    catalogVersion,
    state,
    faults,
    requests,
    seedInfo,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
