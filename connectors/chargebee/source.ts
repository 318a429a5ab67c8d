/**
 * Chargebee as a source: incremental listings on `updated_at` (or the endpoint's cursor field),
 * ascending, with a lookback window. The runner drops versions it has already processed, so the
 * lookback re-reads records that share the checkpoint's second without emitting them twice.
 */
import { LedgersyncError } from '../../engine/errors.js';
import { settingsOf, type EndpointDescriptor } from '../../engine/connector/descriptor.js';
import type { ConnectorFactoryInput, Source, SourceContext, SourceEvent, SourcePage, SourceRecord, StreamReadRequest } from '../../engine/connector/types.js';
import type { HttpConnection, HttpResponse, QueryValue } from '../../engine/http/connection.js';
import { pagesOf } from '../../engine/paging/pagers.js';
import { chargebeeConnection, describeChargebeeError, parseChargebeeError } from './api.js';
import { eventOf } from './events.js';

/**
 * Ids per `id[in]` filter when records are fetched by id. Chargebee documents no bound; 50 ids of
 * up to 50 characters keep the URL within what every proxy accepts.
 */
const IDS_PER_REQUEST = 50;
/** Times a document whose line items are being read may change before the read gives up (transient). */
const MAX_REREADS = 3;

/**
 * Descriptor `settings.rates_from_referenced.<endpoint>`: a rate its records lack, taken from the
 * record they reference in the same currency (a credit note: the invoice it credits). A rate the
 * record gives is kept; one referencing nothing is left without.
 */
interface RateFromReferenced {
  field: string;
  reference: string;
  endpoint: string;
}
/** Rates of referenced records kept for the source's life (an invoice's rate never changes); the oldest go first beyond this. */
const MAX_CACHED_RATES = 10_000;

/** Descriptor `settings.line_item_pages.<endpoint>`: how the rest of a record's line items is read. */
interface LineItemPages {
  path: string;
  items_field: string;
  next_field: string;
  limit_param: string;
  offset_param: string;
  limit: number;
}

/** The checkpoint of one Chargebee stream. */
export interface ChargebeeCheckpoint {
  /** Records with a cursor value at or after this (less the lookback) are read next time. Unix seconds. */
  cursor: number;
  field: string;
}

function endpointOf(input: ConnectorFactoryInput, name: string): EndpointDescriptor {
  const endpoint = input.descriptor.endpoints?.[name];
  if (!endpoint) {
    throw new LedgersyncError('unknown_endpoint', 'config', `Chargebee has no stream '${name}'`, {
      fix: `use one of: ${Object.keys(input.descriptor.endpoints ?? {}).join(', ')}`,
    });
  }
  return endpoint;
}

function cursorOf(checkpoint: unknown): number | undefined {
  const c = checkpoint as Partial<ChargebeeCheckpoint> | undefined;
  return typeof c?.cursor === 'number' && Number.isFinite(c.cursor) ? c.cursor : undefined;
}

/** Query parameters of one incremental listing. Pure: tested without a server. */
export function listQuery(endpoint: EndpointDescriptor, request: StreamReadRequest): Record<string, QueryValue> {
  const query: Record<string, QueryValue> = { ...endpoint.params, ...request.params };
  const cursor = endpoint.cursor;
  if (cursor) {
    // A list without sort_by (plans, addons) is read in Chargebee's default order; the cursor only filters.
    const sortBy = cursor.sortable ? cursor.field : cursor.fallback_sort;
    if (sortBy !== undefined) query['sort_by[asc]'] = sortBy;
    const from = cursorOf(request.checkpoint);
    // `after` is strict: minus one more second so the checkpoint's own second is read again.
    if (from !== undefined) query[`${cursor.field}[after]`] = Math.max(0, from - request.lookbackSeconds - 1);
  }
  if (request.startDate !== undefined && endpoint.start_date_field) {
    const key = `${endpoint.start_date_field}[after]`;
    // A bound of the pipeline's own params (a string there) stays when it is the later one.
    const existing = Number(query[key]);
    const bound = request.startDate - 1;
    query[key] = query[key] !== undefined && query[key] !== '' && Number.isFinite(existing) ? Math.max(existing, bound) : bound;
  }
  if (endpoint.include_deleted) query['include_deleted'] = 'true';
  return query;
}

export function toSourceRecord(entry: unknown, endpoint: EndpointDescriptor, where: string): SourceRecord {
  const key = endpoint.record_key;
  const data = (key ? (entry as Record<string, unknown> | null)?.[key] : entry) as Record<string, unknown> | undefined;
  if (!data || typeof data !== 'object') {
    throw new LedgersyncError('unexpected_response', 'transient', `${where}: a list entry has no '${key}' object`);
  }
  const id = data[endpoint.id_field ?? 'id'];
  if (typeof id !== 'string' && typeof id !== 'number') {
    throw new LedgersyncError('unexpected_response', 'transient', `${where}: a ${key ?? 'record'} has no id`);
  }
  const version = data[endpoint.version_field ?? 'resource_version'];
  return {
    id: String(id),
    ...(version === undefined || version === null ? {} : { version: String(version) }),
    deleted: data['deleted'] === true,
    data,
  };
}

export class ChargebeeSource implements Source {
  private readonly http: HttpConnection;
  private catalogVersion: string | undefined;
  private readonly lineItemPages: ReadonlyMap<string, LineItemPages>;
  private readonly ratesFromReferenced: ReadonlyMap<string, RateFromReferenced>;
  /** Referenced record (endpoint, id) → its currency and rate; undefined: Chargebee has no such record, or it gives no rate. */
  private readonly referencedRates = new Map<string, { currency: unknown; rate: number } | undefined>();

  constructor(private readonly input: ConnectorFactoryInput) {
    this.http = chargebeeConnection(input);
    const settings = settingsOf<{ line_item_pages?: Record<string, LineItemPages>; rates_from_referenced?: Record<string, RateFromReferenced> }>(
      input.descriptor,
    );
    this.lineItemPages = new Map(Object.entries(settings.line_item_pages ?? {}).map(([endpoint, pages]) => [endpoint, { ...pages }]));
    this.ratesFromReferenced = new Map(Object.entries(settings.rates_from_referenced ?? {}).map(([endpoint, rate]) => [endpoint, { ...rate }]));
  }

  /**
   * Reads the rest of the line items of the records that carry only a window of them (their
   * `line_items_next_offset`), so no mapping ever sees part of a document's lines.
   */
  /**
   * Reads the rest of the line items of listed documents that carry more than one answer holds. A
   * deleted document is left as listed: Chargebee no longer retrieves it (404), and its deletion
   * needs no lines. One deleted since it was listed becomes a deletion. One changed since it was
   * listed is read again whole, header and lines, at its new version: lines are never stitched from
   * two versions.
   */
  private async completeLineItems(endpointName: string, endpoint: EndpointDescriptor, records: readonly SourceRecord[]): Promise<void> {
    const pages = this.lineItemPages.get(endpointName);
    if (!pages) return;
    const versionField = endpoint.version_field ?? 'resource_version';
    for (const record of records) {
      const listedNext = record.data[pages.next_field];
      if (record.deleted || typeof listedNext !== 'string' || listedNext === '') continue;
      const path = pages.path.replace('{id}', encodeURIComponent(record.id));
      let data = record.data;
      let items = Array.isArray(data[pages.items_field]) ? [...(data[pages.items_field] as unknown[])] : [];
      /** The offset of the next window; undefined: the document again from its first window. */
      let next: string | undefined = listedNext;
      let rereads = 0;
      for (;;) {
        const document = await this.retrieve(path, endpoint, {
          [pages.limit_param]: pages.limit,
          ...(next !== undefined ? { [pages.offset_param]: next } : {}),
        });
        if (!document) {
          // Chargebee no longer has it: deleted since it was listed.
          record.deleted = true;
          record.data = { ...record.data, deleted: true };
          break;
        }
        const window = document[pages.items_field];
        if (!Array.isArray(window)) {
          throw new LedgersyncError('unexpected_response', 'transient', `${this.http.label} answered GET ${path} without its ${pages.items_field}`);
        }
        if (next === undefined) {
          data = document;
          items = [...window];
        } else if (String(document[versionField]) !== String(data[versionField])) {
          if (++rereads > MAX_REREADS) {
            throw new LedgersyncError('unexpected_response', 'transient', `${this.http.label}: ${record.id} kept changing while its line items were read`, {
              fix: 'run again: the document is then read whole at its newest version',
            });
          }
          next = undefined;
          continue;
        } else {
          items.push(...window);
        }
        const following = document[pages.next_field];
        if (typeof following !== 'string' || following === '') {
          const { [pages.next_field]: _done, ...complete } = data;
          record.data = { ...complete, [pages.items_field]: items };
          const version = data[versionField];
          if (version !== undefined && version !== null) record.version = String(version);
          break;
        }
        if (following === next)
          throw new LedgersyncError('unexpected_response', 'transient', `${this.http.label} answered GET ${path} with the same ${pages.next_field} again`);
        next = following;
      }
    }
  }

  /**
   * Gives each record of the endpoint without its rate (settings.rates_from_referenced) the rate of
   * the record it references, in the same currency: a credit note the rate of the invoice it credits.
   * The referenced records not read yet are listed by `id[in]` (deleted ones included, and whatever
   * the stream's start date: an invoice older than go-live still has its rate).
   */
  private async fillReferencedRates(endpointName: string, records: readonly SourceRecord[], signal: AbortSignal): Promise<void> {
    const rule = this.ratesFromReferenced.get(endpointName);
    if (!rule) return;
    const { field, reference } = rule;
    const cacheKey = (id: string) => `${rule.endpoint}\u0000${id}`;
    const wanting = records.filter(
      (r) => !r.deleted && (r.data[field] === undefined || r.data[field] === null) && typeof r.data[reference] === 'string' && r.data[reference] !== '',
    );
    const unread = [...new Set(wanting.map((r) => r.data[reference] as string))].filter((id) => !this.referencedRates.has(cacheKey(id)));
    const endpoint = endpointOf(this.input, rule.endpoint);
    for (let i = 0; i < unread.length; i += IDS_PER_REQUEST) {
      const ids = unread.slice(i, i + IDS_PER_REQUEST);
      const query = { 'id[in]': JSON.stringify(ids), ...(endpoint.include_deleted ? { include_deleted: 'true' } : {}) };
      const found = new Map<string, { currency: unknown; rate: number } | undefined>();
      for await (const page of pagesOf(this.input.descriptor.paging, { http: this.http, path: endpoint.path, query, signal })) {
        for (const entry of page.entries) {
          const referenced = toSourceRecord(entry, endpoint, `${this.http.label} ${endpoint.path}`);
          const rate = referenced.data[field];
          found.set(referenced.id, typeof rate === 'number' && Number.isFinite(rate) ? { currency: referenced.data['currency_code'], rate } : undefined);
        }
      }
      for (const id of ids) this.cacheRate(cacheKey(id), found.get(id));
    }
    for (const record of wanting) {
      const referenced = this.referencedRates.get(cacheKey(record.data[reference] as string));
      if (referenced && referenced.currency === record.data['currency_code']) record.data = { ...record.data, [field]: referenced.rate };
    }
  }

  private cacheRate(key: string, rate: { currency: unknown; rate: number } | undefined): void {
    this.referencedRates.set(key, rate);
    for (const oldest of this.referencedRates.keys()) {
      if (this.referencedRates.size <= MAX_CACHED_RATES) break;
      this.referencedRates.delete(oldest);
    }
  }

  /** `GET <path>` of one document, or undefined when Chargebee no longer has it (deleted). */
  private async retrieve(path: string, endpoint: EndpointDescriptor, query: Record<string, string | number>): Promise<Record<string, unknown> | undefined> {
    const response = await this.getOrGone(path, query);
    if (!response) return undefined;
    const body = response.json<Record<string, unknown>>();
    const document = (endpoint.record_key ? body[endpoint.record_key] : body) as Record<string, unknown> | undefined;
    if (!document || typeof document !== 'object') {
      throw new LedgersyncError('unexpected_response', 'transient', `${this.http.label} answered GET ${path} without the ${endpoint.record_key ?? 'document'}`);
    }
    return document;
  }

  /** `GET <path>`: the answer, or undefined when Chargebee has no such record (404 resource_not_found: never created, or deleted). */
  private async getOrGone(path: string, query?: Record<string, string | number>): Promise<HttpResponse | undefined> {
    const response = await this.http.request({ method: 'GET', path, ...(query ? { query } : {}), acceptErrors: true });
    if (response.status === 404 && parseChargebeeError(response).api_error_code === 'resource_not_found') return undefined;
    if (response.status >= 400) throw describeChargebeeError(String(this.input.connection['site'] ?? ''), response, { method: 'GET', path });
    return response;
  }

  async open(_ctx: SourceContext, streams: readonly StreamReadRequest[]): Promise<void> {
    const needsCatalog = streams.map((s) => ({ s, e: endpointOf(this.input, s.endpoint) })).filter(({ e }) => e.catalog);
    // Always one cheap authenticated call first, so a wrong key fails before any stream starts.
    const res = await this.http.request({ method: 'GET', path: '/configurations' });
    const configurations = res.json<{ configurations?: Array<{ product_catalog_version?: string }> }>().configurations ?? [];
    this.catalogVersion = configurations[0]?.product_catalog_version;
    for (const { s, e } of needsCatalog) {
      if (this.catalogVersion && e.catalog !== this.catalogVersion) {
        throw new LedgersyncError(
          'chargebee_catalog_mismatch',
          'config',
          `stream '${s.stream}' reads ${s.endpoint}, a Product Catalog ${e.catalog === 'v1' ? '1.0' : '2.0'} resource, but Chargebee site '${String(this.input.connection['site'])}' runs Product Catalog ${this.catalogVersion === 'v1' ? '1.0' : '2.0'}`,
          {
            fix:
              this.catalogVersion === 'v1'
                ? 'read plans and addons on this site instead of items and item_prices'
                : 'read items and item_prices on this site instead of plans and addons',
          },
        );
      }
    }
  }

  /**
   * Records by id, as the stream would list them: the same endpoint, parameters, start date and
   * `include_deleted`, filtered with `id[in]`. What a stream's filters exclude is not returned.
   */
  async fetch(request: StreamReadRequest, ids: readonly string[], ctx: SourceContext): Promise<SourceRecord[]> {
    const endpoint = endpointOf(this.input, request.endpoint);
    const records: SourceRecord[] = [];
    for (let i = 0; i < ids.length; i += IDS_PER_REQUEST) {
      const query = { ...listQuery(endpoint, { ...request, checkpoint: undefined }), 'id[in]': JSON.stringify(ids.slice(i, i + IDS_PER_REQUEST)) };
      for await (const page of pagesOf(this.input.descriptor.paging, { http: this.http, path: endpoint.path, query, signal: ctx.signal })) {
        const found = page.entries.map((entry) => toSourceRecord(entry, endpoint, `${this.http.label} ${endpoint.path}`));
        await this.completeLineItems(request.endpoint, endpoint, found);
        await this.fillReferencedRates(request.endpoint, found, ctx.signal);
        records.push(...found);
      }
    }
    return records;
  }

  /** `GET /events/{id}`: the event as Chargebee knows it, or undefined when Chargebee has no such event. */
  async fetchEvent(eventId: string, _ctx: SourceContext): Promise<SourceEvent | undefined> {
    const path = `${endpointOf(this.input, 'events').path}/${encodeURIComponent(eventId)}`;
    const response = await this.getOrGone(path);
    if (!response) return undefined;
    const event = eventOf(response.json(), this.input.descriptor);
    if (!event || event.id !== eventId) {
      throw new LedgersyncError('unexpected_response', 'transient', `${this.http.label} answered GET ${path} without the event ${eventId}`);
    }
    return event;
  }

  async *read(request: StreamReadRequest, ctx: SourceContext): AsyncIterable<SourcePage> {
    const endpoint = endpointOf(this.input, request.endpoint);
    const cursor = endpoint.cursor;
    // When the listing started: by this machine's clock, or by Chargebee's when that is earlier (a
    // clock running ahead must not move an unsorted stream's cursor past records not yet read).
    let scanStart = ctx.now();
    let firstPage = true;
    const previous = cursorOf(request.checkpoint);
    let highest = previous;

    for await (const page of pagesOf(this.input.descriptor.paging, {
      http: this.http,
      path: endpoint.path,
      query: listQuery(endpoint, request),
      signal: ctx.signal,
    })) {
      if (firstPage && page.servedAt !== undefined) scanStart = Math.min(scanStart, page.servedAt);
      firstPage = false;
      const records = page.entries.map((entry) => toSourceRecord(entry, endpoint, `${this.http.label} ${endpoint.path}`));
      await this.completeLineItems(request.endpoint, endpoint, records);
      await this.fillReferencedRates(request.endpoint, records, ctx.signal);
      if (cursor) {
        for (const r of records) {
          const value = r.data[cursor.field];
          if (typeof value === 'number' && (highest === undefined || value > highest)) highest = value;
        }
      }
      const checkpoint: ChargebeeCheckpoint | undefined = cursor?.sortable && highest !== undefined ? { cursor: highest, field: cursor.field } : undefined;
      yield { records, progress: { page: page.number }, ...(checkpoint ? { checkpoint } : {}) };
    }

    if (cursor && !cursor.sortable && highest !== undefined) {
      // Not sorted by the cursor: a record updated while we listed may carry a time below the highest
      // one seen, so never move past the moment the listing started.
      const final: ChargebeeCheckpoint = { cursor: Math.min(highest, scanStart - 1), field: cursor.field };
      if (previous === undefined || final.cursor > previous) yield { records: [], checkpoint: final };
    }
  }
}
