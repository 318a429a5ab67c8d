/**
 * One company's XML gateway: logs in once (getAPISession) and reuses the session id and the
 * endpoint Intacct hands back until the session expires, then logs in again. Every response level
 * is checked: a control failure runs nothing, an authentication failure runs no function, and a
 * function failure concerns that function only.
 */
import { READ_BY_QUERY_MAX_PAGE_SIZE, checkPageSize } from './query.js';
import { createHash, randomUUID } from 'node:crypto';
import { LedgersyncError } from '../../engine/errors.js';
import type { HttpConnection } from '../../engine/http/connection.js';
import { registerSecret, type Logger } from '../../engine/log.js';
import { intacctError } from './errors.js';
import {
  buildRequest,
  child,
  parseResponse,
  readResult,
  text,
  type Authentication,
  type FunctionResult,
  type GatewayFunction,
  type IntacctError,
  type ParsedResponse,
} from './xml.js';

export interface IntacctCredentials {
  senderId: string;
  senderPassword: string;
  companyId: string;
  userId: string;
  userPassword: string;
  /** Multi-entity companies: log in to this entity (location id). */
  entityId?: string;
}

/** The control id was used before under uniqueid: that exact request was applied already. */
export class DuplicateControlIdError extends LedgersyncError {
  constructor(controlId: string, errors: readonly IntacctError[]) {
    super('intacct_duplicate_control_id', 'transient', `Sage Intacct already processed request ${controlId}`, { details: { controlId, errors } });
  }
}

const duplicateControlNumbers = new Set(['XL03000013']);

/**
 * Intacct's answer when the sender is valid but not authorized in the company: an authentication
 * failure under the same errorno as a wrong user password (XL03000006), told apart by its words
 * ("Invalid Web Services Authorization"; "The sender ID '…' is not authorized to make Web Services requests…").
 */
function senderNotAuthorized(errors: readonly IntacctError[]): boolean {
  return errors.some((e) => /web services authori[sz]ation/i.test(e.description) || /sender id .* not authori[sz]ed/i.test(e.description2));
}

type Uncertain = { outcome: 'uncertain'; error: LedgersyncError };
/** The results of a write request, or `uncertain` when its answer was lost. */
export type WriteAnswer = { outcome: 'answered'; results: FunctionResult[] } | Uncertain;

export interface ExecuteOptions {
  /** Deterministic control id: with `uniqueId` a repeat of the same request is refused instead of applied twice. Default: random, not unique. */
  controlId?: string;
  uniqueId?: boolean;
  transaction?: boolean;
}

/** A request's control id from its functions' control ids: the same writes always get the same id. */
export function requestControlId(functions: readonly GatewayFunction[]): string {
  const digest = createHash('sha256')
    .update(functions.map((f) => f.controlId).join('\n'))
    .digest('hex');
  return `ls-${digest.slice(0, 40)}`;
}

export class IntacctGateway {
  private session: { id: string; endpoint: string; expiresAt: number } | undefined;
  private login: Promise<void> | undefined;
  /** Requests sent (logins included), for figures. */
  readonly counters = { requests: 0, logins: 0, functions: 0 };

  constructor(
    private readonly http: HttpConnection,
    private readonly credentials: IntacctCredentials,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {
    registerSecret(credentials.senderPassword);
    registerSecret(credentials.userPassword);
  }

  private get label(): string {
    return `Sage Intacct company '${this.credentials.companyId}'`;
  }

  private async post(url: string, body: string, idempotent: boolean) {
    const sent = await this.send(url, body, idempotent);
    if (sent.outcome === 'uncertain') throw sent.error;
    return sent.parsed;
  }

  /** One gateway request; a write whose answer was lost (a 5xx, a reset, XML garbage) comes back `uncertain`. */
  private async send(url: string, body: string, idempotent: boolean): Promise<{ outcome: 'answered'; parsed: ParsedResponse } | Uncertain> {
    this.counters.requests++;
    const sent = await this.http.send({
      method: 'POST',
      path: url,
      body,
      contentType: 'application/xml',
      idempotent,
      headers: { accept: 'application/xml' },
    });
    if (sent.outcome === 'failed') throw sent.error;
    if (sent.outcome === 'uncertain') return { outcome: 'uncertain', error: sent.error };
    return { outcome: 'answered', parsed: (sent.response.parsed as ParsedResponse | undefined) ?? parseResponse(sent.response.text) };
  }

  private controlFailure(errors: readonly IntacctError[], controlId: string): LedgersyncError {
    if (errors.some((e) => duplicateControlNumbers.has(e.errorno))) return new DuplicateControlIdError(controlId, errors);
    const senderProblem = errors.some((e) => e.errorno === 'XL03000006' || /sender|partner id/i.test(e.description2 + e.description));
    if (senderProblem) {
      return intacctError(
        'auth',
        `${this.label}: the Web Services sender credentials were rejected (sender id '${this.credentials.senderId}')`,
        errors,
        {},
        'check INTACCT_SENDER_ID and INTACCT_SENDER_PASSWORD, and that this sender id is authorized in the company (Company > Setup > Company > Security > Web Services authorizations)',
      );
    }
    const gateway = errors.some((e) => /^GW-/.test(e.errorno));
    return intacctError(gateway ? 'transient' : 'system', `${this.label}: the gateway refused the request`, errors);
  }

  /** The sender's credentials passed, but the company has not authorized this sender for Web Services. */
  private senderNotAuthorized(errors: readonly IntacctError[]): LedgersyncError {
    const { senderId, companyId } = this.credentials;
    return intacctError(
      'auth',
      `${this.label}: the Web Services sender '${senderId}' is not authorized in this company (its sender ID and password were accepted)`,
      errors,
      {},
      `a company administrator adds the sender ID '${senderId}' in Intacct under Company > Setup > Company > Security > Web Services authorizations (company '${companyId}'); if the sender ID is not yours, correct INTACCT_SENDER_ID and INTACCT_SENDER_PASSWORD`,
    );
  }

  /** Logs in with the company user and keeps the session it returns. */
  private async logIn(): Promise<void> {
    this.counters.logins++;
    const { userId, companyId, userPassword: password, entityId } = this.credentials;
    const auth: Authentication = { login: { userId, companyId, password, ...(entityId ? { entityId } : {}) } };
    const fn: GatewayFunction = { controlId: 'session', name: 'getAPISession', body: {} };
    const controlId = randomUUID();
    const parsed = await this.post(
      this.http.baseUrl,
      buildRequest({ senderId: this.credentials.senderId, senderPassword: this.credentials.senderPassword, controlId, uniqueId: false }, auth, [fn]),
      true,
    );
    if (parsed.level === 'control') throw this.controlFailure(parsed.errors, controlId);
    if (parsed.level === 'authentication') {
      if (senderNotAuthorized(parsed.errors)) throw this.senderNotAuthorized(parsed.errors);
      throw intacctError(
        'auth',
        `${this.label}: the company user '${userId}' could not log in`,
        parsed.errors,
        {},
        'check INTACCT_COMPANY_ID, INTACCT_USER_ID and INTACCT_USER_PASSWORD (a Web Services user, not locked out), and the entity id if one is set',
      );
    }
    const result = parsed.results[0]!;
    if (result.status !== 'success') throw intacctError('auth', `${this.label}: getAPISession failed`, result.errors);
    const api = child(child(result.node, 'data'), 'api');
    const id = text(child(api, 'sessionid'));
    const endpoint = text(child(api, 'endpoint')) || this.http.baseUrl;
    if (!id) throw new LedgersyncError('intacct_no_session', 'transient', `${this.label}: getAPISession returned no session id`);
    registerSecret(id);
    const timeout = parsed.sessionTimeout ? Date.parse(parsed.sessionTimeout) : NaN;
    // Renew a minute early so a request never races the expiry.
    const expiresAt = (Number.isNaN(timeout) ? this.now() + 30 * 60_000 : timeout) - 60_000;
    this.session = { id, endpoint, expiresAt };
    this.log.debug(`${this.label}: new API session, endpoint ${endpoint}`);
  }

  async ensureSession(): Promise<{ id: string; endpoint: string }> {
    if (!this.session || this.session.expiresAt <= this.now()) {
      this.session = undefined;
      this.login ??= this.logIn().finally(() => (this.login = undefined));
      await this.login;
    }
    return this.session!;
  }

  /**
   * Sends functions in one request and returns their results in order. Throws for control and
   * authentication failures (after one re-login when the session expired under us). For reads.
   */
  async execute(functions: readonly GatewayFunction[], options: ExecuteOptions = {}): Promise<FunctionResult[]> {
    const answer = await this.run(functions, options, true);
    if (answer.outcome === 'uncertain') throw answer.error;
    return answer.results;
  }

  /**
   * Sends write functions in one request under `uniqueid`: their results, or `uncertain` when the
   * answer was lost after the request may have run (a 5xx or a 429 after it was sent, a reset, a
   * body that is not the gateway's XML, a result missing from it). The caller looks the documents up
   * before sending anything again; a repeat of the same control id is refused by Intacct besides.
   */
  async executeWrite(functions: readonly GatewayFunction[], options: { controlId: string }): Promise<WriteAnswer> {
    return this.run(functions, { controlId: options.controlId, uniqueId: true }, false);
  }

  private async run(functions: readonly GatewayFunction[], options: ExecuteOptions, idempotent: boolean): Promise<WriteAnswer> {
    const controlId = options.controlId ?? randomUUID();
    const uniqueId = options.uniqueId ?? false;
    for (let attempt = 1; ; attempt++) {
      const session = await this.ensureSession();
      const body = buildRequest(
        { senderId: this.credentials.senderId, senderPassword: this.credentials.senderPassword, controlId, uniqueId },
        { sessionId: session.id },
        functions,
        options.transaction ?? false,
      );
      this.counters.functions += functions.length;
      const sent = await this.send(session.endpoint, body, idempotent);
      if (sent.outcome === 'uncertain') return sent;
      const parsed = sent.parsed;
      if (parsed.level === 'control') throw this.controlFailure(parsed.errors, controlId);
      if (parsed.level === 'authentication') {
        if (senderNotAuthorized(parsed.errors)) throw this.senderNotAuthorized(parsed.errors);
        // No function ran: the session expired or was revoked. Log in again once.
        if (attempt === 1) {
          this.log.info(`${this.label}: session no longer valid (${parsed.errors.map((e) => e.description2).join('; ')}); logging in again`);
          this.session = undefined;
          continue;
        }
        throw intacctError(
          'auth',
          `${this.label}: the session was refused right after a new login`,
          parsed.errors,
          {},
          'check that the Web Services user may use the API and is not restricted by IP',
        );
      }
      const byControlId = new Map(parsed.results.map((r) => [r.controlId, r]));
      const missing = functions.find((f) => !byControlId.has(f.controlId));
      if (missing) {
        return {
          outcome: 'uncertain',
          error: new LedgersyncError('intacct_missing_result', 'transient', `${this.label}: no result for function ${missing.name} (${missing.controlId})`, {
            mayHaveSucceeded: true,
          }),
        };
      }
      return { outcome: 'answered', results: functions.map((f) => byControlId.get(f.controlId)!) };
    }
  }

  /** Waits the connection's backoff after `attempt` failed attempts (between a lost answer, its look-up and a resend). */
  pause(attempt: number): Promise<void> {
    return this.http.pause(attempt);
  }

  /** Attempts a write may take under the connection's retry policy. */
  get maxAttempts(): number {
    return this.http.retryPolicy.maxAttempts;
  }

  /** readByQuery then readMore until the result set is exhausted, a page at a time. */
  async *query(object: string, query: string, fields = '*', pageSize = READ_BY_QUERY_MAX_PAGE_SIZE): AsyncGenerator<Record<string, string>[]> {
    const fn = readByQuery(object, query, fields, checkPageSize(pageSize, `${this.label}: readByQuery on ${object}`));
    const [first] = await this.execute([fn]);
    yield* this.pages(fn, first!);
  }

  /**
   * readByQuery functions sent in one request, then readMore for each until nothing remains: every
   * row of each result set, in the functions' order. (Running a query again would start it over at
   * its first page.)
   */
  async readAll(queries: readonly GatewayFunction[]): Promise<Record<string, string>[][]> {
    if (!queries.length) return [];
    const answers = await this.execute(queries);
    const rowSets: Record<string, string>[][] = [];
    for (const [i, fn] of queries.entries()) {
      const rows: Record<string, string>[] = [];
      for await (const page of this.pages(fn, answers[i]!)) rows.push(...page);
      rowSets.push(rows);
    }
    return rowSets;
  }

  /** The pages of a readByQuery result set from its first answer on, following its resultId with readMore. */
  private async *pages(fn: GatewayFunction, first: FunctionResult): AsyncGenerator<Record<string, string>[]> {
    const object = String(fn.body['object']);
    const query = String(fn.body['query']);
    let page = this.readOrThrow(first, object, query);
    yield page.rows;
    while (page.numRemaining > 0 && page.resultId) {
      const [more] = await this.execute([{ controlId: 'more', name: 'readMore', body: { resultId: page.resultId } }]);
      page = this.readOrThrow(more!, object, query);
      yield page.rows;
    }
  }

  readOrThrow(result: FunctionResult, object: string, query: string): ReturnType<typeof readResult> {
    if (result.status !== 'success') {
      throw intacctError(
        'config',
        `${this.label}: query on ${object} failed (${query})`,
        result.errors,
        { object, query },
        'check the object name and the fields the pipeline queries',
      );
    }
    return readResult(result);
  }
}

/** A readByQuery function with its elements in the SDK's order (ReadByQuery.ts: object, query, fields, pagesize, returnFormat). */
export function readByQuery(object: string, query: string, fields: string, pageSize: number, controlId = 'query'): GatewayFunction {
  return { controlId, name: 'readByQuery', body: { object, query, fields, pagesize: String(pageSize), returnFormat: 'xml' } };
}
