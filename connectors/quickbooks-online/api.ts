/**
 * The QBO v3 calls the sink makes, each with `minorversion` and in the form Intuit's SDKs send
 * (node-quickbooks, QuickBooks-V3-PHP-SDK): query, read, create, sparse update, void, delete and batch. Batch requests also pass a sliding-window limiter of
 * their own (40 a minute per realm), on top of the connection's 500 a minute.
 */
import { LedgersyncError } from '../../engine/errors.js';
import type { HttpConnection, HttpRequest, HttpResponse, SendResult } from '../../engine/http/connection.js';
import { ExactNumber, exactJson } from '../../engine/http/exact-json.js';
import type { SlidingWindowLimiter } from '../../engine/http/sliding-window.js';
import { isUnexplainedRefusal, readFault, type QboFault } from './faults.js';

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
  | { bId: string; rows: Record<string, unknown>[] }
  /** The answer lacks this item: its operation may have been applied. */
  | { bId: string; uncertain: LedgersyncError };

/**
 * What became of a write: QBO's answer, or `uncertain` when it may have been applied without an
 * answer to show for it (a 5xx or gateway 429 after it was sent, a reset, garbage, an answer without
 * the entity, a refusal of a repeat that cannot be read). QBO's refusals are thrown (a fault as a
 * `record` error).
 */
export type WriteAnswer<T> = { outcome: 'answered'; value: T } | { outcome: 'uncertain'; error: LedgersyncError };

/**
 * `repeat`: the write is sent again after an attempt whose answer was lost. Its refusal may then mean
 * the first attempt landed (5010 stale SyncToken, 6140 number taken, 610 gone), so one whose reason
 * cannot be read (a 4xx without a QBO Fault, e.g. cut short) leaves the write in doubt, not refused.
 */
export interface WriteOptions {
  repeat?: boolean;
}

/** A QBO query string literal: single quotes, with `\` and `'` escaped by a backslash. */
export function quote(value: string): string {
  return `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export interface QboApiOptions {
  minorVersion: number;
  /** Elements sent as JSON numbers (descriptor `settings.decimal_fields`). */
  decimalFields: ReadonlySet<string>;
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

  /** Whole entities by Id (what a write in doubt is compared with); absent ones are not in the map. */
  async entities(object: string, ids: readonly string[]): Promise<Map<string, QboEntity>> {
    const out = new Map<string, QboEntity>();
    for (let i = 0; i < ids.length; i += 30) {
      const chunk = [...new Set(ids.slice(i, i + 30))];
      const rows = await this.query(object, `select * from ${object} where Id in (${chunk.map(quote).join(', ')})`);
      for (const row of rows) out.set(String(row['Id']), row as QboEntity);
    }
    return out;
  }

  async read(object: string, id: string): Promise<QboEntity> {
    const response = await this.connection.request({ method: 'GET', path: `${object.toLowerCase()}/${encodeURIComponent(id)}`, query: this.mv });
    return entityOf(response.json(), object);
  }

  /** Create: `POST /{entity}` without an Id. Throws the QBO fault as a record error. */
  async create(object: string, body: Record<string, unknown>, options: WriteOptions = {}): Promise<WriteAnswer<QboEntity>> {
    return this.write(object, { method: 'POST', path: object.toLowerCase(), query: this.mv, ...this.jsonBody(body) }, options);
  }

  /** Sparse update as Intuit's SDKs send it: `POST /{entity}?operation=update` with Id, SyncToken and `sparse: true`. */
  async update(object: string, body: Record<string, unknown>, options: WriteOptions = {}): Promise<WriteAnswer<QboEntity>> {
    return this.write(
      object,
      {
        method: 'POST',
        path: object.toLowerCase(),
        query: { operation: 'update', ...this.mv },
        ...this.jsonBody({ ...body, sparse: true }),
      },
      options,
    );
  }

  /** A request body with every decimal element a JSON number, written digit for digit from the mapped text (no float). */
  private jsonBody(body: unknown): { body: string; contentType: string } {
    return { body: decimalJson(body, this.options.decimalFields), contentType: 'application/json' };
  }

  private async write(object: string, request: HttpRequest, options: WriteOptions): Promise<WriteAnswer<QboEntity>> {
    const sent = await this.sendWrite(() => this.connection.send(request), options);
    if (sent.outcome === 'uncertain') return sent;
    const entity = entityIn(sent.value.json(), object);
    return entity ? { outcome: 'answered', value: entity } : { outcome: 'uncertain', error: unexpectedAnswer(object) };
  }

  /** A write sent once: its answer, `uncertain` when it was lost, or QBO's refusal thrown (see `refused`). */
  private async sendWrite(send: () => Promise<SendResult>, options: WriteOptions): Promise<WriteAnswer<HttpResponse>> {
    const sent = await send();
    if (sent.outcome === 'failed') return refused(sent.error, options.repeat === true);
    if (sent.outcome === 'uncertain') return { outcome: 'uncertain', error: sent.error };
    return { outcome: 'answered', value: sent.response };
  }

  /**
   * Void or delete as Intuit's SDKs send them: `?operation=void|delete` with `{Id, SyncToken}`; a
   * Payment or SalesReceipt is voided by a sparse update with `include=void` (the PHP SDK's
   * PAYMENTCLASSNAME / VOID_QUERYPARAMETER_PAYMENT, node-quickbooks' voidPayment).
   *
   * Sent once, like a create: a lost answer comes back `uncertain`, and the sink reads the document
   * back before it sends the operation again (as a repeat: see WriteOptions).
   */
  async operation(
    object: string,
    operation: 'void' | 'delete',
    id: string,
    syncToken: string,
    options: WriteOptions = {},
  ): Promise<WriteAnswer<Record<string, unknown>>> {
    const byUpdate = operation === 'void' && VOIDED_BY_SPARSE_UPDATE.has(object);
    const request: HttpRequest = {
      method: 'POST',
      path: object.toLowerCase(),
      query: byUpdate ? { operation: 'update', include: 'void', ...this.mv } : { operation, ...this.mv },
      json: byUpdate ? { Id: id, SyncToken: syncToken, sparse: true } : { Id: id, SyncToken: syncToken },
      idempotent: false,
    };
    const sent = await this.sendWrite(() => this.connection.send(request), options);
    if (sent.outcome === 'uncertain') return sent;
    return { outcome: 'answered', value: (sent.value.json<Record<string, unknown>>()[object] as Record<string, unknown> | undefined) ?? {} };
  }

  /** The company's country (CompanyInfo.Country, e.g. `US`), or undefined when QBO does not say. */
  async companyCountry(): Promise<string | undefined> {
    const [info] = await this.query('CompanyInfo', 'select * from CompanyInfo');
    const country = info?.['Country'];
    return typeof country === 'string' && country !== '' ? country : undefined;
  }

  /** Whether a batch request sent now would go without waiting for QBO's batch allowance (40 a minute). */
  batchHasRoom(): boolean {
    return this.options.batchLimiter.hasRoom();
  }

  /** One batch request (≤ 30 items). Item faults come back as outcomes; refusals of the request throw; a lost answer is `uncertain`. */
  async batch(items: readonly BatchItem[], signal?: AbortSignal, options: WriteOptions = {}): Promise<WriteAnswer<BatchOutcome[]>> {
    const request: HttpRequest = {
      method: 'POST',
      path: 'batch',
      query: this.mv,
      ...this.jsonBody({
        BatchItemRequest: items.map((item) =>
          item.query !== undefined ? { bId: item.bId, Query: item.query } : { bId: item.bId, operation: item.operation, [item.object!]: item.entity },
        ),
      }),
    };
    const sent = await this.sendWrite(() => this.options.batchLimiter.run(() => this.connection.send(request), signal), options);
    if (sent.outcome === 'uncertain') return sent;
    const list = sent.value.json<{ BatchItemResponse?: Record<string, unknown>[] }>().BatchItemResponse ?? [];
    const byId = new Map(list.map((r) => [String(r['bId']), r]));
    return { outcome: 'answered', value: items.map((item) => this.batchItem(item, byId.get(item.bId))) };
  }

  private batchItem(item: BatchItem, r: Record<string, unknown> | undefined): BatchOutcome {
    if (!r) {
      return {
        bId: item.bId,
        uncertain: new LedgersyncError('qbo_batch_incomplete', 'transient', `QuickBooks batch answer lacks item ${item.bId}`, { mayHaveSucceeded: true }),
      };
    }
    const fault = readFault(r);
    if (fault) return { bId: item.bId, fault };
    if (item.query !== undefined) return { bId: item.bId, rows: rowsOf(r['QueryResponse'] as Record<string, unknown> | undefined, item.object ?? '') };
    const entity = r[item.object!] as Record<string, unknown> | undefined;
    return entity ? { bId: item.bId, entity } : { bId: item.bId, uncertain: unexpectedAnswer(item.object!) };
  }
}

/** A write QBO refused: thrown, unless it repeats a write whose answer was lost and the refusal cannot say why (see WriteOptions). */
function refused(error: LedgersyncError, repeat: boolean): { outcome: 'uncertain'; error: LedgersyncError } {
  if (!repeat || !isUnexplainedRefusal(error)) throw error;
  return {
    outcome: 'uncertain',
    error: new LedgersyncError(
      error.code,
      'transient',
      `${error.message} (to a repeat of a write whose first answer was lost: the first may have landed, so it is looked up)`,
      { details: error.details, cause: error, mayHaveSucceeded: true },
    ),
  };
}

function rowsOf(queryResponse: Record<string, unknown> | undefined, entity: string): Record<string, unknown>[] {
  const rows = queryResponse?.[entity];
  return Array.isArray(rows) ? (rows as Record<string, unknown>[]) : [];
}

function entityIn(body: unknown, object: string): QboEntity | undefined {
  const entity = (body as Record<string, unknown> | undefined)?.[object] as QboEntity | undefined;
  return entity && typeof entity.Id === 'string' ? entity : undefined;
}

function entityOf(body: unknown, object: string): QboEntity {
  const entity = entityIn(body, object);
  if (!entity) throw unexpectedAnswer(object);
  return entity;
}

function unexpectedAnswer(object: string): LedgersyncError {
  return new LedgersyncError('qbo_unexpected_answer', 'transient', `QuickBooks answered without a ${object}`, { mayHaveSucceeded: true });
}

const DECIMAL_TEXT = /^-?\d+(\.\d+)?$/;

/**
 * JSON text of `value` in which a string that is a plain decimal, under a key of `decimalFields`, is
 * written as a JSON number with the same digits: QBO's XSD types amounts xs:decimal and Intuit's SDKs
 * send them as numbers; going through a JS number would round what a float cannot hold.
 */
export function decimalJson(value: unknown, decimalFields: ReadonlySet<string>): string {
  return exactJson(withExactDecimals(value, decimalFields));
}

function withExactDecimals(value: unknown, decimalFields: ReadonlySet<string>, key?: string): unknown {
  if (typeof value === 'string' && key !== undefined && decimalFields.has(key) && DECIMAL_TEXT.test(value)) return new ExactNumber(value);
  if (Array.isArray(value)) return value.map((item) => withExactDecimals(item, decimalFields, key));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withExactDecimals(v, decimalFields, k)]));
  }
  return value;
}
