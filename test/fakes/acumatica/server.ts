/**
 * The HTTP front of the fake tenant (node:http on 127.0.0.1): the Identity Server's token endpoint,
 * `/entity/auth/login|logout`, `GET /entity` (the endpoints the tenant serves), and the
 * contract-based API under `/entity/{endpoint}/{version}/`: list, get by keys or id, PUT (upsert,
 * with `If-None-Match: *` / `If-Match: *`), DELETE, actions (202 + Location, then status polls) and
 * the CompaniesStructure inquiry. Only the configured endpoint versions are served: any other
 * answers 404. Fault knobs and the licence limits apply before anything takes effect.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { AuthService } from './auth.js';
import { AcumaticaError, badRequest, injectedFailure, methodNotAllowed, pxException, requestInvalid, routeNotFound, tooManyRequests } from './errors.js';
import type { Faults } from './faults.js';
import type { LicenceLimits, RequestLimiter } from './limits.js';
import { type ContractSchema, type PlainRecord, unwrapEntity, type UnwrapNotes, validateEntity, type Violation } from './openapi.js';
import { parseQueryOptions, renderEntity, selectRecords } from './query.js';
import { BRANCHES } from './rules.js';
import type { WriteEvent } from './store.js';
import { RecordRefused, type Precondition, type Tenant } from './tenant.js';

export interface EndpointVersion {
  name: string;
  version: string;
}

export interface RequestLogEntry {
  method: string;
  /** Path under the instance, e.g. `/entity/Default/24.200.001/Customer`. */
  path: string;
  query: Record<string, string>;
  /** HTTP status answered; 0 when the socket was destroyed instead. */
  status: number;
  /** The top-level entity the request addressed, if any. */
  entity?: string;
  /** How the caller authenticated. */
  auth: 'cookie' | 'bearer' | 'none';
  at: number;
}

export interface ServerConfig {
  instancePath: string;
  endpoints: readonly EndpointVersion[];
  contract: ContractSchema;
  tenant: Tenant;
  auth: AuthService;
  limiter: RequestLimiter;
  limits: LicenceLimits;
  faults: Faults;
  /** Status polls that answer 202 before a started action reports completion. */
  actionPolls: number;
  latencyMs: number;
  requests: RequestLogEntry[];
  now: () => number;
}

interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string | string[]>;
  /** The write this request committed (for the afterWrite hook and the drop knob). */
  write?: WriteEvent;
}

interface Operation {
  remaining: number;
  failure: string | undefined;
  selfLink: string;
}

const JSON_TYPE = 'application/json; charset=utf-8';

export function createFakeServer(config: ServerConfig): Server {
  const { contract, tenant, auth, faults } = config;
  const operations = new Map<string, Operation>();

  function readBody(req: IncomingMessage): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      req.on('error', reject);
    });
  }

  function cookieOf(req: IncomingMessage): string | undefined {
    for (const part of (req.headers.cookie ?? '').split(';')) {
      const [name, ...value] = part.trim().split('=');
      if (name === '.ASPXAUTH' && value.join('=') !== '') return value.join('=');
    }
    return undefined;
  }

  function bearerOf(req: IncomingMessage): string | undefined {
    const match = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '');
    return match ? match[1]!.trim() : undefined;
  }

  function parseJson(text: string, parameter: string, schemaName: string): unknown {
    if (text.trim() === '') throw requestInvalid({ [parameter]: [`A value of type '${schemaName}' is required in the request body.`] });
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw requestInvalid({ [parameter]: [`Unexpected character encountered while parsing value. ${(error as Error).message}. Path '', line 1.`] });
    }
  }

  function requireJson(req: IncomingMessage, schemaName: string): void {
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (type === 'application/json' || type === 'text/json') return;
    throw new AcumaticaError(415, {
      message: `The request entity's media type '${type || '(none)'}' is not supported for this resource.`,
      exceptionMessage: `No MediaTypeFormatter is available to read an object of type '${schemaName}' from content with media type '${type || '(none)'}'.`,
      exceptionType: 'System.Net.Http.UnsupportedMediaTypeException',
    });
  }

  function modelState(violations: readonly Violation[], parameter: string): AcumaticaError {
    const state: Record<string, string[]> = {};
    for (const violation of violations) {
      const key = violation.path === '' ? parameter : `${parameter}.${violation.path}`;
      (state[key] ??= []).push(violation.message);
    }
    return requestInvalid(state);
  }

  function unwrap(entity: string, body: Record<string, unknown>): PlainRecord {
    const notes: UnwrapNotes = { rounded: [] };
    const plain = unwrapEntity(contract, entity, body, notes);
    for (const note of notes.rounded) tenant.roundings.push({ entity, path: note.path, sent: String(note.sent), stored: 'rounded to 6 decimals' });
    return plain;
  }

  function entityBase(endpoint: EndpointVersion): string {
    return `${config.instancePath}/entity/${endpoint.name}/${endpoint.version}`;
  }

  function refusedReply(error: RecordRefused, sent: PlainRecord): Reply {
    const errors: Record<string, string> = {};
    const collectionErrors: string[] = [];
    const fields = contract.entity(error.entity)!.fields;
    for (const [path, message] of Object.entries(error.errors)) {
      // A JSON array cannot carry an `error`: refusals of a whole detail collection go to the record's error.
      if (fields.get(path)?.kind === 'detail') collectionErrors.push(`${path}: ${message}`);
      else errors[path] = message;
    }
    const summary = errors[''] ?? `${error.inserting ? 'Inserting' : 'Updating'} '${error.entity}' record raised at least one error. Please review the errors.`;
    errors[''] = [summary, ...collectionErrors].join(' ');
    return { status: 422, body: renderEntity(contract, error.entity, error.record, { select: undefined, expand: new Set(), sent, errors }) };
  }

  function branchesInquiry(base: string, expand: ReadonlySet<string>): Record<string, unknown> {
    const record: PlainRecord = { id: randomUUID(), Results: tenant.store.all(BRANCHES).map((row) => structuredClone(row)) };
    return renderEntity(contract, 'CompaniesStructure', record, { select: undefined, expand, selfLink: `${base}/CompaniesStructure` });
  }

  async function entityRequest(
    method: string,
    endpoint: EndpointVersion,
    segments: string[],
    url: URL,
    req: IncomingMessage,
    bodyText: string,
  ): Promise<Reply> {
    const base = entityBase(endpoint);
    const [entity, ...rest] = segments;
    if (entity === undefined) throw routeNotFound(url.href);
    if (!contract.topLevelEntities.has(entity)) throw routeNotFound(url.href);
    const selfLink = (record: PlainRecord): string => `${base}/${entity}/${String(record['id'])}`;

    if (entity === 'CompaniesStructure') {
      if (rest.length > 0 || (method !== 'GET' && method !== 'PUT')) throw methodNotAllowed(method);
      const options = parseQueryOptions(contract, entity, url.searchParams);
      if (method === 'PUT') {
        requireJson(req, entity);
        const body = parseJson(bodyText, 'entity', entity);
        const violations = validateEntity(contract, entity, body);
        if (violations.length > 0) throw modelState(violations, 'entity');
      }
      const inquiry = branchesInquiry(base, options.expand);
      return { status: 200, body: method === 'GET' ? [inquiry] : inquiry };
    }
    if (!tenant.serves(entity))
      throw pxException(
        `The fake Acumatica does not serve the entity '${entity}' (it is in the contract, but no test needed it yet).`,
        'System.NotImplementedException',
      );

    if (method === 'GET' && rest.length === 0) {
      const options = parseQueryOptions(contract, entity, url.searchParams);
      const records = selectRecords(contract, entity, tenant.list(entity), options);
      return {
        status: 200,
        body: records.map((record, index) => renderEntity(contract, entity, record, { ...options, selfLink: selfLink(record) }, index + 1)),
      };
    }
    if (method === 'PUT' && rest.length === 0) {
      const options = parseQueryOptions(contract, entity, url.searchParams);
      requireJson(req, entity);
      const body = parseJson(bodyText, 'entity', entity);
      const violations = validateEntity(contract, entity, body);
      if (violations.length > 0) throw modelState(violations, 'entity');
      const plain = unwrap(entity, body as Record<string, unknown>);
      const sent = structuredClone(plain);
      const precondition: Precondition = req.headers['if-none-match'] === '*' ? 'insert' : req.headers['if-match'] === '*' ? 'update' : 'any';
      try {
        const { record, event } = tenant.put(entity, plain, precondition);
        return { status: 200, body: renderEntity(contract, entity, record, { ...options, sent, selfLink: selfLink(record) }), write: event };
      } catch (error) {
        if (error instanceof RecordRefused) return refusedReply(error, sent);
        throw error;
      }
    }
    if (method === 'GET' && rest.length === 3 && rest[1] === 'status' && contract.hasAction(entity, rest[0]!)) {
      const operation = operations.get(rest[2]!);
      if (!operation) throw routeNotFound(url.href);
      if (operation.remaining > 0) {
        operation.remaining--;
        return { status: 202, headers: { location: `${base}/${entity}/${rest[0]}/status/${rest[2]}` } };
      }
      if (operation.failure !== undefined) throw pxException(operation.failure);
      return { status: 204, headers: { location: operation.selfLink } };
    }
    if ((method === 'GET' || method === 'DELETE') && rest.length > 0) {
      const keys = rest.length === 1 && rest[0]!.includes('|') ? rest[0]!.split('|') : rest;
      if (method === 'DELETE') return { status: 204, write: tenant.delete(entity, keys) };
      const options = parseQueryOptions(contract, entity, url.searchParams);
      const record = tenant.get(entity, keys);
      return { status: 200, body: renderEntity(contract, entity, record, { ...options, selfLink: selfLink(record) }) };
    }
    if (method === 'POST' && rest.length === 1) {
      const action = rest[0]!;
      if (!contract.hasAction(entity, action))
        throw badRequest(`The action '${action}' is not defined for ${entity} in the endpoint.`, 'PX.Api.ContractBased.ActionNotFoundException');
      requireJson(req, action);
      const body = parseJson(bodyText, 'invocation', action);
      const violations: Violation[] = [];
      if (typeof body !== 'object' || body === null || Array.isArray(body))
        violations.push({ path: '', message: `Error converting value to type '${action}'.` });
      else {
        for (const key of Object.keys(body)) {
          if (key !== 'entity' && key !== 'parameters')
            violations.push({ path: key, message: `Could not find member '${key}' on object of type '${action}'. Path '${key}'.` });
        }
        const target = (body as Record<string, unknown>)['entity'];
        if (target === undefined || target === null) violations.push({ path: 'entity', message: 'The entity field is required.' });
        else violations.push(...validateEntity(contract, entity, target, 'entity'));
      }
      if (violations.length > 0) throw modelState(violations, 'invocation');
      const target = unwrap(entity, (body as Record<string, unknown>)['entity'] as Record<string, unknown>);
      for (const key of tenant.behaviour(entity)?.upperCaseKeys ?? []) if (typeof target[key] === 'string') target[key] = (target[key] as string).toUpperCase();
      const failure = faults.takeActionFailure();
      let write: WriteEvent | undefined;
      let link: string;
      if (failure === undefined) {
        const { record, event } = tenant.invoke(entity, action, target);
        write = event;
        link = selfLink(record);
      } else {
        link = `${base}/${entity}`;
      }
      if (config.actionPolls === 0) {
        if (failure !== undefined) throw pxException(failure);
        return { status: 204, headers: { location: link }, ...(write ? { write } : {}) };
      }
      const operationId = randomUUID();
      operations.set(operationId, { remaining: config.actionPolls, failure, selfLink: link });
      return { status: 202, headers: { location: `${base}/${entity}/${action}/status/${operationId}` }, ...(write ? { write } : {}) };
    }
    throw methodNotAllowed(method);
  }

  async function route(req: IncomingMessage, url: URL, relative: string, bodyText: string, entry: RequestLogEntry): Promise<Reply> {
    const method = req.method ?? 'GET';
    const cookie = cookieOf(req);
    const bearer = bearerOf(req);
    entry.auth = bearer !== undefined ? 'bearer' : cookie !== undefined ? 'cookie' : 'none';

    if (relative === '/entity/auth/logout') {
      if (method !== 'POST') throw methodNotAllowed(method);
      return { status: 204, headers: { 'set-cookie': auth.logout(cookie, bearer) } };
    }
    if (relative === '/entity/auth/login') {
      if (method !== 'POST') throw methodNotAllowed(method);
      const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
      let body: Record<string, unknown>;
      if (type === 'application/x-www-form-urlencoded') body = Object.fromEntries(new URLSearchParams(bodyText));
      else {
        requireJson(req, 'Credentials');
        const parsed = parseJson(bodyText, 'credentials', 'Credentials');
        if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
          throw requestInvalid({ credentials: ["Error converting value to type 'Credentials'."] });
        body = parsed as Record<string, unknown>;
      }
      return { status: 204, headers: { 'set-cookie': auth.login(body, cookie) } };
    }
    auth.authenticate(cookie, bearer);
    if (relative === '/entity' || relative === '/entity/') {
      if (method !== 'GET') throw methodNotAllowed(method);
      return {
        status: 200,
        body: {
          version: { acumaticaBuildVersion: '24.200.0123', databaseVersion: '24.200.0123' },
          endpoints: config.endpoints.map((endpoint) => ({
            name: endpoint.name,
            version: endpoint.version,
            href: `${config.instancePath}/entity/${endpoint.name}/${endpoint.version}/`,
          })),
        },
      };
    }
    const match = /^\/entity\/([^/]+)\/([^/]+)(?:\/(.*))?$/.exec(relative);
    if (!match) throw routeNotFound(url.href);
    const endpoint = config.endpoints.find(
      (candidate) => candidate.name === decodeURIComponent(match[1]!) && candidate.version === decodeURIComponent(match[2]!),
    );
    if (!endpoint) throw routeNotFound(url.href);
    const segments = (match[3] ?? '')
      .split('/')
      .filter((segment) => segment !== '')
      .map((segment) => decodeURIComponent(segment));
    if (segments[0] !== undefined) entry.entity = segments[0];
    return entityRequest(method, endpoint, segments, url, req, bodyText);
  }

  function send(res: ServerResponse, reply: Reply): void {
    if (res.destroyed) return;
    const headers: Record<string, string | string[]> = { ...(reply.headers ?? {}) };
    if (reply.body === undefined) {
      res.writeHead(reply.status, headers);
      res.end();
      return;
    }
    if (typeof reply.body === 'string') {
      res.writeHead(reply.status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
      res.end(reply.body);
      return;
    }
    res.writeHead(reply.status, { 'content-type': JSON_TYPE, ...headers });
    res.end(JSON.stringify(reply.body));
  }

  function errorReply(error: AcumaticaError): Reply {
    return { status: error.status, body: error.body, headers: { ...error.headers } };
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`);
    const bodyText = await readBody(req);
    const method = req.method ?? 'GET';
    if (config.instancePath !== '' && !url.pathname.startsWith(`${config.instancePath}/`)) {
      send(res, errorReply(routeNotFound(url.href)));
      return;
    }
    const relative = url.pathname.slice(config.instancePath.length);

    if (relative === '/identity/connect/token') {
      if (method !== 'POST') return send(res, errorReply(methodNotAllowed(method)));
      try {
        return send(res, { status: 200, body: auth.token(new URLSearchParams(bodyText)), headers: { 'cache-control': 'no-store', pragma: 'no-cache' } });
      } catch (error) {
        if (error instanceof AcumaticaError) return send(res, errorReply(error));
        throw error;
      }
    }

    const entry: RequestLogEntry = { method, path: relative, query: Object.fromEntries(url.searchParams), status: 0, auth: 'none', at: config.now() };
    config.requests.push(entry);

    const fault = faults.takePreFault();
    if (fault?.kind === 'reset') {
      req.socket.destroy();
      return;
    }
    const exempt = relative === '/entity/auth/logout';
    let admitted = false;
    let reply: Reply;
    try {
      if (fault?.kind === 'throttle') throw tooManyRequests(config.limits.retryAfterSeconds);
      if (fault?.kind === 'fail') throw injectedFailure(fault.status, fault.exceptionMessage);
      if (exempt) config.limiter.enterExempt();
      else if (!config.limiter.admit()) throw tooManyRequests(config.limits.retryAfterSeconds);
      admitted = true;
      const delay = config.latencyMs + faults.delayMs;
      if (delay > 0) await sleep(delay);
      reply = await route(req, url, relative, bodyText, entry);
    } catch (error) {
      if (!(error instanceof AcumaticaError)) throw error;
      reply = errorReply(error);
    } finally {
      if (admitted) config.limiter.release();
    }
    if (reply.write) {
      if (faults.afterWrite) await faults.afterWrite(reply.write);
      if (faults.takeDrop()) {
        req.socket.destroy();
        return;
      }
    }
    entry.status = reply.status;
    send(res, reply);
  }

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      // A bug in the fake must be loud in the test that hit it, not a hung request.
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      if (!res.headersSent) res.writeHead(500, { 'content-type': JSON_TYPE });
      res.end(JSON.stringify({ message: 'An error has occurred.', exceptionMessage: `fake Acumatica crashed: ${message}`, exceptionType: 'FakeAcumaticaBug' }));
    });
  });
}
