/**
 * Conformance: every distinct request the QuickBooks Online connector sends in end-to-end runs
 * (token refresh, query, batch, create, sparse update, void, Payment void, delete) is captured
 * from the fake and checked against what Intuit defines:
 * - entity bodies against Intuit's XSDs (test/fixtures/vendor/qbo/Finance.xsd and the base types,
 *   from intuit/QuickBooks-V3-Java-SDK);
 * - the operation forms against Intuit's SDKs: create `POST /{entity}`; update
 *   `?operation=update` + `sparse: true` (node-quickbooks `update`); void `?operation=void` with
 *   `{Id, SyncToken}`, except Payment / SalesReceipt: `?operation=update&include=void` sparse
 *   (QuickBooks-V3-PHP-SDK src/Core/CoreConstants.php PAYMENTCLASSNAME, VOID_QUERYPARAMETER_PAYMENT;
 *   node-quickbooks `voidPayment`); delete `?operation=delete` with `{Id, SyncToken}`; batch items
 *   `create | update | delete` or `Query`; `minorversion` on every call;
 * - queries against the query grammar the fake implements (Intuit's query language subset).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../../fakes/qbo/index.js';
import { parseQuery } from '../../fakes/qbo/query.js';
import { loadQboSchema, validateEntity } from '../../fakes/qbo/xsd-schema.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

const schema = loadQboSchema();
const VOIDED_BY_UPDATE = new Set(['Payment', 'SalesReceipt']);
let s: Sandbox;
let requests: RecordedRequest[] = [];
let grants: string[] = [];

beforeAll(async () => {
  s = await startSandbox();
  s.edit([['allow_transaction_delete: false', 'allow_transaction_delete: true']]);
  expect((await s.run()).exitCode).toBe(0);
  // Changes that make the connector update, void and delete.
  const [open, other] = s.cb.state.all('invoices').filter((i) => !i.deleted && i.status === 'payment_due');
  s.cb.state.touch('invoices', open!.id, { status: 'voided', voided_at: open!.date! + 3600 });
  s.cb.state.touch('invoices', other!.id, { due_date: other!.due_date! + 86_400 * 10 });
  const payments = s.cb.state.all('transactions').filter((t) => !t.deleted && t.type === 'payment' && t.status === 'success');
  const synced = payments.filter((t) => s.qbo.state.entities('Payment').some((p) => p['PaymentRefNum'] === t.id));
  s.cb.state.touch('transactions', synced[0]!.id, { status: 'voided' });
  s.cb.state.delete('transactions', synced[1]!.id);
  const second = await s.run();
  expect(second.exitCode, JSON.stringify(second.streams)).toBe(0);
  requests = s.qbo.state.requests;
  grants = s.qbo.state.tokenRequests.map((t) => t.grantType);
}, 120_000);
afterAll(() => s?.close());

type Kind = 'query' | 'batch' | 'read' | 'create' | 'update' | 'void' | 'void-by-update' | 'delete';

function entityOf(r: RecordedRequest): string {
  const resource = r.path.split('/')[4] ?? '';
  const body = r.body as Record<string, unknown> | undefined;
  return (
    ['Invoice', 'Payment', 'Customer', 'Item', 'CreditMemo', 'RefundReceipt', 'SalesReceipt'].find((e) => e.toLowerCase() === resource) ??
    (body ? '?' : resource)
  );
}

/** Which SDK form a request is, or a reason it is none of them. */
function kindOf(r: RecordedRequest): Kind | string {
  const resource = r.path.split('/')[4] ?? '';
  const { minorversion, operation, include, ...rest } = r.query;
  if (!minorversion) return 'no minorversion';
  if (resource === 'query' && r.method === 'GET') return 'query';
  if (resource === 'batch' && r.method === 'POST') return 'batch';
  if (resource === 'companyinfo' || (r.method === 'GET' && r.path.split('/').length > 5)) return 'read';
  if (r.method !== 'POST') return `unexpected ${r.method}`;
  const extra = Object.keys(rest).filter((k) => k !== 'query');
  if (extra.length) return `unexpected parameters ${extra.join(', ')}`;
  const body = (r.body ?? {}) as Record<string, unknown>;
  const keys = Object.keys(body).sort().join(',');
  const entity = entityOf(r);
  if (operation === undefined && include === undefined) return body['Id'] === undefined ? 'create' : 'update without operation=update';
  if (operation === 'update' && include === undefined) return body['sparse'] === true && body['Id'] !== undefined ? 'update' : 'update not sparse';
  if (operation === 'update' && include === 'void')
    return VOIDED_BY_UPDATE.has(entity) && keys === 'Id,SyncToken,sparse' && body['sparse'] === true
      ? 'void-by-update'
      : `include=void on ${entity} with ${keys}`;
  if (operation === 'void') return !VOIDED_BY_UPDATE.has(entity) && keys === 'Id,SyncToken' ? 'void' : `operation=void on ${entity} with ${keys}`;
  if (operation === 'delete') return keys === 'Id,SyncToken' ? 'delete' : `delete with ${keys}`;
  return `unknown operation ${String(operation)}`;
}

describe('QuickBooks Online requests against Intuit’s XSDs and SDK forms', () => {
  it('every API request is one of the SDKs’ forms, answered', () => {
    const kinds = requests.map((r) => kindOf(r));
    const known = new Set(['query', 'batch', 'read', 'create', 'update', 'void', 'void-by-update', 'delete']);
    expect(kinds.filter((k) => !known.has(k))).toEqual([]);
    expect(requests.filter((r) => r.status >= 400).map((r) => `${r.method} ${r.path} ${r.status}`)).toEqual([]);
    // Every form the connector can send appears in these runs.
    for (const k of ['query', 'batch', 'void', 'void-by-update', 'delete']) expect(kinds, k).toContain(k);
    expect(kinds.includes('create') || requests.some((r) => (r.batchOperations ?? []).some((o) => o.startsWith('create')))).toBe(true);
    expect(kinds.includes('update') || requests.some((r) => (r.batchOperations ?? []).some((o) => o.startsWith('update')))).toBe(true);
  });

  it('token requests are OAuth 2 refresh_token grants', () => {
    expect(grants.length).toBeGreaterThan(0);
    expect(new Set(grants)).toEqual(new Set(['refresh_token']));
  });

  it('every entity body (single or batch item) is valid against Intuit’s XSD, sparse updates included', () => {
    let checked = 0;
    for (const r of requests) {
      const kind = kindOf(r);
      if (kind === 'create' || kind === 'update') {
        expect(validateEntity(schema, entityOf(r), r.body), `${r.method} ${r.path}`).toEqual([]);
        checked++;
      }
      if (kind === 'batch') {
        for (const item of (r.body as { BatchItemRequest?: Record<string, unknown>[] }).BatchItemRequest ?? []) {
          if (typeof item['Query'] === 'string') {
            expect(() => parseQuery(item['Query'] as string)).not.toThrow();
            continue;
          }
          const operation = String(item['operation']);
          expect(['create', 'update', 'delete']).toContain(operation);
          const entity = Object.keys(item).find((k) => !['bId', 'operation', 'optionsData'].includes(k))!;
          const body = item[entity] as Record<string, unknown>;
          if (operation === 'delete') expect(Object.keys(body).sort()).toEqual(['Id', 'SyncToken']);
          else {
            if (operation === 'update') expect(body['sparse']).toBe(true);
            expect(validateEntity(schema, entity, body), `batch ${operation} ${entity}`).toEqual([]);
          }
          checked++;
        }
      }
      if (kind === 'query') expect(() => parseQuery(r.query['query'] ?? '')).not.toThrow();
    }
    expect(checked).toBeGreaterThan(10);
  });
});
