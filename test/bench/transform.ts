/**
 * The transform alone, on one thread: the reference invoice mapping (test/bench/pipeline.yaml)
 * applied to synthetic Chargebee invoices by the jsonata interpreter and by the compiled
 * closures, each through the engine's own `mapRecord`, in the same process. No I/O, no ledger.
 * Rates are per CPU second of this one-threaded process, so that other processes on a shared
 * machine do not count against it; wall-clock rates are reported beside them.
 *
 * Run: node dist/test/bench/transform.js [seconds per side]   → prints one JSON line.
 */
import { join } from 'node:path';
import { loadPipeline } from '../../engine/config/load.js';
import type { StreamPlan } from '../../engine/config/plan.js';
import { packageRoot } from '../../engine/package-root.js';
import { createBindings } from '../../engine/transform/bindings.js';
import { interpretedOnly, mapRecord, streamIsCompiled } from '../../engine/transform/mapper.js';
import { syntheticInvoice } from './synthetic-chargebee.js';

export interface TransformSide {
  records: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds of this process (user + system): the measure on a shared machine. */
  cpuSeconds: number;
  /** Records per CPU second: the rate on one core. */
  recordsPerSecond: number;
  /** Records per wall-clock second (lower when other processes take the core). */
  recordsPerWallSecond: number;
}

export interface TransformMeasure {
  interpreter: TransformSide;
  compiled: TransformSide;
  /** compiled / interpreter records per second. */
  speedup: number;
}

const POOL = 4096;

async function side(stream: StreamPlan, bindings: Record<string, unknown>, seconds: number): Promise<TransformSide> {
  const pool = Array.from({ length: POOL }, (_, i) => {
    const data = syntheticInvoice(i);
    return { id: String(data['id']), deleted: false, data };
  });
  let written = 0;
  const run = async (n: number) => {
    for (let i = 0; i < n; i++) {
      const outcome = await mapRecord(stream, pool[i % POOL]!, bindings);
      if (outcome.kind === 'mapped') written += outcome.records.length;
    }
  };
  await run(2_000); // warm-up: the JIT, and the first evaluation of every node
  written = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  let records = 0;
  while (performance.now() - started < seconds * 1000) {
    await run(1_000);
    records += 1_000;
  }
  const elapsed = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  const cpuSeconds = (used.user + used.system) / 1e6;
  if (written !== records) throw new Error(`the mapping produced ${written} records for ${records} invoices`);
  return { records, seconds: elapsed, cpuSeconds, recordsPerSecond: records / cpuSeconds, recordsPerWallSecond: records / elapsed };
}

export async function measureTransform(seconds = 3): Promise<TransformMeasure> {
  const { plan, problems } = await loadPipeline(join(packageRoot(), 'test/bench/pipeline.yaml'), {
    env: { CHARGEBEE_API_KEY: 'bench', CHARGEBEE_BASE_URL: 'http://127.0.0.1:9/api/v2', LEDGERSYNC_OUT: 'out' },
    mode: 'validate',
    connectorsDir: join(packageRoot(), 'connectors'),
  });
  if (!plan) throw new Error(`bench pipeline: ${JSON.stringify(problems)}`);
  const stream = plan.streams[0]!;
  if (!streamIsCompiled(stream)) throw new Error('the bench mapping does not compile: see ledgersync validate --explain');
  const bindings = createBindings({ options: plan.options, lookups: plan.lookups, timezone: plan.timezone, resolveTarget: () => undefined });
  const interpreter = await side(interpretedOnly(stream), bindings, seconds);
  const compiled = await side(stream, bindings, seconds);
  return { interpreter, compiled, speedup: compiled.recordsPerSecond / interpreter.recordsPerSecond };
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').slice(-3).join('/'))) {
  process.stdout.write(JSON.stringify(await measureTransform(Number(process.argv[2] ?? 3))) + '\n');
}
