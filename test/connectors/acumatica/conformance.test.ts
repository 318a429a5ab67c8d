/**
 * Conformance: every distinct request the Acumatica connector sends in end-to-end runs (token
 * grants, cookie login and logout, listings with $filter/$select/$expand/$top/$skip, PUT creates and
 * sparse updates, release actions and their status polls, the version probe) is captured on the way
 * out and checked against what Acumatica defines:
 * - paths, methods and query options against the endpoint's OpenAPI file (test/fixtures/vendor/acumatica/,
 *   from Acumatica/AcumaticaRESTAPIClientForCSharp): `GET /{Entity}` takes $select $filter $expand
 *   $custom $skip $top, `PUT /{Entity}` $select $filter $expand $custom, actions are `POST /{Entity}/{Action}`
 *   with `{"entity": …}` (the action's schema);
 * - every entity body against its schema: every value wrapped as the contract's value type, no field
 *   the contract lacks (the fake's validator, built from the same file);
 * - every `$filter` against the OData subset the fake parses, on fields of the entity;
 * - sign-in forms: the resource-owner password and refresh-token grants of RFC 6749 (sections 4.3
 *   and 6) with client_id / client_secret in the form, scope `api offline_access`; the cookie login
 *   body `{name, password, tenant, branch}` of Acumatica's Integration Development Guide; logout
 *   `POST /entity/auth/logout` without a body.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpRequest } from '../../../engine/http/connection.js';
import { loadContractSchema, validateEntity } from '../../fakes/acumatica/openapi.js';
import { parseQueryOptions } from '../../fakes/acumatica/query.js';
import { type Sandbox, startSandbox } from './e2e-harness.js';
import { live } from './expect-sync.js';
import { withSinkRequests } from '../../support/watched-connectors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const openapi = JSON.parse(readFileSync(join(root, 'test', 'fixtures', 'vendor', 'acumatica', 'Default_24.200.001.openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, { parameters?: { $ref?: string; name?: string }[] }>>;
  components: { parameters: Record<string, { name: string }>; schemas: Record<string, { properties?: Record<string, unknown>; required?: string[] }> };
};
const contract = loadContractSchema();

interface Captured {
  connection: string;
  method: string;
  url: URL;
  headers: Record<string, string>;
  body: string | undefined;
  form: Record<string, unknown> | undefined;
}

/** The installed connectors, with Acumatica's HTTP connections recording every request they send. */
function recordingRegistry(out: Captured[]) {
  return withSinkRequests('acumatica', (request: HttpRequest, options) => {
    const url = /^https?:/.test(request.path) ? new URL(request.path) : new URL(`${options.baseUrl.replace(/\/+$/, '')}/${request.path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) if (value !== undefined && value !== null) url.searchParams.set(key, String(value));
    out.push({
      connection: options.label,
      method: request.method,
      url,
      headers: { ...request.headers },
      body: request.body ?? (request.json === undefined ? undefined : JSON.stringify(request.json)),
      form: request.form,
    });
  });
}

let s: Sandbox;
const oauth: Captured[] = [];
const cookie: Captured[] = [];

beforeAll(async () => {
  s = await startSandbox();
  expect((await s.run({ connectors: recordingRegistry(oauth) })).exitCode).toBe(0);
  // A change that makes the connector update a document: a pending invoice that changes, then closes.
  const candidate = live(s, 'invoices').find((i) => i.status === 'payment_due' && (i.linked_payments ?? []).length === 0);
  s.cb.state.touch('customers', live(s, 'customers')[0].id, { phone: '+1 555 0199' } as never);
  if (candidate) s.cb.state.touch('invoices', candidate.id, { po_number: 'PO-1' } as never);
  await s.run({ connectors: recordingRegistry(oauth) });
  await s.run({ connectors: recordingRegistry(cookie), env: { ...s.env, ACUMATICA_CLIENT_ID: '', ACUMATICA_CLIENT_SECRET: '' } });
}, 120_000);
afterAll(() => s?.close());

const endpointPrefix = '/entity/Default/24.200.001';

function apiPath(c: Captured): string | undefined {
  const path = c.url.pathname;
  return path.startsWith(endpointPrefix) ? path.slice(endpointPrefix.length) : undefined;
}

function allowedQuery(path: string, method: string): Set<string> {
  const operation = openapi.paths[path]?.[method.toLowerCase()];
  expect(operation, `${method} ${path} is in the OpenAPI file`).toBeDefined();
  return new Set(
    (operation!.parameters ?? [])
      .map((p) => (p.$ref ? openapi.components.parameters[p.$ref.split('/').pop()!]!.name : p.name!))
      .filter((n) => n.startsWith('$')),
  );
}

describe('Acumatica requests against the vendor definitions', () => {
  it('captured every kind of request', () => {
    const kinds = new Set([...oauth, ...cookie].map((c) => kindOf(c)));
    for (const kind of ['token', 'login', 'logout', 'list', 'create', 'update', 'action', 'action-status']) expect(kinds, kind).toContain(kind);
  });

  it('listings use only the query options the OpenAPI defines, with filters on fields of the entity', () => {
    const lists = [...oauth, ...cookie].filter((c) => kindOf(c) === 'list');
    expect(lists.length).toBeGreaterThan(5);
    for (const c of lists) {
      const entity = apiPath(c)!.slice(1);
      const allowed = allowedQuery(`/${entity}`, 'GET');
      for (const key of c.url.searchParams.keys()) expect(allowed, `${key} on GET ${entity}`).toContain(key);
      expect(() => parseQueryOptions(contract, entity, c.url.searchParams), c.url.search).not.toThrow();
    }
    const filters = lists.map((c) => c.url.searchParams.get('$filter') ?? '');
    expect(filters.some((f) => /CustomerOrder eq '[^']+' and Type eq 'Invoice'/.test(f))).toBe(true);
    expect(filters.some((f) => /PaymentRef eq '[^']+' and Type eq 'Payment'/.test(f))).toBe(true);
  });

  it('every PUT body binds to its entity schema: wrapped values, contract fields only', () => {
    const puts = [...oauth, ...cookie].filter((c) => c.method === 'PUT');
    expect(puts.length).toBeGreaterThan(20);
    for (const c of puts) {
      const entity = apiPath(c)!.slice(1);
      const allowed = allowedQuery(`/${entity}`, 'PUT');
      for (const key of c.url.searchParams.keys()) expect(allowed).toContain(key);
      const body = JSON.parse(c.body!) as unknown;
      expect(validateEntity(contract, entity, body), `PUT ${entity} ${c.body?.slice(0, 200)}`).toEqual([]);
    }
  });

  it('decimals are JSON numbers written digit for digit', () => {
    const bodies = [...oauth, ...cookie].filter((c) => c.method === 'PUT').map((c) => c.body!);
    expect(bodies.some((b) => /"Amount":\{"value":\d+\.\d{2}\}/.test(b))).toBe(true);
    expect(bodies.some((b) => /"Amount":\{"value":"/.test(b))).toBe(false);
  });

  it('actions are POST /{Entity}/{Action} with {"entity": …} as the action schema says, polled at the Location they answer', () => {
    const actions = [...oauth, ...cookie].filter((c) => kindOf(c) === 'action');
    expect(actions.length).toBeGreaterThan(5);
    for (const c of actions) {
      const path = apiPath(c)!;
      const [entity, action] = path.slice(1).split('/') as [string, string];
      expect(openapi.paths[path]?.['post'], `POST ${path}`).toBeDefined();
      expect(openapi.components.schemas[action]?.required).toEqual(['entity']);
      const body = JSON.parse(c.body!) as { entity: unknown };
      expect(Object.keys(body)).toEqual(['entity']);
      expect(validateEntity(contract, entity, body.entity)).toEqual([]);
    }
    for (const c of [...oauth, ...cookie].filter((x) => kindOf(x) === 'action-status')) {
      expect(c.url.pathname).toMatch(/^\/entity\/Default\/24\.200\.001\/\w+\/Release\w+\/status\/[\w-]+$/);
    }
  });

  it('OAuth: the password grant and the refresh-token grant of RFC 6749, client credentials in the form', () => {
    const grants = oauth.filter((c) => kindOf(c) === 'token');
    expect(grants.map((g) => g.form?.['grant_type'])).toEqual(['password', 'refresh_token']);
    expect(Object.keys(grants[0]!.form!).sort()).toEqual(['client_id', 'client_secret', 'grant_type', 'password', 'scope', 'username']);
    expect(grants[0]!.form!['scope']).toBe('api offline_access');
    expect(grants[0]!.form!['username']).toBe(`${s.acu.username}@${s.acu.tenant}`);
    expect(Object.keys(grants[1]!.form!).sort()).toEqual(['client_id', 'client_secret', 'grant_type', 'refresh_token']);
    for (const c of oauth.filter((x) => kindOf(x) === 'logout')) expect(c.headers['authorization']).toMatch(/^Bearer /);
  });

  it('cookie session: login with name, password and tenant; every run ends with a logout carrying the cookies', () => {
    const logins = cookie.filter((c) => kindOf(c) === 'login');
    expect(logins).toHaveLength(1);
    expect(JSON.parse(logins[0]!.body!)).toEqual({ name: s.acu.username, password: s.acu.password, tenant: s.acu.tenant });
    const logouts = cookie.filter((c) => kindOf(c) === 'logout');
    expect(logouts).toHaveLength(1);
    expect(logouts[0]!.body).toBeUndefined();
    expect(logouts[0]!.headers['cookie']).toContain('.ASPXAUTH=');
    expect(cookie.at(-1)).toBe(logouts[0]);
    expect(oauth.filter((c) => kindOf(c) === 'logout')).toHaveLength(2);
  });
});

function kindOf(c: Captured): string {
  const path = c.url.pathname;
  if (path.endsWith('/identity/connect/token')) return 'token';
  if (path.endsWith('/entity/auth/login')) return 'login';
  if (path.endsWith('/entity/auth/logout')) return 'logout';
  const api = apiPath(c);
  if (api === undefined) return `other ${c.method} ${path}`;
  const segments = api.split('/').filter(Boolean);
  if (c.method === 'GET' && segments.length === 1) return 'list';
  if (c.method === 'PUT') return (JSON.parse(c.body ?? '{}') as Record<string, unknown>)['id'] ? 'update' : 'create';
  if (c.method === 'POST' && segments.length === 2) return 'action';
  if (c.method === 'GET' && segments[2] === 'status') return 'action-status';
  return `other ${c.method} ${api}`;
}
