/**
 * `npm run bench`: records per second from a Chargebee listing through the transform into the
 * JSONL sink, beside a baseline measured in the same run (the bare paging loop over the same
 * server, no engine), printed as a ratio; and the engine's peak memory at two sizes, which must
 * stay flat (streaming, not buffering).
 *
 * Also the transform alone: the reference invoice mapping by the jsonata interpreter and by the
 * compiled closures, in records per CPU second on one thread (test/bench/transform.ts).
 *
 *   npm run bench                       # 20k for the ratio, 100k and 1M for memory
 *   LEDGERSYNC_BENCH_SIZES=20000,100000 npm run bench
 *   npm run bench -- --json             # one JSON object on stdout, for machines
 *   npm run bench -- --transform-only   # just the transform-alone figures (seconds)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TransformMeasure } from './transform.js';

interface Measure {
  records: number;
  seconds: number;
  maxRssMb: number;
}

const here = fileURLToPath(new URL('.', import.meta.url));

function node(args: string[], onFirstLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (onFirstLine && out.includes('\n')) {
        onFirstLine(out.split('\n')[0]!);
        onFirstLine = undefined;
      }
    });
    child.on('exit', (code) => (code === 0 || code === null ? resolve(out) : reject(new Error(`${args.join(' ')} exited ${code}`))));
    if (onFirstLine) (child as unknown as { server?: unknown }).server = child;
    benchChildren.push(child);
  });
}

const benchChildren: Array<{ kill(): boolean }> = [];

async function startServer(count: number): Promise<{ url: string; apiKey: string }> {
  return new Promise((resolve, reject) => {
    node([join(here, 'synthetic-chargebee.js'), String(count)], (line) => resolve(JSON.parse(line) as { url: string; apiKey: string })).catch(reject);
  });
}

async function measure(mode: 'baseline' | 'engine', server: { url: string; apiKey: string }): Promise<Measure> {
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-bench-'));
  try {
    const out = await node([join(here, 'child.js'), mode, server.url, server.apiKey, dir]);
    return JSON.parse(out.trim().split('\n').pop()!) as Measure;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureTransformInChild(): Promise<TransformMeasure> {
  const out = await node([join(here, 'transform.js'), process.env['LEDGERSYNC_BENCH_TRANSFORM_SECONDS'] ?? '3']);
  return JSON.parse(out.trim().split('\n').pop()!) as TransformMeasure;
}

const rate = (m: Measure) => m.records / m.seconds;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const json = process.argv.includes('--json');
  const transformOnly = process.argv.includes('--transform-only');
  const sizes = (process.env['LEDGERSYNC_BENCH_SIZES'] ?? '20000,100000,1000000').split(',').map(Number);
  const [ratioSize, ...memorySizes] = sizes as [number, ...number[]];
  const say = (line: string) => {
    if (!json) console.log(line);
  };
  const report: Record<string, unknown> = { node: process.version };
  say(`ledgersync bench (node ${process.version})\n`);

  const transform = await measureTransformInChild();
  report['transform'] = {
    mapping: 'test/bench/pipeline.yaml',
    interpreter_records_per_s: Math.round(transform.interpreter.recordsPerSecond),
    compiled_records_per_s: Math.round(transform.compiled.recordsPerSecond),
    compiled_over_interpreter: Number(transform.speedup.toFixed(2)),
    detail: transform,
  };
  say('transform alone, reference invoice mapping (one thread, records per CPU second):');
  say(`  interpreter (jsonata)        ${fmt(transform.interpreter.recordsPerSecond).padStart(9)} records/s`);
  say(`  compiled closures            ${fmt(transform.compiled.recordsPerSecond).padStart(9)} records/s`);
  say(`  ratio compiled / interpreter ${transform.speedup.toFixed(1).padStart(9)}\n`);
  if (transformOnly) {
    if (json) console.log(JSON.stringify(report, null, 2));
    return;
  }

  const server = await startServer(ratioSize);
  const base = await measure('baseline', server);
  const engine = await measure('engine', server);
  report['throughput'] = {
    records: ratioSize,
    baseline_records_per_s: Math.round(rate(base)),
    engine_records_per_s: Math.round(rate(engine)),
    engine_over_baseline: Number((rate(engine) / rate(base)).toFixed(3)),
    baseline: base,
    engine,
  };
  say(`throughput over ${fmt(ratioSize)} invoices (3 lines each):`);
  say(`  baseline, bare paging loop   ${fmt(rate(base)).padStart(9)} records/s   peak RSS ${base.maxRssMb} MB`);
  say(`  engine, pages → JSONata → ledger → JSONL   ${fmt(rate(engine)).padStart(9)} records/s   peak RSS ${engine.maxRssMb} MB`);
  say(`  ratio engine / baseline      ${(rate(engine) / rate(base)).toFixed(3)}\n`);

  const rows: Array<[number, Measure]> = [];
  for (const size of memorySizes) {
    const s = await startServer(size);
    rows.push([size, await measure('engine', s)]);
  }
  report['memory'] = rows.map(([size, m]) => ({ records: size, seconds: m.seconds, records_per_s: Math.round(rate(m)), max_rss_mb: m.maxRssMb }));
  if (rows.length) {
    say('engine peak memory by size (flat = streaming):');
    for (const [size, m] of rows)
      say(`  ${fmt(size).padStart(9)} records   ${m.seconds.toFixed(1).padStart(7)} s   ${fmt(rate(m)).padStart(7)} records/s   peak RSS ${m.maxRssMb} MB`);
    const first = rows[0]![1].maxRssMb;
    const last = rows[rows.length - 1]![1].maxRssMb;
    say(`  peak RSS ratio largest / smallest: ${(last / first).toFixed(2)} for ${(rows[rows.length - 1]![0] / rows[0]![0]).toFixed(0)}× the records`);
  }
  if (json) console.log(JSON.stringify(report, null, 2));
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of benchChildren) c.kill();
  });
