/**
 * The contract-based REST calls the sink makes, under `{url}/entity/{endpoint}/{version}/`:
 * listings with `$filter`, `$select`, `$expand` paged by `$top`/`$skip`; `PUT` (insert or update;
 * `If-None-Match: *` to insert only); `DELETE`; actions (`POST {Entity}/{Action}` answering 202 with
 * a `Location` polled until 204); and `GET {url}/entity`, the endpoints the tenant serves.
 */
import type { PagingDescriptor } from '../../engine/connector/descriptor.js';
import { LedgersyncError } from '../../engine/errors.js';
import type { HttpConnection, HttpRequest, HttpResponse } from '../../engine/http/connection.js';
import { pagesOf } from '../../engine/paging/pagers.js';
import type { Contract } from './contract.js';
import { acumaticaFailure, bodyOf, exceptionOf } from './errors.js';
import { exactJson } from '../../engine/http/exact-json.js';
import { type Plain, unwrap, type WrapOptions, wrapRecord } from './values.js';

export interface ListOptions {
  filter?: string;
  select?: readonly string[];
  expand?: readonly string[];
}

export interface ActionTiming {
  pollMs: number;
  maxPollMs: number;
  timeoutSeconds: number;
  sleep(ms: number): Promise<void>;
}

/** Filters per look-up request: keeps the URL short. */
export const LOOKUPS_PER_REQUEST = 20;

/** An OData string literal: single quotes, a quote doubled. */
export function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}

export class AcumaticaApi {
  constructor(
    readonly connection: HttpConnection,
    private readonly contract: Contract,
    private readonly paging: PagingDescriptor | undefined,
    private readonly timing: ActionTiming,
    private readonly describe: (response: HttpResponse, request: HttpRequest) => LedgersyncError,
    private readonly wrapping: WrapOptions,
  ) {}

  /** Throws the record error `put` would for a mapped record that does not fit the contract, sending nothing. */
  check(entity: string, record: Plain): void {
    wrapRecord(this.contract, entity, record, this.wrapping);
  }

  /** Every record of `entity` the filter matches, unwrapped. */
  async list(entity: string, options: ListOptions): Promise<Plain[]> {
    const query: Record<string, string> = {};
    if (options.filter) query['$filter'] = options.filter;
    if (options.select?.length) query['$select'] = options.select.join(',');
    if (options.expand?.length) query['$expand'] = options.expand.join(',');
    const out: Plain[] = [];
    for await (const page of pagesOf(this.paging, { http: this.connection, path: entity, query })) {
      for (const entry of page.entries) out.push(unwrap(entry));
    }
    return out;
  }

  /**
   * `PUT {Entity}`: the mapped record wrapped. `insertOnly` sends `If-None-Match: *` (an existing key
   * answers 412, returned as undefined). `retrySafe` says whether a repeated PUT cannot create a
   * second record (true when the body names the record by key or id).
   */
  async put(entity: string, record: Plain, options: { insertOnly?: boolean; retrySafe: boolean; expand?: readonly string[] }): Promise<Plain | undefined> {
    const body = exactJson(wrapRecord(this.contract, entity, record, this.wrapping));
    const response = await this.connection.request({
      method: 'PUT',
      path: entity,
      body,
      contentType: 'application/json',
      ...(options.expand?.length ? { query: { $expand: options.expand.join(',') } } : {}),
      ...(options.insertOnly ? { headers: { 'if-none-match': '*' } } : {}),
      idempotent: options.retrySafe,
      acceptErrors: options.insertOnly === true,
    });
    if (response.status === 412) return undefined;
    if (response.status >= 400) throw this.describe(response, { method: 'PUT', path: entity });
    const answer = bodyOf(response);
    if (typeof answer !== 'object' || answer === null) {
      throw new LedgersyncError('acumatica_unexpected_answer', 'transient', `${this.connection.label}: PUT ${entity} answered without the record`, {
        mayHaveSucceeded: true,
      });
    }
    return unwrap(answer);
  }

  /** `DELETE {Entity}/{key1}/{key2}`. */
  async delete(entity: string, keys: readonly string[]): Promise<void> {
    await this.connection.request({ method: 'DELETE', path: `${entity}/${keys.map(encodeURIComponent).join('/')}`, idempotent: false });
  }

  /**
   * Runs an action on the record named by `keys` (e.g. ReleaseInvoice) and waits until Acumatica
   * reports it done: 204, or 202 with a `Location` polled until 204. Only Acumatica's own failure
   * answer to a poll (its error body) is the action failing, a record error carrying its message; a
   * poll answered by something else (a gateway's 502, a 429, a reset) says nothing about the action,
   * which may have completed: that is thrown with `mayHaveSucceeded`, and the caller looks the
   * document up.
   */
  async action(entity: string, action: string, keys: Plain): Promise<void> {
    const entityBody = exactJson(wrapRecord(this.contract, entity, keys, this.wrapping));
    const started = await this.connection.request({
      method: 'POST',
      path: `${entity}/${action}`,
      body: `{"entity":${entityBody}}`,
      contentType: 'application/json',
      idempotent: false,
    });
    let location = started.headers.get('location');
    if (started.status !== 202 || !location) return;
    const deadline = Date.now() + this.timing.timeoutSeconds * 1000;
    let wait = this.timing.pollMs;
    for (;;) {
      await this.timing.sleep(wait);
      const poll = await this.poll(action, absolute(this.connection.baseUrl, location));
      if (poll.status === 204 || poll.status === 200) return;
      if (poll.status !== 202) {
        const failure = acumaticaFailure(poll);
        if (!failure) throw this.lostPoll(action, `answered HTTP ${poll.status}: ${exceptionOf(poll).message}`);
        throw new LedgersyncError('acumatica_action_failed', 'record', `${this.connection.label}: ${action} failed: ${failure}`, {
          fix: 'correct the document in Acumatica or the mapping; the next run tries to release it again',
          details: { status: poll.status, action },
        });
      }
      location = poll.headers.get('location') ?? location;
      if (Date.now() > deadline) {
        throw new LedgersyncError(
          'acumatica_action_timeout',
          'transient',
          `${this.connection.label}: ${action} did not complete in ${this.timing.timeoutSeconds} s`,
          {
            fix: 'the next run looks at the document again and releases it if it is still unreleased',
          },
        );
      }
      wait = Math.min(wait * 2 || 1, this.timing.maxPollMs);
    }
  }

  /** One status poll; a poll whose answer is lost (reset, unreadable) leaves the action's outcome unknown. */
  private async poll(action: string, url: string): Promise<HttpResponse> {
    try {
      // Not retried by the client: a 500 is the action's answer, not a fault to retry.
      return await this.connection.request({ method: 'GET', path: url, idempotent: false, acceptErrors: true });
    } catch (error) {
      if (!(error instanceof LedgersyncError) || error.kind !== 'transient') throw error;
      throw this.lostPoll(action, `failed (${error.message})`, error);
    }
  }

  private lostPoll(action: string, answer: string, cause?: LedgersyncError): LedgersyncError {
    return new LedgersyncError(
      'acumatica_action_unconfirmed',
      'transient',
      `${this.connection.label}: whether ${action} completed is unknown: its status poll ${answer}`,
      {
        fix: 'the document is looked up: its status says whether the action completed',
        details: { action },
        mayHaveSucceeded: true,
        ...(cause ? { cause } : {}),
      },
    );
  }

  /** `GET {url}/entity`: `Default/24.200.001`, … as the tenant lists them; empty when it cannot be read. */
  async servedEndpoints(instanceUrl: string, path: string): Promise<string[]> {
    try {
      const response = await this.connection.request({ method: 'GET', path: instanceUrl + path, acceptErrors: true });
      const body = bodyOf(response) as { endpoints?: { name?: unknown; version?: unknown }[] } | undefined;
      return (body?.endpoints ?? [])
        .filter((e) => typeof e.name === 'string' && typeof e.version === 'string')
        .map((e) => `${String(e.name)}/${String(e.version)}`);
    } catch {
      return [];
    }
  }
}

function absolute(baseUrl: string, location: string): string {
  if (/^https?:\/\//i.test(location)) return location;
  return new URL(location, baseUrl).toString();
}
