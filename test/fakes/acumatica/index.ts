/**
 * A stateful fake Acumatica tenant for tests and the sandbox: the contract-based REST API of
 * `Default/24.200.001`, checked against Acumatica's own OpenAPI file, with OAuth 2.0 and cookie
 * sessions counted against the licence's API users, the licence's request limits, segmented keys
 * stored upper case, documents numbered by the tenant, release actions, and fault knobs.
 *
 *   const fake = await startFakeAcumatica();
 *   // ACUMATICA_URL=fake.url, ACUMATICA_USERNAME=fake.username, ACUMATICA_PASSWORD=fake.password,
 *   // ACUMATICA_CLIENT_ID=fake.clientId, ACUMATICA_CLIENT_SECRET=fake.clientSecret, ACUMATICA_TENANT=fake.tenant
 *   fake.state.records('Invoice');            // what the tenant holds, unwrapped
 *   fake.state.openSessions;                  // seats in use
 *   fake.faults.dropResponseAfterWriteNext(1); // the next write lands but its answer is lost
 *   await fake.close();
 *
 * See README.md beside this file for the routes, the `$filter` subset and the error bodies.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { accountBehaviour, ledgerBehaviour, paymentMethodBehaviour, subaccountBehaviour, taxBehaviour, taxCategoryBehaviour } from './reference.js';
import { AuthService, type FakeOAuthClient, type FakeUser, type SessionInfo, type TokenRequestLog } from './auth.js';
import { invoiceBehaviour, salesInvoiceBehaviour } from './ar.js';
import { customerBehaviour } from './customer.js';
import { type FakeAcumaticaFaults, Faults } from './faults.js';
import { journalTransactionBehaviour } from './gl.js';
import { type LicenceLimits, RequestLimiter } from './limits.js';
import { unitsToNumber } from './decimal.js';
import { loadContractSchema, unwrapEntity, validateEntity, wrapEntity } from './openapi.js';
import { paymentBehaviour } from './payment.js';
import { DEFAULT_SEED, type FakeAcumaticaSeed, seedTenant } from './seed.js';
import { createFakeServer, type EndpointVersion, type RequestLogEntry } from './server.js';
import { TenantStore, type WriteEvent } from './store.js';
import { type RoundingNote, Tenant, type TenantConfig } from './tenant.js';

export type { FakeAcumaticaFaults } from './faults.js';
export type { FakeAcumaticaSeed, SeedAccount, SeedBranch, SeedPaymentMethod, SeedTax } from './seed.js';
export type { RequestLogEntry, EndpointVersion } from './server.js';
export type { SessionInfo, TokenRequestLog } from './auth.js';
export type { WriteEvent } from './store.js';
export type { PlainRecord } from './openapi.js';
export type { RoundingNote } from './tenant.js';
export { DEFAULT_SEED } from './seed.js';

export interface FakeAcumaticaOptions {
  /** Path of the instance on the host, e.g. `/AcumaticaERP`. Default `''` (instance at the root). */
  instancePath?: string;
  /** Endpoints the tenant serves; any other name or version answers 404. Default `Default/24.200.001`. */
  endpoints?: EndpointVersion[];
  /** Tenants (companies) of the instance; a login must name one when there are several. Default `['Company']`. */
  tenants?: string[];
  /** Default one user `ledgersync` with a random password. */
  users?: FakeUser[];
  /** Connected applications (OAuth clients). Default one, with a random secret. */
  oauthClients?: FakeOAuthClient[];
  /** Access token lifetime. Default 3600 s, as Acumatica's Identity Server issues them. */
  accessTokenTtlSeconds?: number;
  /** The licence. Defaults: 2 API users (the trial licence), no request limits, no Retry-After. */
  licence?: Partial<LicenceLimits>;
  /** Server-side session timeout; a session idle this long is closed and frees its seat. Default: never. */
  sessionIdleTimeoutMinutes?: number;
  /** Tenant preferences and dimensions (see TenantConfig). */
  tenant?: Partial<TenantConfig>;
  /** Reference data, replacing the defaults list by list. */
  seed?: Partial<FakeAcumaticaSeed>;
  /** Status polls that answer 202 before a started action completes; 0 answers the action itself 204. Default 1. */
  actionPolls?: number;
  /** Delay before every API answer, in ms. Default 0. */
  latencyMs?: number;
  /** Clock in epoch ms. Default `Date.now`. */
  now?: () => number;
  port?: number;
}

export interface FakeAcumaticaState {
  /** Records of an entity as the tenant holds them (values unwrapped, decimals as numbers), in key order. */
  records(entity: string): Record<string, unknown>[];
  /** One record by its key values (`record('Invoice', 'Invoice', 'AR000001')`), found whatever the case. */
  record(entity: string, ...keys: string[]): Record<string, unknown> | undefined;
  /** Adds a record through the tenant's own rules, as if it had been entered before go-live (plain values). */
  seed(entity: string, record: Record<string, unknown>): Record<string, unknown>;
  /** Removes a record without any rule, as a tenant whose data the fake does not model might lack it. */
  forget(entity: string, ...keys: string[]): void;
  /** Writes committed, in order (insert, update, delete, action). */
  readonly writes: readonly WriteEvent[];
  /** Every request to the API and the login/logout routes, in order (token requests are in `tokenRequests`). */
  readonly requests: readonly RequestLogEntry[];
  readonly tokenRequests: readonly TokenRequestLog[];
  /** Sessions holding a seat now. */
  readonly sessions: readonly SessionInfo[];
  readonly openSessions: number;
  readonly sessionsOpened: number;
  /** Sessions closed by a logout (not by a timeout). */
  readonly sessionsClosed: number;
  /** Logins and token grants refused with "API Login Limit". */
  readonly loginRefusals: number;
  /** Refresh tokens that would be accepted now (the newest of each grant). */
  readonly currentRefreshTokens: readonly string[];
  /** Requests refused with 429 by the licence limits (knob-injected 429s not counted). */
  readonly throttled: number;
  readonly maxInFlight: number;
  /** Amounts the tenant rounded to the currency's precision (a client that sends exact amounts causes none). */
  readonly roundings: readonly RoundingNote[];
}

export interface FakeAcumatica {
  /** The instance URL (`ACUMATICA_URL`): `http://127.0.0.1:PORT` plus the instance path. */
  url: string;
  port: number;
  /** `{url}/entity/Default/24.200.001` (or the given endpoint). */
  endpointUrl(endpoint?: EndpointVersion): string;
  /** `{url}/identity/connect/token`. */
  tokenUrl: string;
  tenant: string;
  username: string;
  password: string;
  clientId: string;
  clientSecret: string;
  state: FakeAcumaticaState;
  faults: FakeAcumaticaFaults;
  close(): Promise<void>;
}

const DEFAULT_ENDPOINT: EndpointVersion = { name: 'Default', version: '24.200.001' };

function checkOptions(options: FakeAcumaticaOptions): void {
  const expect = (ok: boolean, what: string, received: unknown): void => {
    if (!ok) throw new Error(`startFakeAcumatica: ${what}, received ${JSON.stringify(received)}`);
  };
  if (options.instancePath !== undefined)
    expect(
      options.instancePath === '' || /^\/[^/].*[^/]$|^\/[^/]$/.test(options.instancePath),
      "instancePath must be '' or start with '/' and not end with '/'",
      options.instancePath,
    );
  if (options.endpoints !== undefined) expect(options.endpoints.length > 0, 'endpoints must name at least one endpoint', options.endpoints);
  if (options.tenants !== undefined) expect(options.tenants.length > 0, 'tenants must name at least one tenant', options.tenants);
  if (options.actionPolls !== undefined)
    expect(Number.isInteger(options.actionPolls) && options.actionPolls >= 0, 'actionPolls must be a non-negative integer', options.actionPolls);
  const licence = options.licence ?? {};
  if (licence.maxApiUsers !== undefined)
    expect(Number.isInteger(licence.maxApiUsers) && licence.maxApiUsers >= 1, 'licence.maxApiUsers must be an integer >= 1', licence.maxApiUsers);
  if (licence.requestsPerMinute !== undefined)
    expect(
      Number.isInteger(licence.requestsPerMinute) && licence.requestsPerMinute >= 1,
      'licence.requestsPerMinute must be an integer >= 1',
      licence.requestsPerMinute,
    );
  if (licence.maxConcurrentRequests !== undefined) {
    expect(
      Number.isInteger(licence.maxConcurrentRequests) && licence.maxConcurrentRequests >= 1,
      'licence.maxConcurrentRequests must be an integer >= 1',
      licence.maxConcurrentRequests,
    );
  }
}

/** Plain values as tests read them: decimals as JSON numbers, the fake's bookkeeping left out. */
function exported(value: unknown): unknown {
  if (typeof value === 'bigint') return unitsToNumber(value);
  if (Array.isArray(value)) return value.map(exported);
  if (typeof value === 'object' && value !== null) {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([key]) => !key.startsWith('__'))
        .map(([key, inner]) => [key, exported(inner)]),
    );
  }
  return value;
}

export async function startFakeAcumatica(options: FakeAcumaticaOptions = {}): Promise<FakeAcumatica> {
  checkOptions(options);
  const now = options.now ?? Date.now;
  const contract = loadContractSchema();
  const tenants = options.tenants ?? ['Company'];
  const users = options.users ?? [{ name: 'ledgersync', password: `Pw-${randomUUID()}` }];
  const clients = options.oauthClients ?? [{ clientId: `${randomUUID().toUpperCase()}@${tenants[0]}`, clientSecret: randomUUID().replace(/-/g, '') }];
  const limits: LicenceLimits = {
    maxApiUsers: options.licence?.maxApiUsers ?? 2,
    requestsPerMinute: options.licence?.requestsPerMinute,
    maxConcurrentRequests: options.licence?.maxConcurrentRequests,
    retryAfterSeconds: options.licence?.retryAfterSeconds,
  };
  const config: TenantConfig = {
    baseCurrency: 'USD',
    currencies: ['USD', 'EUR', 'GBP', 'JPY', 'KWD', 'CAD', 'AUD'],
    holdDocumentsOnEntry: true,
    validateDocumentTotals: false,
    customerIdLength: 30,
    defaultBranch: 'MAIN',
    customerClasses: ['DEFAULT'],
    defaultSalesAccount: '40000',
    defaultSubaccount: '000000',
    defaultLedger: 'ACTUAL',
    ...options.tenant,
  };
  const store = new TenantStore();
  const tenant = new Tenant(contract, store, config, now, [
    customerBehaviour,
    invoiceBehaviour,
    salesInvoiceBehaviour,
    paymentBehaviour,
    journalTransactionBehaviour,
    accountBehaviour,
    subaccountBehaviour,
    taxCategoryBehaviour,
    taxBehaviour,
    paymentMethodBehaviour,
    ledgerBehaviour,
  ]);
  seedTenant(tenant, { ...DEFAULT_SEED, ...options.seed }, config.baseCurrency, tenants[0]!);

  const auth = new AuthService({
    tenants,
    users,
    clients,
    accessTokenTtlMs: (options.accessTokenTtlSeconds ?? 3600) * 1000,
    maxApiUsers: limits.maxApiUsers,
    sessionIdleTimeoutMs: options.sessionIdleTimeoutMinutes === undefined ? undefined : options.sessionIdleTimeoutMinutes * 60_000,
    now,
  });
  const limiter = new RequestLimiter(limits, now);
  const faults = new Faults();
  const requests: RequestLogEntry[] = [];
  const endpoints = options.endpoints ?? [DEFAULT_ENDPOINT];
  const instancePath = options.instancePath ?? '';
  const server = createFakeServer({
    instancePath,
    endpoints,
    contract,
    tenant,
    auth,
    limiter,
    limits,
    faults,
    actionPolls: options.actionPolls ?? 1,
    latencyMs: options.latencyMs ?? 0,
    requests,
    now,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const url = `http://127.0.0.1:${port}${instancePath}`;

  const state: FakeAcumaticaState = {
    records: (entity) => (tenant.serves(entity) ? tenant.list(entity).map((record) => exported(record) as Record<string, unknown>) : []),
    record: (entity, ...keys) => {
      if (!tenant.serves(entity)) return undefined;
      const found = tenant.locate(entity, keys);
      return found ? (exported(found) as Record<string, unknown>) : undefined;
    },
    seed: (entity, record) => {
      if (!tenant.serves(entity)) throw new Error(`state.seed: the fake does not serve ${entity}`);
      const body = wrapEntity(contract, entity, record);
      const violations = validateEntity(contract, entity, body);
      if (violations.length > 0) throw new Error(`state.seed(${entity}): ${violations.map((violation) => violation.message).join(' ')}`);
      return exported(tenant.seed(entity, unwrapEntity(contract, entity, body, { rounded: [] }))) as Record<string, unknown>;
    },
    forget: (entity, ...keys) => {
      const found = tenant.serves(entity) ? tenant.locate(entity, keys) : undefined;
      if (!found) throw new Error(`state.forget: no ${entity} ${keys.join(' ')}`);
      store.remove(entity, String(found['id']));
    },
    writes: store.writes,
    requests,
    get tokenRequests() {
      return auth.tokenRequests;
    },
    get sessions() {
      return auth.openSessions;
    },
    get openSessions() {
      return auth.openSessions.length;
    },
    get sessionsOpened() {
      return auth.sessionsOpened;
    },
    get sessionsClosed() {
      return auth.sessionsClosed;
    },
    get loginRefusals() {
      return auth.loginRefusals;
    },
    get currentRefreshTokens() {
      return auth.currentRefreshTokens;
    },
    get throttled() {
      return limiter.throttled;
    },
    get maxInFlight() {
      return limiter.maxInFlight;
    },
    roundings: tenant.roundings,
  };

  const faultKnobs: FakeAcumaticaFaults = {
    failNext: (n, status, message) => faults.failNext(n, status, message),
    throttleNext: (n) => faults.throttleNext(n),
    resetConnectionNext: (n) => faults.resetConnectionNext(n),
    dropResponseAfterWriteNext: (n) => faults.dropResponseAfterWriteNext(n),
    failNextAction: (message) => faults.failNextAction(message),
    expireAccessTokens: () => auth.expireAccessTokens(),
    revokeRefreshTokens: () => auth.revokeRefreshTokens(),
    expireSessions: () => auth.expireSessions(),
    get delayMs() {
      return faults.delayMs;
    },
    set delayMs(value: number) {
      faults.delayMs = value;
    },
    get afterWrite() {
      return faults.afterWrite;
    },
    set afterWrite(hook) {
      faults.afterWrite = hook;
    },
    clear: () => faults.clear(),
  };

  const endpointUrl = (endpoint: EndpointVersion = endpoints[0]!): string => `${url}/entity/${endpoint.name}/${endpoint.version}`;
  return {
    url,
    port,
    endpointUrl,
    tokenUrl: `${url}/identity/connect/token`,
    tenant: tenants[0]!,
    username: users[0]!.name,
    password: users[0]!.password,
    clientId: clients[0]!.clientId,
    clientSecret: clients[0]!.clientSecret,
    state,
    faults: faultKnobs,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
