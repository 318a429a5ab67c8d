/**
 * Pagers: async generators of pages, one per paging style. A connector names its style in its
 * descriptor (`paging:`) and lists through `pagesOf`; it reads records out of each page.
 */
import { LedgersyncError } from '../errors.js';
import type { PagingDescriptor } from '../connector/descriptor.js';
import type { HttpConnection, HttpResponse, QueryValue } from '../http/connection.js';

export interface Page<T = unknown> {
  /** 1-based page number within this listing. */
  number: number;
  entries: T[];
  /** The raw decoded body, for pagers' callers that need more than the entries. */
  body: unknown;
  /**
   * When the server answered, by its own clock (the response's `Date` header, unix seconds);
   * undefined when it sent none or an unreadable one.
   */
  servedAt?: number;
}

function servedAt(res: HttpResponse): { servedAt?: number } {
  const date = res.headers.get('date');
  const ms = date ? Date.parse(date) : Number.NaN;
  return Number.isFinite(ms) ? { servedAt: Math.floor(ms / 1000) } : {};
}

export interface ListRequest {
  http: HttpConnection;
  path: string;
  query: Record<string, QueryValue>;
  /** Stop early (e.g. the run was aborted). */
  signal?: AbortSignal;
}

function entriesAt(body: unknown, field: string, where: string): unknown[] {
  const value = (body as Record<string, unknown> | null)?.[field];
  if (value === undefined) return [];
  if (!Array.isArray(value)) {
    throw new LedgersyncError('unexpected_response', 'transient', `${where}: expected '${field}' to be a list in the response`);
  }
  return value;
}

/**
 * Opaque offset token (Chargebee): `limit` per page, the response's `next_field` copied into
 * `offset_param` of the next request, no `next_field` on the last page.
 */
export async function* offsetTokenPager(
  request: ListRequest & { limitParam: string; pageSize: number; offsetParam: string; nextField: string; recordsField: string; startOffset?: string },
): AsyncGenerator<Page> {
  let offset = request.startOffset;
  for (let number = 1; ; number++) {
    if (request.signal?.aborted) return;
    const res = await request.http.request({
      method: 'GET',
      path: request.path,
      query: { ...request.query, [request.limitParam]: request.pageSize, ...(offset ? { [request.offsetParam]: offset } : {}) },
    });
    const body = res.json<Record<string, unknown>>();
    yield { number, entries: entriesAt(body, request.recordsField, `${request.http.label} ${request.path}`), body, ...servedAt(res) };
    const next = body[request.nextField];
    if (typeof next !== 'string' || next === '') return;
    if (next === offset) {
      throw new LedgersyncError(
        'paging_loop',
        'transient',
        `${request.http.label} ${request.path} returned the same ${request.nextField} twice; stopping to avoid an endless loop`,
      );
    }
    offset = next;
  }
}

/** `limit` + numeric `offset` (DualEntry): stops on a short page or when `count` is reached. */
export async function* limitOffsetPager(
  request: ListRequest & { limitParam: string; offsetParam: string; pageSize: number; recordsField: string; countField?: string },
): AsyncGenerator<Page> {
  let offset = 0;
  for (let number = 1; ; number++) {
    if (request.signal?.aborted) return;
    const res = await request.http.request({
      method: 'GET',
      path: request.path,
      query: { ...request.query, [request.limitParam]: request.pageSize, [request.offsetParam]: offset },
    });
    const body = res.json<Record<string, unknown>>();
    const entries = entriesAt(body, request.recordsField, `${request.http.label} ${request.path}`);
    yield { number, entries, body, ...servedAt(res) };
    offset += entries.length;
    const count = request.countField ? Number(body[request.countField]) : undefined;
    if (entries.length < request.pageSize || entries.length === 0 || (count !== undefined && Number.isFinite(count) && offset >= count)) return;
  }
}

/** OData `$top` / `$skip` (Acumatica): the body is the array of entities; stops on a short page. */
export async function* topSkipPager(request: ListRequest & { topParam: string; skipParam: string; pageSize: number }): AsyncGenerator<Page> {
  let skip = 0;
  for (let number = 1; ; number++) {
    if (request.signal?.aborted) return;
    const res = await request.http.request({
      method: 'GET',
      path: request.path,
      query: { ...request.query, [request.topParam]: request.pageSize, [request.skipParam]: skip },
    });
    const body = res.json<unknown>();
    if (!Array.isArray(body)) throw new LedgersyncError('unexpected_response', 'transient', `${request.http.label} ${request.path}: expected a JSON array`);
    yield { number, entries: body, body, ...servedAt(res) };
    skip += body.length;
    if (body.length < request.pageSize) return;
  }
}

/** Lists that come back whole: one request, the body is the array of entries. */
export async function* singlePage(request: ListRequest): AsyncGenerator<Page> {
  if (request.signal?.aborted) return;
  const res = await request.http.request({ method: 'GET', path: request.path, query: request.query });
  const body = res.json<unknown>();
  if (!Array.isArray(body)) throw new LedgersyncError('unexpected_response', 'transient', `${request.http.label} ${request.path}: expected a JSON array`);
  yield { number: 1, entries: body, body, ...servedAt(res) };
}

/**
 * The pages of one listing, in the paging style the connector's descriptor names: connectors say
 * how their API pages in data and never page by hand.
 */
export function pagesOf(paging: PagingDescriptor | undefined, request: ListRequest): AsyncGenerator<Page> {
  switch (paging?.type) {
    case 'offset_token':
      return offsetTokenPager({
        ...request,
        limitParam: paging.limit_param,
        pageSize: paging.page_size,
        offsetParam: paging.offset_param,
        nextField: paging.next_field,
        recordsField: paging.records_field,
      });
    case 'limit_offset':
      return limitOffsetPager({
        ...request,
        limitParam: paging.limit_param,
        offsetParam: paging.offset_param,
        pageSize: paging.page_size,
        recordsField: paging.records_field,
        ...(paging.count_field !== undefined ? { countField: paging.count_field } : {}),
      });
    case 'top_skip':
      return topSkipPager({ ...request, topParam: paging.top_param, skipParam: paging.skip_param, pageSize: paging.page_size });
    case 'none':
    case undefined:
      return singlePage(request);
  }
}
