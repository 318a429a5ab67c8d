/**
 * A fake QuickBooks Online: the Intuit OAuth 2.0 token endpoint (expiring access tokens, rotating
 * refresh tokens) and the v3 accounting API of one realm (create / read / sparse update / void /
 * delete / query / batch), with SyncToken concurrency, QBO's Fault bodies and its throttles
 * (500 requests per minute and 10 in flight per realm, 40 batch requests per minute, 30 items per
 * batch). Every posted entity is checked against Intuit's XSDs. node:http only.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { Company, VOIDED_BY_SPARSE_UPDATE, entityPaths, type Entity, type WriteEvent } from './company.js';
import { authenticationFailedBody, faults as qboFaults, QboFault } from './faults.js';
import { loadQboSchema } from './xsd-schema.js';

export interface FakeQboOptions {
  /** Default `9130355377386836`. */
  realmId?: string;
  /** Default `fake-qbo-client`. */
  clientId?: string;
  /** Default `fake-qbo-secret`. */
  clientSecret?: string;
  /** The refresh token the consultant got when connecting the company. Default: random. */
  refreshToken?: string;
  /** Access token lifetime. Default 3600 s, as Intuit issues them. */
  accessTokenTtlSeconds?: number;
  /** Issue a new refresh token on every refresh and invalidate the old one. Default true. */
  rotateRefreshTokens?: boolean;
  /**
   * Intuit hands back the same refresh token until it is this old, then a new one (its FAQ: "the
   * refresh token value changes every 24 hours"). Default 0: a new one on every refresh.
   */
  rotateAfterSeconds?: number;
  /**
   * How long the previous refresh token is still redeemed after a new one was issued (Intuit's OAuth
   * docs: "your previous refresh tokens expire 24 hours after you receive a new one"; its help
   * article says at once). Redeeming it answers with the current one. Default 0: refused at once.
   */
  rotatedTokenGraceSeconds?: number;
  /** Default `USD`. */
  homeCurrency?: string;
  /**
   * CompanyInfo.Country. Default `US`, as a new QuickBooks sandbox company is: it refuses
   * GlobalTaxCalculation, which Intuit documents as not applicable there. Other countries (`CA`,
   * `GB`…) take it, sales tax inclusive or exclusive.
   */
  country?: string;
  /**
   * Sales tax set up in a company outside the US (default true): each sales line then needs a
   * TaxCodeRef, one of the company's numbered tax codes (5 "20.0% S", 6 "Exempt", 7 "0.0% Z");
   * a US company has TAX and NON instead.
   */
  salesTax?: boolean;
  /** Other enabled currencies. Default EUR, GBP, JPY, KWD, CAD, AUD, INR. */
  currencies?: string[];
  /** QBO's real throttles; lower them to exercise 429s quickly. */
  limits?: Partial<FakeQboLimits>;
  /** Reject a second document with the same DocNumber (fault 6140). Default true. */
  rejectDuplicateDocNumber?: boolean;
  /** Require `minorversion` on every API call (answers 400 otherwise). Default true. */
  requireMinorVersion?: boolean;
  /** Delay before every API response, to make concurrency observable. Default 0. */
  latencyMs?: number;
  port?: number;
}

export interface FakeQboLimits {
  requestsPerMinute: number;
  concurrent: number;
  batchPerMinute: number;
  batchItems: number;
  windowMs: number;
}

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  status: number;
  at: number;
  /** Operations inside a batch request. */
  batchOperations?: string[];
  /** The JSON body of a POST, parsed. */
  body?: unknown;
}

export interface FakeQboState {
  realmId: string;
  company: Company;
  /** Every API request (token requests excluded), in order. */
  requests: RecordedRequest[];
  tokenRequests: { grantType: string; ok: boolean; at: number }[];
  /** The refresh token currently valid. */
  currentRefreshToken: string;
  /** Entities of a type, as QBO holds them now. */
  entities(entity: string): Entity[];
  /** Writes committed, in order (create / update / void / delete). */
  writes: WriteEvent[];
  /** Highest number of API requests in flight at once. */
  maxInFlight: number;
  throttled: number;
}

export interface FakeQboFaults {
  /** The next n API requests answer 429 ThrottleExceeded. */
  throttleNext(n: number): void;
  /** The next n API requests answer 500 SystemFault, after applying the write (a lost response). */
  loseResponseOfNext(n: number): void;
  /** Every access token issued so far stops working (401), as when one expires mid-run. */
  expireAccessTokens(): void;
  /** The refresh token is revoked (the customer disconnected the app): refreshes answer invalid_grant. */
  revokeRefreshToken(): void;
  /** Called after a write is committed and before its response is sent (crash-injection point). */
  afterWrite: ((event: WriteEvent) => void | Promise<void>) | undefined;
}

export interface FakeQbo {
  url: string;
  /** The token endpoint (`<url>/oauth2/v1/tokens/bearer`). */
  tokenUrl: string;
  realmId: string;
  clientId: string;
  clientSecret: string;
  /** The refresh token to configure the connector with (the initial one). */
  refreshToken: string;
  state: FakeQboState;
  faults: FakeQboFaults;
  close(): Promise<void>;
}

/** The variables the example pipeline (pipelines/examples/chargebee-to-quickbooks.yaml) reads, pointed at this fake. */
export function qboPipelineEnv(qbo: FakeQbo): Record<string, string> {
  return {
    QBO_REALM_ID: qbo.realmId,
    QBO_CLIENT_ID: qbo.clientId,
    QBO_CLIENT_SECRET: qbo.clientSecret,
    QBO_REFRESH_TOKEN: qbo.refreshToken,
    QBO_BASE_URL: qbo.url,
    QBO_TOKEN_URL: qbo.tokenUrl,
  };
}

const defaultLimits: FakeQboLimits = { requestsPerMinute: 500, concurrent: 10, batchPerMinute: 40, batchItems: 30, windowMs: 60_000 };

export async function startFakeQbo(options: FakeQboOptions = {}): Promise<FakeQbo> {
  const realmId = options.realmId ?? '9130355377386836';
  const clientId = options.clientId ?? 'fake-qbo-client';
  const clientSecret = options.clientSecret ?? 'fake-qbo-secret';
  const initialRefreshToken = options.refreshToken ?? token('RT1');
  const ttlMs = (options.accessTokenTtlSeconds ?? 3600) * 1000;
  const rotate = options.rotateRefreshTokens ?? true;
  const limits = { ...defaultLimits, ...options.limits };
  const requireMinorVersion = options.requireMinorVersion ?? true;
  const schema = loadQboSchema();
  const company = new Company(schema, {
    realmId,
    homeCurrency: options.homeCurrency ?? 'USD',
    currencies: options.currencies ?? ['EUR', 'GBP', 'JPY', 'KWD', 'CAD', 'AUD', 'INR'],
    rejectDuplicateDocNumber: options.rejectDuplicateDocNumber ?? true,
    country: options.country ?? 'US',
    salesTax: options.salesTax ?? true,
  });

  const accessTokens = new Map<string, number>();
  let refreshToken = initialRefreshToken;
  let refreshIssuedAt = Date.now();
  let previousToken: { token: string; until: number } | undefined;
  let refreshRevoked = false;
  let throttleNext = 0;
  let loseNext = 0;
  let inFlight = 0;
  const apiTimes: number[] = [];
  const batchTimes: number[] = [];

  const state: FakeQboState = {
    realmId,
    company,
    requests: [],
    tokenRequests: [],
    get currentRefreshToken() {
      return refreshToken;
    },
    entities: (entity) => company.list(entity).map((e) => structuredClone(e)),
    writes: company.writes,
    maxInFlight: 0,
    throttled: 0,
  };

  const faults: FakeQboFaults = {
    throttleNext: (n) => void (throttleNext = n),
    loseResponseOfNext: (n) => void (loseNext = n),
    expireAccessTokens: () => accessTokens.clear(),
    revokeRefreshToken: () => void (refreshRevoked = true),
    afterWrite: undefined,
  };

  function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (res.destroyed) return;
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', intuit_tid: randomBytes(8).toString('hex'), ...headers });
    res.end(text);
  }

  async function handleToken(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const form = new URLSearchParams(body);
    const grantType = form.get('grant_type') ?? '';
    const record = (ok: boolean) => state.tokenRequests.push({ grantType, ok, at: Date.now() });
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    const [id, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString('utf8').split(':') : [form.get('client_id'), form.get('client_secret')];
    if (id !== clientId || secret !== clientSecret) {
      record(false);
      return send(res, 401, { error: 'invalid_client' });
    }
    if (grantType !== 'refresh_token') {
      record(false);
      return send(res, 400, { error: 'unsupported_grant_type' });
    }
    const presented = form.get('refresh_token');
    const inGrace = previousToken !== undefined && presented === previousToken.token && Date.now() < previousToken.until;
    if (refreshRevoked || (presented !== refreshToken && !inGrace)) {
      record(false);
      return send(res, 400, { error: 'invalid_grant' });
    }
    if (rotate && !inGrace && Date.now() - refreshIssuedAt >= (options.rotateAfterSeconds ?? 0) * 1000) {
      previousToken = { token: refreshToken, until: Date.now() + (options.rotatedTokenGraceSeconds ?? 0) * 1000 };
      refreshToken = token('RT');
      refreshIssuedAt = Date.now();
    }
    const access = token('AT');
    accessTokens.set(access, Date.now() + ttlMs);
    record(true);
    send(res, 200, {
      token_type: 'bearer',
      access_token: access,
      expires_in: Math.round(ttlMs / 1000),
      refresh_token: refreshToken,
      x_refresh_token_expires_in: 8_726_400,
    });
  }

  function authorized(req: IncomingMessage): string | undefined {
    const bearer = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '');
    if (!bearer) return 'Authorization header missing';
    const expiry = accessTokens.get(bearer[1]!);
    if (expiry === undefined) return 'Token invalid or revoked';
    if (expiry <= Date.now()) return 'Token expired';
    return undefined;
  }

  function overLimit(times: number[], limit: number, now: number): boolean {
    while (times.length && times[0]! <= now - limits.windowMs) times.shift();
    if (times.length >= limit) return true;
    times.push(now);
    return false;
  }

  async function afterWrite(event: WriteEvent | undefined): Promise<void> {
    if (event && faults.afterWrite) await faults.afterWrite(event);
  }

  function lastWrite(before: number): WriteEvent | undefined {
    return company.writes.length > before ? company.writes[company.writes.length - 1] : undefined;
  }

  async function handleApi(req: IncomingMessage, res: ServerResponse, url: URL, body: string, record: RecordedRequest): Promise<void> {
    const match = /^\/v3\/company\/([^/]+)\/([a-z]+)(?:\/([^/]+))?$/.exec(url.pathname);
    if (!match) throw new QboFault(404, 'ValidationFault', [{ Message: 'Resource not found', Detail: url.pathname, code: '404' }]);
    const [, realm, resource, id] = match;
    if (realm !== realmId) throw qboFaults.forbidden();
    if (requireMinorVersion && !url.searchParams.has('minorversion')) {
      throw qboFaults.businessRule('minorversion query parameter is required by this fake (QBO defaults to minor version 75 otherwise)');
    }
    const json = () => {
      try {
        return body ? (JSON.parse(body) as unknown) : {};
      } catch {
        throw new QboFault(400, 'ValidationFault', [
          { Message: 'Request has invalid or unsupported property', Detail: 'Request body is not valid JSON', code: '2010' },
        ]);
      }
    };

    if (resource === 'query') {
      const text = req.method === 'GET' ? (url.searchParams.get('query') ?? '') : body;
      return send(res, 200, { QueryResponse: company.query(text), time: new Date().toISOString() });
    }

    if (resource === 'batch') {
      if (req.method !== 'POST') throw qboFaults.unsupportedOperation(req.method ?? '', 'batch');
      if (overLimit(batchTimes, limits.batchPerMinute, Date.now())) throw qboFaults.throttled();
      const items = ((json() as { BatchItemRequest?: unknown }).BatchItemRequest ?? []) as Record<string, unknown>[];
      if (!Array.isArray(items) || items.length === 0) throw qboFaults.requiredMissing('BatchItemRequest');
      if (items.length > limits.batchItems) throw qboFaults.businessRule(`a batch request holds at most ${limits.batchItems} items, got ${items.length}`);
      record.batchOperations = [];
      const responses: Record<string, unknown>[] = [];
      for (const item of items) {
        const bId = String(item['bId'] ?? '');
        try {
          if (typeof item['Query'] === 'string') {
            record.batchOperations.push('query');
            responses.push({ bId, QueryResponse: company.query(item['Query']) });
            continue;
          }
          const entity = Object.keys(item).find((k) => !['bId', 'operation', 'optionsData'].includes(k));
          if (!entity || !entityPaths[entity.toLowerCase()]) throw qboFaults.requiredMissing('IntuitObject');
          const operation = String(item['operation'] ?? 'create');
          record.batchOperations.push(`${operation} ${entity}`);
          const before = company.writes.length;
          const result = write(entityPaths[entity.toLowerCase()]!, operation, item[entity]);
          await afterWrite(lastWrite(before));
          responses.push({ bId, [entity]: result });
        } catch (error) {
          if (!(error instanceof QboFault)) throw error;
          responses.push({ bId, Fault: { Error: error.errors, type: error.type } });
        }
      }
      return send(res, 200, { BatchItemResponse: responses, time: new Date().toISOString() });
    }

    const entity = entityPaths[resource!];
    if (!entity) throw new QboFault(400, 'ValidationFault', [{ Message: 'Unsupported entity', Detail: `No entity ${resource}`, code: '4001' }]);
    if (req.method === 'GET') {
      if (!id) throw qboFaults.requiredMissing('Id');
      return send(res, 200, { [entity]: company.read(entity, id), time: new Date().toISOString() });
    }
    if (req.method !== 'POST') throw qboFaults.unsupportedOperation(req.method ?? '', entity);
    const before = company.writes.length;
    const payload = json();
    const result = write(entity, singleOperation(entity, url.searchParams, payload), payload);
    await afterWrite(lastWrite(before));
    if (loseNext > 0) {
      loseNext--;
      throw qboFaults.system();
    }
    send(res, 200, { [entity]: result, time: new Date().toISOString() });
  }

  /**
   * The operation of `POST /{entity}` as Intuit's SDKs send it: none (create, or update with an Id),
   * `operation=update|void|delete`, and `operation=update&include=void` for a Payment or
   * SalesReceipt, which `operation=void` does not void.
   */
  function singleOperation(entity: string, params: URLSearchParams, payload: unknown): string {
    const operation = params.get('operation') ?? 'save';
    const include = params.get('include');
    if (include !== null) {
      if (include !== 'void' || operation !== 'update' || !VOIDED_BY_SPARSE_UPDATE.has(entity)) {
        throw qboFaults.unsupportedOperation(`${operation}&include=${include}`, entity);
      }
      if ((payload as Record<string, unknown> | undefined)?.['sparse'] !== true) throw qboFaults.requiredMissing('sparse');
      return 'void';
    }
    if (operation === 'void' && VOIDED_BY_SPARSE_UPDATE.has(entity)) {
      throw qboFaults.unsupportedOperation('void', `${entity} (void a ${entity} with a sparse update: ?operation=update&include=void)`);
    }
    return operation;
  }

  function write(entity: string, operation: string, body: unknown): unknown {
    switch (operation) {
      case 'save':
        return company.save(entity, body);
      case 'create':
        return company.create(entity, body);
      case 'update':
        return company.update(entity, body);
      case 'void':
        return company.void(entity, body);
      case 'delete':
        return company.delete(entity, body);
      default:
        throw qboFaults.unsupportedOperation(operation, entity);
    }
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname === '/oauth2/v1/tokens/bearer' && req.method === 'POST') {
        void handleToken(req, res, body);
        return;
      }
      const record: RecordedRequest = { method: req.method ?? '', path: url.pathname, query: Object.fromEntries(url.searchParams), status: 0, at: Date.now() };
      if (req.method === 'POST' && body !== '') {
        try {
          record.body = JSON.parse(body) as unknown;
        } catch {
          record.body = body;
        }
      }
      state.requests.push(record);
      const finish = (status: number) => (record.status = status);
      void (async () => {
        inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, inFlight);
        try {
          if (options.latencyMs) await new Promise((r) => setTimeout(r, options.latencyMs));
          const problem = authorized(req);
          if (problem) {
            finish(401);
            return send(res, 401, authenticationFailedBody(problem), { 'www-authenticate': 'Bearer realm="Intuit", error="invalid_token"' });
          }
          if (throttleNext > 0 || inFlight > limits.concurrent || overLimit(apiTimes, limits.requestsPerMinute, Date.now())) {
            if (throttleNext > 0) throttleNext--;
            throw qboFaults.throttled();
          }
          await handleApi(req, res, url, body, record);
          finish(200);
        } catch (error) {
          const fault = error instanceof QboFault ? error : qboFaults.system();
          if (fault.status === 429) state.throttled++;
          finish(fault.status);
          send(res, fault.status, fault.body());
        } finally {
          inFlight--;
        }
      })();
    });
  });

  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    tokenUrl: `${url}/oauth2/v1/tokens/bearer`,
    realmId,
    clientId,
    clientSecret,
    refreshToken: initialRefreshToken,
    state,
    faults,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function token(prefix: string): string {
  return `${prefix}-${randomBytes(18).toString('base64url')}`;
}

export type { Entity, WriteEvent } from './company.js';
