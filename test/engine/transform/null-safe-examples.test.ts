/**
 * A JSON null in a source record never breaks a shipped example mapping: the engine drops
 * null-valued properties before any filter or mapping sees a record (engine/transform/normalize.ts),
 * so a null reads exactly as an absent field. Every stream of every example pipeline is fed seeded
 * records twice, once with each optional field (absent from some records of that resource, at the
 * top level, in nested objects and in objects inside arrays) set to null and once with it removed,
 * and must map both the same way.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { loadPipeline } from '../../../engine/config/load.js';
import type { Plan } from '../../../engine/config/plan.js';
import { createBindings } from '../../../engine/transform/bindings.js';
import { mapRecord } from '../../../engine/transform/mapper.js';
import { withoutNullProperties } from '../../../engine/transform/normalize.js';
import { startFakeChargebee, type FakeChargebee, type ResourceName } from '../../fakes/chargebee/index.js';

const examples = join(import.meta.dirname, '../../../pipelines/examples');
const files = readdirSync(examples).filter((f) => f.endsWith('.yaml') && !f.endsWith('.cases.yaml'));
/** Every variable an example reads, with a value its schema accepts ('x' where any text will do). */
const FIXED: Readonly<Record<string, string | undefined>> = {
  CHARGEBEE_SITE: 'acme-test',
  LEDGERSYNC_JSONATA: undefined,
  ACUMATICA_URL: 'https://acme.acumatica.example',
  ACUMATICA_ENDPOINT_VERSION: '24.200.001',
  DUALENTRY_ROUNDING_ACCOUNT: '7990',
};
const env = new Proxy({} as Record<string, string>, {
  get: (_t, key) => {
    const name = String(key);
    if (name in FIXED) return FIXED[name];
    return name.endsWith('_ID') ? '1' : name.endsWith('_URL') ? '' : 'x';
  },
});

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === 'object' && !Array.isArray(v);

/** Paths (`a`, `a.b`, `a[].b`) present in some records and absent from others. */
function optionalPaths(records: readonly Json[]): string[] {
  const seen = new Map<string, number>();
  const visit = (value: Json, prefix: string, count: (path: string) => void) => {
    for (const [key, item] of Object.entries(value)) {
      const path = prefix + key;
      count(path);
      if (isObject(item) && !prefix) visit(item, `${path}.`, count);
      if (Array.isArray(item) && !prefix) for (const element of item) if (isObject(element)) visit(element, `${path}[].`, count);
    }
  };
  const containers = new Map<string, number>();
  for (const record of records) {
    const here = new Set<string>();
    visit(record, '', (p) => here.add(p));
    for (const p of here) seen.set(p, (seen.get(p) ?? 0) + 1);
    for (const [key, item] of Object.entries(record)) {
      if (isObject(item)) containers.set(`${key}.`, (containers.get(`${key}.`) ?? 0) + 1);
      if (Array.isArray(item)) containers.set(`${key}[].`, (containers.get(`${key}[].`) ?? 0) + item.filter(isObject).length);
    }
  }
  // An array element path is optional when some elements lack it; count elements, not records.
  const elementCounts = new Map<string, number>();
  for (const record of records)
    for (const [key, item] of Object.entries(record))
      if (Array.isArray(item))
        for (const element of item.filter(isObject))
          for (const field of Object.keys(element)) elementCounts.set(`${key}[].${field}`, (elementCounts.get(`${key}[].${field}`) ?? 0) + 1);
  const optional: string[] = [];
  for (const [path, n] of seen) {
    if (path === 'id') continue;
    const container = /^(.*[.\]]\.?)/.exec(path)?.[1];
    const total = path.includes('[].')
      ? (containers.get(path.slice(0, path.indexOf('[].') + 3)) ?? 0)
      : container
        ? (containers.get(container) ?? 0)
        : records.length;
    const present = path.includes('[].') ? (elementCounts.get(path) ?? 0) : n;
    if (present < total) optional.push(path);
  }
  return optional;
}

/** The record with each optional path set to `replacement` (null) or removed (undefined). */
function withPaths(record: Json, paths: readonly string[], replacement: null | undefined): Json {
  const copy = structuredClone(record);
  const apply = (target: Json, key: string) => {
    if (!(key in target)) return;
    if (replacement === undefined) delete target[key];
    else target[key] = replacement;
  };
  for (const path of paths) {
    const [head, rest] = path.includes('[].') ? path.split('[].') : path.split('.');
    if (rest === undefined) apply(copy, head!);
    else if (path.includes('[].')) for (const element of (copy[head!] as unknown[] | undefined) ?? []) isObject(element) && apply(element, rest);
    else if (isObject(copy[head!])) apply(copy[head!] as Json, rest);
  }
  return copy;
}

async function outcome(plan: Plan, streamName: string, data: Json): Promise<unknown> {
  const stream = plan.streams.find((s) => s.name === streamName)!;
  const bindings = createBindings({ options: plan.options, lookups: plan.lookups, timezone: plan.timezone, resolveTarget: (_s, id) => `T-${id}` });
  try {
    return await mapRecord(stream, { id: String(data['id'] ?? data['RECORDNO']), deleted: data['deleted'] === true, data }, bindings);
  } catch (error) {
    return { threw: (error as { code?: string }).code ?? String(error) };
  }
}

const intacctPayments: Json[] = [
  {
    RECORDNO: '10',
    CUSTOMERID: 'cus_1',
    DOCNUMBER: 'CHK-1',
    PAYMENTMETHOD: 'Printed Check',
    RECEIPTDATE: '03/10/2024',
    CURRENCY: 'USD',
    APPLIED_TO: [{ INVOICEKEY: '5', INVOICENO: 'inv_1', AMOUNT: '10.00' }],
  },
  {
    RECORDNO: '11',
    CUSTOMERID: 'cus_2',
    RECEIPTDATE: '03/11/2024',
    APPLIED_TO: [
      { INVOICEKEY: '6', INVOICENO: 'inv_2', AMOUNT: '5.00' },
      { INVOICEKEY: '7', AMOUNT: '1.00' },
    ],
  },
];

let fake: FakeChargebee;
const plans: Record<string, Plan> = {};
beforeAll(async () => {
  fake = await startFakeChargebee({ customers: 60 });
  for (const file of files) {
    const loaded = await loadPipeline(join(examples, file), { env, mode: 'validate', connectorsDir: installedConnectors.descriptorsDir });
    if (!loaded.plan) throw new Error(`${file}: ${JSON.stringify(loaded.problems)}`);
    plans[file] = loaded.plan;
  }
});
afterAll(() => fake.close());

describe('null-safe example mappings', () => {
  it('normalisation drops null properties at any depth, keeps array positions, and copies nothing when there is no null', () => {
    const clean = { a: 1, b: [{ c: 2 }] };
    expect(withoutNullProperties(clean)).toBe(clean);
    expect(withoutNullProperties({ a: null, b: [{ c: null, d: 1 }, null], e: { f: null } })).toEqual({ b: [{ d: 1 }, null], e: {} });
  });

  it.each(files)('%s: every stream maps a record with null optional fields as it maps one without them', async (file) => {
    const plan = plans[file]!;
    let compared = 0;
    for (const stream of plan.streams) {
      const records = stream.endpoint === 'ar_payments' ? intacctPayments : (fake.state.all(stream.endpoint as ResourceName) as unknown as Json[]);
      const optional = optionalPaths(records);
      expect(optional.length, `${file} ${stream.name}: optional fields found`).toBeGreaterThan(0);
      for (const record of records.slice(0, 80)) {
        const nulled = await outcome(plan, stream.name, withPaths(record, optional, null));
        const absent = await outcome(plan, stream.name, withPaths(record, optional, undefined));
        expect(nulled, `${file} ${stream.name} ${String(record['id'] ?? record['RECORDNO'])}`).toEqual(absent);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(0);
  });

  it('a customer whose first_name is null maps in the QuickBooks example (it threw T0412 in $join)', async () => {
    const customer = { ...(fake.state.all('customers')[0] as unknown as Json), first_name: null, last_name: 'Lovelace', company: null };
    const result = (await outcome(plans['chargebee-to-quickbooks.yaml']!, 'customers', customer)) as { kind?: string; records?: { data: Json }[] };
    expect(result.kind).toBe('mapped');
    expect(JSON.stringify(result.records?.[0]?.data)).toContain('Lovelace');
  });
});
