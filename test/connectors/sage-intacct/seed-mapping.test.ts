/**
 * The seed's mapping tables as data (seed-mapping.yaml): every row names the cases that prove it,
 * every case runs through the example pipelines' mappings (the `ledgersync test` engine), and
 * `posted:` checks the gateway function the sink builds from the mapped record, down to the XML
 * values Intacct receives (or the fake gateway's refusal).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../engine/config/load.js';
import type { Plan } from '../../../engine/config/plan.js';
import { loadCasesFile } from '../../../engine/config/cases.js';
import { formatProblem } from '../../../engine/errors.js';
import { runMappingCase, type MappingCase } from '../../../engine/run/mapping-test.js';
import { createBindings } from '../../../engine/transform/bindings.js';
import { mapRecord } from '../../../engine/transform/mapper.js';
import { createBody } from '../../../connectors/sage-intacct/documents.js';
import { connector } from '../../../connectors/sage-intacct/index.js';
import { startFakeIntacct, type FakeIntacct } from '../../fakes/intacct/index.js';
import type { XmlValue } from '../../../connectors/sage-intacct/xml.js';
import { FORWARD, REVERSE } from './e2e-harness.js';
import { intacctInput, intacctSpecs, record, seedCustomers, sinkContext } from './helpers.js';
import { installedConnectors } from '../../../app/registry.js';

const objectSpecs = intacctSpecs();

interface SeedRow {
  table: string;
  field: string;
  source: string;
  cases: string[];
}

interface SeedCase extends MappingCase {
  pipeline?: 'forward' | 'reverse';
  /** The gateway function the sink builds from the mapped record (ignored by `ledgersync test`). */
  'x-posted'?: { function?: string; part?: number; values?: Record<string, unknown>; rejected_by_fake?: string };
}

const read = (file: string) => parse(readFileSync(join(import.meta.dirname, file), 'utf8')) as { 'x-rows'?: SeedRow[]; cases: SeedCase[] };
const forward = read('seed-mapping.yaml');
const reverse = read('seed-mapping-reverse.yaml');
const data = {
  rows: forward['x-rows'] ?? [],
  cases: [...forward.cases, ...reverse.cases.map((c) => ({ ...c, pipeline: 'reverse' as const }))],
};
const env = {
  CHARGEBEE_SITE: 'acme-test',
  CHARGEBEE_API_KEY: 'key',
  INTACCT_SENDER_ID: 's',
  INTACCT_SENDER_PASSWORD: 'p',
  INTACCT_COMPANY_ID: 'c',
  INTACCT_USER_ID: 'u',
  INTACCT_USER_PASSWORD: 'pw',
};
const plans: Record<string, Plan> = {};
let fake: FakeIntacct;

beforeAll(async () => {
  for (const [name, file] of [
    ['forward', FORWARD],
    ['reverse', REVERSE],
  ] as const) {
    const loaded = await loadPipeline(file, { env, mode: 'validate', connectorsDir: installedConnectors.descriptorsDir });
    if (!loaded.plan) throw new Error(JSON.stringify(loaded.problems));
    plans[name] = loaded.plan;
  }
  fake = await startFakeIntacct();
});
afterAll(() => fake.close());

/** Mapped records of a case, as the runner would hand them to the sink. */
async function mapped(c: SeedCase) {
  const plan = plans[c.pipeline ?? 'forward']!;
  const stream = plan.streams.find((s) => s.name === c.stream)!;
  const bindings = createBindings({
    options: { ...plan.options, ...c.options },
    lookups: plan.lookups,
    timezone: plan.timezone,
    resolveTarget: (s, id) => c.refs?.[s]?.[id],
  });
  const outcome = await mapRecord(stream, { id: String(c.input['id'] ?? 'case'), deleted: c.deleted ?? false, data: c.input }, bindings);
  return outcome.kind === 'mapped' ? outcome.records : [];
}

/** `a.b[1].c` in a function body; an element repeated without an index is read at [0]. */
function at(body: XmlValue | undefined, path: string): unknown {
  let current: unknown = body;
  for (const part of path.split('.')) {
    const m = /^([^[]+)(?:\[(\d+)\])?$/.exec(part)!;
    if (Array.isArray(current)) current = current[0];
    current = (current as Record<string, unknown> | undefined)?.[m[1]!];
    if (m[2] !== undefined) current = Array.isArray(current) ? current[Number(m[2])] : Number(m[2]) === 0 ? current : undefined;
  }
  return Array.isArray(current) && typeof current[0] !== 'object' ? current[0] : current;
}

describe('the seed mapping tables', () => {
  const names = new Set(data.cases.map((c) => c.name));

  it('has a proving case for every row of every table', () => {
    // 5 customer, 15 invoice line, 4 tax, 14 discount, 6 credit-note application, 6 refund knockoff,
    // 6 AP payment, 2 payment request item, 6 payment application, 8 offline payment, 6 payment method.
    expect(data.rows.length).toBe(78);
    for (const row of data.rows) {
      expect(row.cases.length, `${row.table}.${row.field}`).toBeGreaterThan(0);
      for (const name of row.cases) expect(names.has(name), `${row.table}.${row.field} names an unknown case '${name}'`).toBe(true);
    }
    const used = new Set(data.rows.flatMap((r) => r.cases));
    expect([...names].filter((n) => !used.has(n) && !/echoed|not sent back|Intacct is not/.test(n))).toEqual([]);
  });

  it('both files are valid `ledgersync test` cases files for their pipelines', () => {
    for (const [file, plan] of [
      ['seed-mapping.yaml', plans['forward']!],
      ['seed-mapping-reverse.yaml', plans['reverse']!],
    ] as const) {
      const loaded = loadCasesFile(join(import.meta.dirname, file), { streams: plan.streams.map((s) => s.name), options: Object.keys(plan.options) });
      expect(loaded.problems.map(formatProblem)).toEqual([]);
    }
  });

  it.each(data.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    // Checks `expect` and `expect_absent` (the fields the seed says are nil).
    const result = await runMappingCase(plans[c.pipeline ?? 'forward']!, c);
    expect(result.problems).toEqual([]);
    const posted = c['x-posted'];
    if (!posted) return;
    const records = await mapped(c);
    const r = records[posted.part ?? 0]!;
    if (posted.rejected_by_fake) {
      // Posted to the fake gateway, the record is refused with Intacct's errorno.
      seedCustomers(fake, 'cus_1');
      const [result] = await connector.createSink!(intacctInput(fake)).write([record(r.object, r.sourceId, r.data)], sinkContext());
      expect(result?.status).toBe('failed');
      if (result?.status === 'failed') expect(result.error.details['errorno']).toBe(posted.rejected_by_fake);
      return;
    }
    const fn = createBody(objectSpecs[r.object]!, r.object, r.data);
    expect(fn.name).toBe(posted.function);
    for (const [path, value] of Object.entries(posted.values ?? {})) expect(at(fn.body, path), path).toEqual(value);
  });
});
