/**
 * Mapping budgets: a runaway expression costs one dead letter naming the expression and the limit,
 * within its budget, on both engines; never an out-of-memory crash or a thread blocked for minutes.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { loadPipeline } from '../../../engine/config/load.js';
import type { StreamPlan } from '../../../engine/config/plan.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { DEFAULT_MAPPING_LIMITS } from '../../../engine/transform/budget.js';
import { interpretedOnly, mapRecord, streamIsCompiled } from '../../../engine/transform/mapper.js';

const dir = mkdtempSync(join(tmpdir(), 'ledgersync-budget-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A pipeline whose one stream maps with `expression`, under `limits`. */
async function streamWith(expression: string, limits = ''): Promise<{ stream: StreamPlan; file: string }> {
  const file = join(dir, `p${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    [
      'version: 1',
      'name: budget',
      'source: { connector: chargebee, site: acme-test, api_key: "${CHARGEBEE_API_KEY}" }',
      'sink: { connector: jsonl, dir: out }',
      ...(limits ? [`limits: ${limits}`] : []),
      'streams:',
      '  - name: customers',
      '    endpoint: customers',
      '    target: { object: customers, key: id }',
      '    mapping:',
      '      fields:',
      '        id: id',
      `        value: ${JSON.stringify(expression)}`,
      '',
    ].join('\n'),
  );
  const loaded = await loadPipeline(file, { env: { CHARGEBEE_API_KEY: 'k' }, mode: 'run', connectorsDir: installedConnectors.descriptorsDir });
  if (!loaded.plan) throw new Error(loaded.problems.map((p) => p.message).join('\n'));
  return { stream: loaded.plan.streams[0]!, file };
}

const record = { id: 'cus_1', deleted: false, data: { id: 'cus_1', n: 3 } };

async function failure(stream: StreamPlan): Promise<{ error: LedgersyncError; ms: number }> {
  const started = Date.now();
  try {
    await mapRecord(stream, record, {});
  } catch (error) {
    if (!(error instanceof LedgersyncError)) throw error;
    return { error, ms: Date.now() - started };
  }
  throw new Error('the mapping was expected to fail');
}

const engines = [
  ['compiled', (s: StreamPlan) => s],
  ['interpreted', interpretedOnly],
] as const;

describe('a runaway mapping is dead-lettered within its budget, naming the expression and the limit', () => {
  it('defaults: 500 ms, 1000 nested function calls, values of 1 000 000 items or characters, 256 MiB', async () => {
    expect(DEFAULT_MAPPING_LIMITS).toEqual({ timeMs: 500, depth: 1000, size: 1_000_000, memoryMb: 256 });
    const { stream } = await streamWith('id');
    expect(stream.limits).toEqual(DEFAULT_MAPPING_LIMITS);
    expect((await streamWith('id', '{ mapping_ms: 200, mapping_depth: 50 }')).stream.limits).toEqual({ ...DEFAULT_MAPPING_LIMITS, timeMs: 200, depth: 50 });
  });

  for (const [engine, as] of engines) {
    describe(engine, () => {
      it('a recursion that never ends: stopped at mapping_depth', async () => {
        const { stream, file } = await streamWith('($f := function($n) { 1 + $f($n + 1) }; $f(0))', '{ mapping_depth: 300 }');
        if (engine === 'compiled') expect(streamIsCompiled(stream)).toBe(true);
        const { error, ms } = await failure(as(stream));
        expect(error).toMatchObject({ code: 'mapping_budget_exceeded', kind: 'record', details: { limit: 'limits.mapping_depth', value: 300 } });
        expect(error.message).toBe(
          // The place is the recursive call, $f( at column 45, not the expression's start (column 17).
          `record cus_1: functions of the mapping called one another more than 300 deep (limits.mapping_depth): a recursion that does not end, or that should be tail-recursive (in /streams/0/mapping/fields/value, ${file}:13:45)`,
        );
        expect(error.fix).toMatch(/raise limits\.mapping_depth/);
        expect(ms).toBeLessThan(1000);
      });

      it('a tail recursion that never ends: stopped at mapping_ms', async () => {
        const { stream } = await streamWith('($f := function($n) { $f($n + 1) }; $f(0))', '{ mapping_ms: 200 }');
        const { error, ms } = await failure(as(stream));
        expect(error).toMatchObject({ code: 'mapping_budget_exceeded', details: { limit: 'limits.mapping_ms', value: 200 } });
        expect(error.message).toContain('the mapping ran longer than 200 ms (limits.mapping_ms)');
        expect(ms).toBeGreaterThanOrEqual(200);
        expect(ms).toBeLessThan(700);
      });

      it('[1..10000000]: refused at mapping_size', async () => {
        const { stream } = await streamWith('$count([1..10000000])');
        const { error } = await failure(as(stream));
        expect(error).toMatchObject({ code: 'mapping_budget_exceeded', details: { limit: 'limits.mapping_size', value: 1_000_000 } });
        expect(error.message).toMatch(/the mapping built a (range|list) of 10,000,000 items, more than 1,000,000 \(limits\.mapping_size\)/);
      });

      it('ranges under the size limit built over and over: stopped by memory or time, never an out-of-memory crash', async () => {
        const { stream } = await streamWith('$count([1..5000].[1..900000])', '{ mapping_ms: 5000, mapping_memory_mb: 64 }');
        const { error, ms } = await failure(as(stream));
        expect(error.code).toBe('mapping_budget_exceeded');
        expect(['limits.mapping_memory_mb', 'limits.mapping_size']).toContain(error.details['limit']);
        expect(ms).toBeLessThan(5000);
      });

      it('a string that doubles: refused at mapping_size', async () => {
        const { stream } = await streamWith('$length($reduce([1..64], function($acc, $i) { $acc & $acc }, "ab"))');
        const { error } = await failure(as(stream));
        expect(error).toMatchObject({ code: 'mapping_budget_exceeded', details: { limit: 'limits.mapping_size' } });
        expect(error.message).toMatch(/the mapping built a string of 1,048,576 characters, more than 1,000,000/);
      });

      it('a deep but finite recursion within the limit maps as before', async () => {
        const { stream } = await streamWith('($f := function($n) { $n = 0 ? 0 : 1 + $f($n - 1) }; $f(200))', '{ mapping_depth: 300 }');
        const outcome = await mapRecord(as(stream), record, {});
        expect(outcome).toMatchObject({ kind: 'mapped', records: [{ data: { id: 'cus_1', value: 200 } }] });
      });
    });
  }
});
