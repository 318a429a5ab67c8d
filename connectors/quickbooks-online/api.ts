/**
 * The QBO v3 calls the sink makes, each with `minorversion` and in the form Intuit's SDKs send
 * (node-quickbooks, QuickBooks-V3-PHP-SDK): query, read, create, sparse update, void, delete and batch. Batch requests also pass a sliding-window limiter of
 * their own (40 a minute per realm), on top of the connection's 500 a minute.
 */
import { LedgersyncError } from '../../engine/errors.js';
import type { HttpConnection, HttpRequest } from '../../engine/http/connection.js';
import type { SlidingWindowLimiter } from '../../engine/http/sliding-window.js';
import { readFault, type QboFault } from './faults.js';

export type QboEntity = Record<string, unknown> & { Id: string; SyncToken: string };

export type BatchOperation = 'create' | 'update' | 'delete';

/** Entities Intuit voids with `?operation=update&include=void` instead of `?operation=void`. */
export const VOIDED_BY_SPARSE_UPDATE: ReadonlySet<string> = new Set(['Payment', 'SalesReceipt']);

export interface BatchItem {
  bId: string;
  operation?: BatchOperation;
  object?: string;
  entity?: Record<string, unknown>;
  query?: string;
}

export type BatchOutcome =
  | { bId: string; entity: Record<string, unknown> }
  | { bId: string; fault: QboFault }
  | { bId: string; rows: Record<string, unknown>[] };

/** A QBO query string literal: single quotes, with `\` and `'` escaped by a backslash. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export interface QboApiOptions {
  minorVersion: number;
  /** Batch calls (40 a minute per realm), on top of the connection's limit on all calls. */
  batchLimiter: SlidingWindowLimiter;
}

export class QboApi {
  constructor(
    readonly connection: HttpConnection,
    private readonly options: QboApiOptions,
  ) {}

  private get mv(): { minorversion: number } {
    return { minorversion: this.options.minorVersion };
  }

  /** Runs a query and returns the rows of `entity` (empty when none). */
  async query(entity: string, text: string): Promise<Record<string, unknown>[]> {
    const response = await this.connection.request({ method: 'GET', path: 'query', query: { query: text, ...this.mv } });
    const body = response.json<{ QueryResponse?: Record<string, unknown> }>();
    return rowsOf(body.QueryResponse, entity);
  }

  /** Every row of a query, paged with startposition / maxresults (1000, QBO's maximum). */
  async queryAll(entity: string, select: string): Promise<Record<string, unknown>[]> {
    const rows: Record<string, unknown>[] = [];
    for (let start = 1; ; start += 1000) {
      const page = await this.query(entity, `${select} startposition ${start} maxresults 1000`);
      rows.push(...page);
      if (page.length < 1000) return rows;
    }
  }

  async read(object: string, id: string): Promise<QboEntity> {
    const response = await this.connection.request({ method: 'GET', path: `${object.toLowerCase()}/${encodeURIComponent(id)}`, query: this.mv });
    return entityOf(response.json(), object);
  }

  /** Create: `POST /{entity}` without an Id. Throws the QBO fault as a record error. */
  async create(object: string, body: Record<string, unknown>): Promise<QboEntity> {
    const response = await this.connection.request({ method: 'POST', path: object.toLowerCase(), query: this.mv, json: body });
    return entityOf(response.json(), object);
  }

  /** Sparse update as Intuit's SDKs send it: `POST /{entity}?operation=update` with Id, SyncToken and `sparse: true`. */
  async update(object: string, body: Record<string, unknown>): Promise<QboEntity> {
    const response = await this.connection.request({
      method: 'POST',
      path: object.toLowerCase(),
      query: { operation: 'update', ...this.mv },
      json: { ...body, sparse: true },
    });
    return entityOf(response.json(), object);
  }

  /**
   * Void or delete as Intuit's SDKs send them: `?operation=void|delete` with `{Id, SyncToken}`; a
   * Payment or SalesReceipt is voided by a sparse update with `include=void` (the PHP SDK's
   * PAYMENTCLASSNAME / VOID_QUERYPARAMETER_PAYMENT, node-quickbooks' voidPayment).
   */
  async operation(object: string, operation: 'void' | 'delete', id: string, syncToken: string): Promise<Record<string, unknown>> {
    const byUpdate = operation === 'void' && VOIDED_BY_SPARSE_UPDATE.has(object);
    const response = await this.connection.request({
      method: 'POST',
      path: object.toLowerCase(),
      query: byUpdate ? { operation: 'update', include: 'void', ...this.mv } : { operation, ...this.mv },
      json: byUpdate ? { Id: id, SyncToken: syncToken, sparse: true } : { Id: id, SyncToken: syncToken },
      // Voiding or deleting twice leaves QBO as once: safe to retry after a lost response.
      idempotent: true,
    });
    const body = response.json<Record<string, unknown>>();
    return (body[object] as Record<string, unknown> | undefined) ?? {};
  }

  /** The company's country (CompanyInfo.Country, e.g. `US`), or undefined when QBO does not say. */
  async companyCountry(): Promise<string | undefined> {
    const [info] = await this.query('CompanyInfo', 'select * from CompanyInfo');
    const country = info?.['Country'];
    return typeof country === 'string' && country !== '' ? country : undefined;
  }

  /** One batch request (≤ 30 items). Item faults come back as outcomes; request failures throw. */
  async batch(items: readonly BatchItem[], signal?: AbortSignal): Promise<BatchOutcome[]> {
    const request: HttpRequest = {
      method: 'POST',
      path: 'batch',
      query: this.mv,
      json: {
        BatchItemRequest: items.map((item) =>
          item.query !== undefined ? { bId: item.bId, Query: item.query } : { bId: item.bId, operation: item.operation, [item.object!]: item.entity },
        ),
      },
    };
    const response = await this.options.batchLimiter.run(() => this.connection.request(request), signal);
    const list = response.json<{ BatchItemResponse?: Record<string, unknown>[] }>().BatchItemResponse ?? [];
    const byId = new Map(list.map((r) => [String(r['bId']), r]));
    return items.map((item) => {
      const r = byId.get(item.bId);
      if (!r) throw new LedgersyncError('qbo_batch_incomplete', 'transient', `QuickBooks batch answer lacks item ${item.bId}`, { mayHaveSucceeded: true });
      const fault = readFault(r);
      if (fault) return { bId: item.bId, fault };
      if (item.query !== undefined) return { bId: item.bId, rows: rowsOf(r['QueryResponse'] as Record<string, unknown> | undefined, item.object ?? '') };
      return { bId: item.bId, entity: (r[item.object!] as Record<string, unknown> | undefined) ?? {} };
    });
  }
}

function rowsOf(queryResponse: Record<string, unknown> | undefined, entity: string): Record<string, unknown>[] {
  const rows = queryResponse?.[entity];
  return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
}

function entityOf(body: unknown, object: string): QboEntity {
  const entity = (body as Record<string, unknown> | undefined)?.[object] as QboEntity | undefined;
  if (!entity || typeof entity.Id !== 'string') {
    throw new LedgersyncError('qbo_unexpected_answer', 'transient', `QuickBooks answered without a ${object}`, { mayHaveSucceeded: true });
  }
  return entity;
}
