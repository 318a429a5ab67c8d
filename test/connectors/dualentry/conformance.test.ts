/**
 * Conformance: every distinct request the DualEntry connector sends in an end-to-end run (company
 * check, account check, create, and the reversal + re-post of `ledgersync post --repost`) is captured from the fake and checked against DualEntry's API as
 * test/fixtures/vendor/dualentry/API.md states it (a copy of shared/specs/dualentry/README.md):
 * paths under /public/v2/ ending in a slash, the X-API-KEY header, each list's parameters, and the
 * journal entry's body fields, required ones and types.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { postPeriod, revrecEnv, revrecPipelineCopy } from './revrec-harness.js';

const spec = readFileSync(join(import.meta.dirname, '../../fixtures/vendor/dualentry/API.md'), 'utf8');

/** The endpoints of API.md: method, path pattern, the query parameters it names. */
const ENDPOINTS: ReadonlyArray<{ method: string; path: RegExp; doc: string; params: readonly string[] }> = [
  { method: 'GET', path: /^\/public\/v2\/health\/$/, doc: 'GET /public/v2/health/', params: [] },
  { method: 'GET', path: /^\/public\/v2\/companies\/$/, doc: 'GET /public/v2/companies/', params: ['limit', 'offset'] },
  { method: 'GET', path: /^\/public\/v2\/companies\/\d+\/$/, doc: '/public/v2/companies/{company_id}/', params: [] },
  {
    method: 'GET',
    path: /^\/public\/v2\/accounts\/$/,
    doc: 'GET /public/v2/accounts/',
    params: ['numbers', 'is_active', 'account_types', 'limit', 'offset', 'company_id', 'company_id_access'],
  },
  { method: 'GET', path: /^\/public\/v2\/accounts\/\d+\/$/, doc: 'GET /public/v2/accounts/{account_number}/', params: [] },
  { method: 'POST', path: /^\/public\/v2\/journal-entries\/$/, doc: 'POST /public/v2/journal-entries/', params: [] },
  {
    method: 'GET',
    path: /^\/public\/v2\/journal-entries\/$/,
    doc: 'GET /public/v2/journal-entries/',
    params: [
      'limit',
      'offset',
      'ordering',
      'search',
      'company_id',
      'account_id',
      'number',
      'start_date',
      'end_date',
      'record_status',
      'amount_gte',
      'amount_lte',
    ],
  },
  { method: 'GET', path: /^\/public\/v2\/journal-entries\/\d+\/$/, doc: 'GET /public/v2/journal-entries/{record_number}/', params: [] },
  { method: 'PUT', path: /^\/public\/v2\/journal-entries\/\d+\/$/, doc: '`PUT` the same path', params: [] },
];
const ENTRY_FIELDS = [
  'date',
  'items',
  'transaction_date',
  'company_id',
  'memo',
  'currency_iso_4217_code',
  'exchange_rate',
  'reversal_date',
  'custom_fields',
  'attachments',
  'record_status',
];
const LINE_FIELDS = ['account_number', 'debit', 'credit', 'position', 'memo', 'customer_id', 'vendor_id', 'currency', 'classifications'];
const LINE_REQUIRED = ['account_number', 'debit', 'credit', 'position', 'memo'];

let chargebee: FakeChargebee;
let ledger: FakeDualEntry;
let dir: string;

beforeAll(async () => {
  chargebee = await startFakeChargebee({ customers: 12, seed: 7 });
  ledger = await startFakeDualEntry();
  dir = mkdtempSync(join(tmpdir(), 'ledgersync-de-conformance-'));
  const env = revrecEnv(chargebee, ledger);
  const pipeline = revrecPipelineCopy(dir, 'revrec.yaml');
  const statePath = join(dir, 'state.db');
  expect((await runPipeline({ connectors: installedConnectors, pipelinePath: pipeline, statePath, env, log: silentLogger })).exitCode).toBe(0);
  const entry = ledger.state.entries.find((e) => e.items.some((i) => i.account_number === 4000))!;
  const remapped = revrecPipelineCopy(dir, 'remapped.yaml', (t) => t.replace('      SAAS: "4000"\n', '      SAAS: "4020"\n'));
  const repost = await postPeriod({ pipelinePath: remapped, statePath, period: entry.date.slice(0, 7), repost: true, env, log: silentLogger });
  expect(repost.status).toBe('reposted');
}, 120_000);
afterAll(async () => {
  await chargebee.close();
  await ledger.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DualEntry requests against API.md', () => {
  it('the endpoint table is what API.md states', () => {
    for (const e of ENDPOINTS) expect(spec, e.doc).toContain(e.doc);
    for (const field of [...ENTRY_FIELDS, ...LINE_FIELDS]) expect(spec, field).toContain(`\`${field}\``);
  });

  it('every request is an endpoint of API.md, with only the parameters it names', () => {
    const requests = ledger.state.requests;
    expect(requests.length).toBeGreaterThan(5);
    const shapes = new Set<string>();
    for (const r of requests) {
      const endpoint = ENDPOINTS.find((e) => e.method === r.method && e.path.test(r.path));
      expect(endpoint, `${r.method} ${r.path}`).toBeDefined();
      const params = [...new URLSearchParams(r.query).keys()];
      expect(
        params.filter((p) => !endpoint!.params.includes(p)),
        `${r.method} ${r.path}${r.query}`,
      ).toEqual([]);
      shapes.add(`${r.method} ${endpoint!.doc} [${[...new Set(params)].sort().join(', ')}]`);
    }
    // Company check, account check, create (posts and reversals).
    const kinds = [...shapes].join('\n');
    for (const k of ['GET /public/v2/companies/{company_id}/', 'GET /public/v2/accounts/', 'POST /public/v2/journal-entries/']) expect(kinds).toContain(k);
  });

  it('every journal entry body has the fields API.md defines, the required ones, and their types', () => {
    const bodies = ledger.state.requests.filter((r) => r.method === 'POST' || r.method === 'PUT').map((r) => r.body as Record<string, unknown>);
    expect(bodies.length).toBeGreaterThan(3);
    for (const body of bodies) {
      expect(Object.keys(body).filter((k) => !ENTRY_FIELDS.includes(k))).toEqual([]);
      expect(body['date']).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      expect(Array.isArray(body['items'])).toBe(true);
      if (body['company_id'] !== undefined) expect(typeof body['company_id']).toBe('number');
      if (body['record_status'] !== undefined) expect(['draft', 'posted', 'archived']).toContain(body['record_status']);
      if (body['exchange_rate'] !== undefined) expect(['number', 'string']).toContain(typeof body['exchange_rate']);
      for (const line of body['items'] as Record<string, unknown>[]) {
        expect(Object.keys(line).filter((k) => !LINE_FIELDS.includes(k))).toEqual([]);
        for (const field of LINE_REQUIRED) expect(line, field).toHaveProperty(field);
        expect(typeof line['account_number']).toBe('number');
        expect(typeof line['position']).toBe('number');
        expect(typeof line['memo']).toBe('string');
        const amounts = [line['debit'], line['credit']].map((v) => String(v));
        for (const a of amounts) expect(a).toMatch(/^\d+(\.\d+)?$/);
        expect(
          amounts.some((a) => Number(a) === 0),
          'one of debit and credit is 0',
        ).toBe(true);
      }
    }
  });
});
