/**
 * Proves every row of the seed's Chargebee → QBO mapping table (test/connectors/quickbooks-online/seed-mapping.yaml) is
 * implemented by the example pipeline: crafted Chargebee records go through the real run, and
 * each row checks one field of what landed in the fake QBO.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, parseDocument } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MutableResourceName } from '../../fakes/chargebee/index.js';
import { startSandbox, type Sandbox } from './e2e-harness.js';

interface Row {
  entity: string;
  target: string;
  source: string;
  rule?: string;
  set: string;
  find: Record<string, string> & { object: string };
  path?: string;
  expect?: unknown;
  absent?: boolean;
}

interface Table {
  sets: Record<string, Record<string, unknown>>;
  /** CompanyInfo.Country of each set's QuickBooks company, when not the fake's default (US). */
  countries: Record<string, string>;
  /** Lookup values per set, added to the example's tables of those names. */
  lookups: Record<string, Record<string, Record<string, string>>>;
  records: Partial<Record<MutableResourceName, Record<string, unknown>[]>>;
  changes: { delete: MutableResourceName; id: string }[];
  rows: Row[];
}

const table = parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'seed-mapping.yaml'), 'utf8')) as Table;

/**
 * Decimals as their value, whether QBO got them as JSON numbers (amounts go out as numbers, as the
 * XSD's xs:decimal and Intuit's SDKs have them) or a table row writes them as text ("39.98").
 */
function decimalsByValue(value: unknown): unknown {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string' && /^-?\d+(\.\d+)?$/.test(value)) return String(Number(value));
  if (Array.isArray(value)) return value.map(decimalsByValue);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, decimalsByValue(v)]));
  return value;
}

function valueAt(value: unknown, path: string): unknown {
  let current = value;
  for (const part of path.split('.').flatMap((p) => p.split(/\[(\d+)\]/).filter(Boolean))) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string | number, unknown>)[/^\d+$/.test(part) ? Number(part) : part];
  }
  return current;
}

function setOptions(s: Sandbox, options: Record<string, unknown>, lookups: Record<string, Record<string, string>> = {}): void {
  const doc = parseDocument(readFileSync(s.pipelinePath, 'utf8'));
  for (const [key, value] of Object.entries(options)) {
    if (!doc.hasIn(['options', key])) throw new Error(`the example pipeline has no option ${key}`);
    doc.setIn(['options', key], value);
  }
  for (const [table, values] of Object.entries(lookups)) {
    if (!doc.hasIn(['lookups', table])) throw new Error(`the example pipeline has no lookup table ${table}`);
    for (const [key, value] of Object.entries(values)) doc.setIn(['lookups', table, 'values', key], value);
  }
  writeFileSync(s.pipelinePath, doc.toString());
}

describe.each(Object.keys(table.sets))('seed 003 mapping rows, option set %s', (set) => {
  let sandbox: Sandbox;
  const rows = table.rows.filter((r) => r.set === set);

  beforeAll(async () => {
    sandbox = await startSandbox({}, table.countries[set] ? { country: table.countries[set] } : {});
    setOptions(sandbox, table.sets[set]!, table.lookups[set]);
    for (const [resource, records] of Object.entries(table.records)) {
      for (const record of records ?? []) sandbox.cb.state.create(resource as MutableResourceName, structuredClone(record));
    }
    const first = await sandbox.run();
    expect(first.exitCode, JSON.stringify(first)).toBe(0);
    for (const change of table.changes) sandbox.cb.state.delete(change.delete, change.id);
    const second = await sandbox.run();
    expect(second.exitCode, JSON.stringify(second)).toBe(0);
  }, 60_000);

  afterAll(async () => sandbox?.close());

  it.each(rows.map((r) => [`${r.entity}.${r.target} ← ${r.source}${r.rule ? ` (${r.rule})` : ''}`, r] as const))('%s', (_, row) => {
    const { object, ...where } = row.find;
    const [field, value] = Object.entries(where)[0]!;
    const found = sandbox.qbo.state.entities(object).filter((e) => e[field] === value);
    if (row.absent && row.path === undefined) {
      expect(found).toEqual([]);
      return;
    }
    expect(found, `${object} with ${field} = ${value}`).toHaveLength(1);
    const actual = valueAt(found[0], row.path!);
    if (row.absent) expect(actual).toBeUndefined();
    else expect(decimalsByValue(actual)).toEqual(decimalsByValue(row.expect));
  });
});

it('the table covers every section of the seed', () => {
  const sections = new Set(table.rows.map((r) => r.entity));
  for (const s of ['Customer', 'Item', 'Invoice', 'Address', 'CreditMemo', 'Payment', 'JournalEntry']) expect(sections).toContain(s);
  expect(table.rows.length).toBeGreaterThanOrEqual(60);
});
