/**
 * The shipped example pipelines run on the compiled path: every expression compiles (no
 * fallback), and every mapping case and seed mapping table maps to the same records (or fails
 * with the same error) through the compiled closures alone as through the interpreter.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import { loadPipeline } from '../../../../engine/config/load.js';
import type { CompiledExpression, Plan, StreamPlan } from '../../../../engine/config/plan.js';
import { LedgersyncError } from '../../../../engine/errors.js';
import { createBindings } from '../../../../engine/transform/bindings.js';
import { interpretedOnly, mapRecord, mapRecordCompiled, streamIsCompiled } from '../../../../engine/transform/mapper.js';
import type { MappingCase } from '../../../../engine/run/mapping-test.js';

const root = join(import.meta.dirname, '..', '..', '..', '..');
const CONNECTORS = join(root, 'connectors');
const example = (name: string) => join(root, 'pipelines', 'examples', name);
const EXAMPLES = [
  'chargebee-to-jsonl.yaml',
  'chargebee-to-quickbooks.yaml',
  'chargebee-to-intacct.yaml',
  'intacct-payments-to-chargebee.yaml',
  'chargebee-revrec-to-dualentry.yaml',
];

async function load(file: string): Promise<Plan> {
  const { plan, problems } = await loadPipeline(file, { env: {}, mode: 'validate', connectorsDir: CONNECTORS });
  if (!plan) throw new Error(`${file}: ${JSON.stringify(problems)}`);
  return plan;
}

function expressionsOf(stream: StreamPlan): CompiledExpression[] {
  return [
    ...(stream.filter ? [stream.filter] : []),
    ...(stream.mapping.kind === 'expression' ? [stream.mapping.expression] : stream.mapping.fields.map((f) => f.expression)),
  ];
}

/** An outcome both sides can be compared on: the mapped records as JSON, or the error's code. */
function settle(run: () => unknown): Promise<unknown> {
  return Promise.resolve()
    .then(run)
    .then(
      (outcome) => ({ outcome: JSON.parse(JSON.stringify(outcome)) as unknown }),
      (error: unknown) => {
        if (error instanceof LedgersyncError) {
          const jsonataCode = (error.details as { jsonataCode?: unknown } | undefined)?.jsonataCode;
          return { error: error.code === 'transform_failed' ? `JSONata ${String(jsonataCode)}` : error.code };
        }
        return { error: `JSONata ${String((error as { code?: unknown }).code)}` };
      },
    );
}

interface Input {
  stream: string;
  input: Record<string, unknown>;
  options?: Record<string, unknown> | undefined;
  refs?: Record<string, Record<string, string>> | undefined;
  deleted?: boolean | undefined;
}

/** Maps one input through both paths and returns the two outcomes. */
async function bothWays(plan: Plan, c: Input): Promise<{ interpreted: unknown; compiled: unknown }> {
  const stream = plan.streams.find((s) => s.name === c.stream);
  if (!stream) throw new Error(`no stream ${c.stream} in ${plan.name}`);
  const bindings = createBindings({
    options: { ...plan.options, ...c.options },
    lookups: plan.lookups,
    timezone: plan.timezone,
    // Without explicit refs, every earlier record counts as synced, so $ref() resolves.
    resolveTarget: (s, id) => (c.refs ? c.refs[s]?.[id] : `${s}-target-${id}`),
  });
  const record = { id: String(c.input['id'] ?? 'case'), deleted: c.deleted ?? c.input['deleted'] === true, data: c.input };
  const interpreted = await settle(() => mapRecord(interpretedOnly(stream), structuredClone(record), bindings));
  const compiled = await settle(() => mapRecordCompiled(stream, structuredClone(record), bindings));
  return { interpreted, compiled };
}

describe('example pipelines compile entirely', () => {
  for (const name of EXAMPLES) {
    it(name, async () => {
      const plan = await load(example(name));
      const interpreted = plan.streams.flatMap(expressionsOf).filter((e) => e.engine.kind !== 'compiled');
      expect(interpreted.map((e) => `${e.path}: ${JSON.stringify(e.engine)}`)).toEqual([]);
      for (const stream of plan.streams) expect(streamIsCompiled(stream), stream.name).toBe(true);
    });
  }
});

function casesFile(file: string): Array<MappingCase & { pipeline?: string }> {
  const doc = parse(readFileSync(file, 'utf8')) as { cases?: Array<MappingCase & { pipeline?: string }> };
  return doc.cases ?? [];
}

const CASE_FILES: Array<[string, string]> = [
  ['pipelines/examples/chargebee-revrec-to-dualentry.cases.yaml', 'chargebee-revrec-to-dualentry.yaml'],
  ['test/connectors/sage-intacct/seed-mapping.yaml', 'chargebee-to-intacct.yaml'],
  ['test/connectors/sage-intacct/seed-mapping-reverse.yaml', 'intacct-payments-to-chargebee.yaml'],
];

describe.each(CASE_FILES)('mapping cases %s: compiled = interpreted', (cases, pipeline) => {
  for (const c of casesFile(join(root, cases))) {
    it(c.name, async () => {
      const plan = await load(example(pipeline));
      const { interpreted, compiled } = await bothWays(plan, c);
      expect(compiled).toEqual(interpreted);
    });
  }
});

describe('QuickBooks seed mapping table: every record, every option set, every stream reading it', async () => {
  const table = parse(readFileSync(join(root, 'test/connectors/quickbooks-online/seed-mapping.yaml'), 'utf8')) as {
    sets: Record<string, Record<string, unknown>>;
    records: Record<string, Array<Record<string, unknown>>>;
  };
  const plan = await load(example('chargebee-to-quickbooks.yaml'));
  for (const [set, options] of Object.entries(table.sets)) {
    it(`option set ${set}`, async () => {
      let compared = 0;
      const differences: string[] = [];
      for (const stream of plan.streams) {
        for (const input of table.records[stream.endpoint] ?? []) {
          for (const deleted of [false, true]) {
            const { interpreted, compiled } = await bothWays(plan, { stream: stream.name, input, options, deleted });
            compared++;
            if (!isDeepStrictEqual(interpreted, compiled))
              differences.push(`${stream.name} ${String(input['id'])}: ${JSON.stringify({ interpreted, compiled })}`);
          }
        }
      }
      expect(differences).toEqual([]);
      expect(compared).toBeGreaterThan(20);
    });
  }
});

describe('a failing record', () => {
  it('fails on the compiled path the way the interpreter fails, and mapRecord reports the interpreter’s own error', async () => {
    const plan = await load(example('chargebee-to-quickbooks.yaml'));
    const stream = plan.streams.find((s) => s.name === 'invoices')!;
    const input = { id: 'inv_x', customer_id: 'cus_missing', currency_code: 'USD', line_items: [], date: 1_700_000_000 };
    const c = { stream: 'invoices', input, refs: {} };
    const { interpreted, compiled } = await bothWays(plan, c);
    expect(compiled).toEqual(interpreted);
    expect(interpreted).toEqual({ error: 'reference_not_synced' });

    const bindings = createBindings({ options: plan.options, lookups: plan.lookups, timezone: plan.timezone, resolveTarget: () => undefined });
    const viaEngine = await mapRecord(stream, { id: 'inv_x', deleted: false, data: input }, bindings).catch((e: unknown) => e);
    const viaInterpreter = await mapRecord(interpretedOnly(stream), { id: 'inv_x', deleted: false, data: input }, bindings).catch((e: unknown) => e);
    expect(viaEngine).toBeInstanceOf(LedgersyncError);
    expect((viaEngine as LedgersyncError).message).toBe((viaInterpreter as LedgersyncError).message);
  });
});

describe('a record the compiled path hands back at run time', () => {
  it('is mapped by the interpreter, with the interpreter’s result', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'ledgersync-defer-')), 'pipeline.yaml');
    writeFileSync(
      file,
      [
        'version: 1',
        'name: defer',
        'source: { connector: chargebee, site: x, api_key: "${CHARGEBEE_API_KEY}" }',
        'sink: { connector: jsonl, dir: out }',
        'streams:',
        '  - name: customers',
        '    endpoint: customers',
        '    target: { object: customers, key: id }',
        '    mapping:',
        '      expression: |',
        '        { "id": id, "label": kind = "fn" ? $string($sum) : $uppercase(kind) }',
        '',
      ].join('\n'),
    );
    const plan = await load(file);
    const stream = plan.streams[0]!;
    expect(streamIsCompiled(stream)).toBe(true);
    const bindings = createBindings({ options: {}, lookups: {}, timezone: 'UTC', resolveTarget: () => undefined });
    // A function handed to a built-in: the compiled path defers, mapRecord answers through the interpreter.
    expect(() => mapRecordCompiled(stream, { id: 'c1', deleted: false, data: { id: 'c1', kind: 'fn' } }, bindings)).toThrow(/deferred to the interpreter/);
    const deferred = await mapRecord(stream, { id: 'c1', deleted: false, data: { id: 'c1', kind: 'fn' } }, bindings);
    expect(deferred).toEqual({ kind: 'mapped', records: [expect.objectContaining({ data: { id: 'c1', label: '' } })], skipped: [] });
    const fast = await mapRecord(stream, { id: 'c2', deleted: false, data: { id: 'c2', kind: 'plan' } }, bindings);
    expect(fast).toEqual({ kind: 'mapped', records: [expect.objectContaining({ data: { id: 'c2', label: 'PLAN' } })], skipped: [] });
  });
});
