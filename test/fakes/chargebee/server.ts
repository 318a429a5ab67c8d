/**
 * The HTTP front of the fake: node:http on 127.0.0.1, routes under `/api/v2`, HTTP Basic auth with
 * the API key as user name, Chargebee's envelopes and error bodies, the fault knobs, the optional
 * rate limiter, idempotent POSTs and a log of every request.
 */
import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChargebeeApiError,
  SERVICE_UNAVAILABLE_HTML,
  authenticationFailed,
  configurationIncompatible,
  requestLimitExceeded,
  resourceNotFound,
} from './errors.js';
import type { Faults, RateLimiter } from './faults.js';
import { IdempotencyCache, type StoredResponse } from './idempotency.js';
import { listPage } from './listing.js';
import { recordPayment } from './payments.js';
import { RESOURCE_SPECS, isResourceName, type ResourceName } from './resources.js';
import type { FakeChargebeeState, StoredRecord } from './state.js';
import { checkAgainstVendorSchema, vendorOperation } from './vendor-schema.js';
import { lineItemWindow, requestedWindow } from './line-items.js';

export const API_PREFIX = '/api/v2';

export interface RequestLogEntry {
  method: string;
  /** Path without the query, e.g. `/api/v2/invoices`. */
  path: string;
  query: Record<string, string>;
  /** HTTP status answered; 0 when a fault reset the connection instead. */
  status: number;
  /** The request took effect but its answer was dropped by `faults.dropResponseNext`. */
  responseDropped?: boolean;
  idempotencyKey?: string;
  /** The form body of a POST, as sent. */
  body?: string;
  /** Chargebee's name of the operation (`Plan.list`, `Invoice.recordPayment`), when the fake serves it. */
  operation?: string;
  /** Where Chargebee defines that operation's parameters (the chargebee package's zod schema). */
  operationSource?: string;
}

export interface ServerConfig {
  site: string;
  apiKey: string;
  catalogVersion: 'v1' | 'v2';
  state: FakeChargebeeState;
  faults: Faults;
  rateLimiter?: RateLimiter;
  requests: RequestLogEntry[];
  /** Line items of an invoice or credit note in one answer before `line_items_next_offset` (line-items.ts). */
  lineItemsPerAnswer: number;
}

interface Reply extends StoredResponse {}

const JSON_HEADERS = { 'content-type': 'application/json;charset=utf-8' };

function jsonReply(status: number, payload: unknown, headers: Record<string, string> = {}): Reply {
  return { status, body: JSON.stringify(payload), headers: { ...JSON_HEADERS, ...headers } };
}

function errorReply(error: ChargebeeApiError): Reply {
  return jsonReply(error.status, error.body, error.headers);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function authorized(req: IncomingMessage, apiKey: string): boolean {
  const header = req.headers.authorization;
  if (!header?.startsWith('Basic ')) return false;
  const decoded = Buffer.from(header.slice('Basic '.length).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return false;
  return decoded.slice(0, colon) === apiKey && decoded.slice(colon + 1) === '';
}

export function createFakeServer(config: ServerConfig): Server {
  const idempotency = new IdempotencyCache();
  const { state, faults } = config;

  function requireCatalog(resource: ResourceName): void {
    const wanted = RESOURCE_SPECS[resource].catalog;
    if (wanted && wanted !== config.catalogVersion) throw configurationIncompatible(wanted, config.catalogVersion);
  }

  function withCustomer(resource: ResourceName): (record: StoredRecord) => Record<string, unknown> {
    if (resource !== 'subscriptions') return () => ({});
    return (record) => {
      const customer = typeof record['customer_id'] === 'string' ? state.get('customers', record['customer_id']) : undefined;
      return customer ? { customer } : {};
    };
  }

  function route(method: string, segments: string[], query: URLSearchParams, body: string): Reply {
    const [first, second, third, ...rest] = segments;
    if (method === 'GET' && first === 'configurations' && second === undefined) {
      return jsonReply(200, { configurations: [{ domain: config.site, product_catalog_version: config.catalogVersion }] });
    }
    if (first !== undefined && isResourceName(first) && rest.length === 0) {
      const spec = RESOURCE_SPECS[first];
      if (method === 'GET' && second === undefined) {
        requireCatalog(first);
        const page = listPage(first, spec, state.entries(first), query, withCustomer(first));
        const list = page.list.map((entry) => ({
          ...entry,
          [spec.singular]: lineItemWindow(first, entry[spec.singular] as StoredRecord, config.lineItemsPerAnswer),
        }));
        return jsonReply(200, { ...page, list });
      }
      if (method === 'GET' && second !== undefined && third === undefined) {
        requireCatalog(first);
        const record = state.get(first, second) as StoredRecord | undefined;
        if (!record || record['deleted'] === true) {
          throw resourceNotFound(`Sorry, we couldn't find the ${spec.singular.replace(/_/g, ' ')} ${second}`, `${spec.singular}_id`);
        }
        const { limit, offset } = requestedWindow(record, query, config.lineItemsPerAnswer);
        return jsonReply(200, { [spec.singular]: lineItemWindow(first, record, limit, offset), ...withCustomer(first)(record) });
      }
      if (method === 'POST' && first === 'invoices' && second !== undefined && third === 'record_payment') {
        return jsonReply(200, recordPayment(state, second, new URLSearchParams(body)));
      }
    }
    throw resourceNotFound(`Sorry, we couldn't find that resource: ${method} ${API_PREFIX}/${segments.join('/')} is not served by this site`);
  }

  async function answer(req: IncomingMessage, url: URL, body: string, entry: RequestLogEntry): Promise<Reply> {
    if (!authorized(req, config.apiKey)) return errorReply(authenticationFailed());
    const method = req.method ?? 'GET';
    if (!url.pathname.startsWith(`${API_PREFIX}/`)) {
      return errorReply(resourceNotFound(`Sorry, we couldn't find that resource: ${url.pathname}`));
    }
    const segments = url.pathname
      .slice(API_PREFIX.length + 1)
      .split('/')
      .filter((s) => s !== '')
      .map(decodeURIComponent);
    const key = method === 'POST' ? req.headers['chargebee-idempotency-key'] : undefined;
    const idempotencyKey = typeof key === 'string' && key !== '' ? key : undefined;
    const fingerprint = createHash('sha256').update(`${method} ${url.pathname}\n${url.search}\n${body}`).digest('hex');
    try {
      if (idempotencyKey) {
        const replay = idempotency.lookup(idempotencyKey, fingerprint, state.now());
        if (replay) return { ...replay, headers: { ...replay.headers, 'chargebee-idempotency-replayed': 'true' } };
      }
      let reply: Reply;
      try {
        const operation = await vendorOperation(method, segments);
        if (operation) {
          entry.operation = operation.name;
          entry.operationSource = operation.source;
          checkAgainstVendorSchema(operation, method === 'POST' ? new URLSearchParams(body) : url.searchParams);
        }
        reply = route(method, segments, url.searchParams, body);
      } catch (error) {
        if (!(error instanceof ChargebeeApiError)) throw error;
        reply = errorReply(error);
      }
      if (idempotencyKey) idempotency.remember(idempotencyKey, fingerprint, reply, state.now());
      return reply;
    } catch (error) {
      if (error instanceof ChargebeeApiError) return errorReply(error);
      throw error;
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    const key = req.headers['chargebee-idempotency-key'];
    const entry: RequestLogEntry = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      status: 0,
      ...(typeof key === 'string' ? { idempotencyKey: key } : {}),
    };
    config.requests.push(entry);
    const body = await readBody(req);
    if (body !== '') entry.body = body;
    if (faults.delayMs > 0) await sleep(faults.delayMs);

    const fault = faults.next();
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    let reply: Reply;
    if (fault?.kind === 'html') {
      reply = { status: fault.status, body: SERVICE_UNAVAILABLE_HTML, headers: { 'content-type': 'text/html' } };
    } else if (fault?.kind === 'error') {
      reply = errorReply(fault.error);
    } else {
      const wait = config.rateLimiter?.check();
      reply = wait !== undefined ? errorReply(requestLimitExceeded(wait)) : await answer(req, url, body, entry);
      if (wait === undefined && faults.takeDrop()) {
        entry.responseDropped = true;
        req.socket.destroy();
        return;
      }
    }
    entry.status = reply.status;
    // Chargebee's own clock, as a real server's Date header gives it (the fake's clock may be set).
    res.setHeader('date', new Date(config.state.now() * 1000).toUTCString());
    res.writeHead(reply.status, reply.headers);
    res.end(reply.body);
  }

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug in the fake must be loud in the test that hit it, not a hung request.
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      if (!res.headersSent) res.writeHead(500, JSON_HEADERS);
      res.end(
        JSON.stringify({
          message: `fake Chargebee crashed: ${message}`,
          api_error_code: 'internal_error',
          error_code: 'internal_error',
          http_status_code: 500,
        }),
      );
    });
  });
}

export async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return (server.address() as AddressInfo).port;
}
