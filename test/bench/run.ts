/**
 * `npm run bench`: records per second from a Chargebee listing through the transform into the
 * JSONL sink, beside a baseline measured in the same run (the bare paging loop over the same
 * server, no engine), printed as a ratio; and the engine's peak memory at two sizes, which must
 * stay flat (streaming, not buffering).
 *
 * Also the transform alone: the reference invoice mapping by the jsonata interpreter and by the
 * compiled closures, in records per CPU second on one thread (test/bench/transform.ts).
 *
 * The throughput has three sides over the same server: (a) the bare paging loop, (b) the engine with
 * the jsonata interpreter (LEDGERSYNC_JSONATA=interpreter in its environment), (c) the engine with
 * compiled mappings; with the ratios (c)/(a) and (b)/(a).
 *
 *   npm run bench                       # 20k for the ratios, 100k and 1M for memory
 *   LEDGERSYNC_BENCH_SIZES=20000,100000 npm run bench
 *   LEDGERSYNC_BENCH_ROUNDS=3           # interleaved rounds per throughput side, fastest kept
 *   LEDGERSYNC_BENCH_NODE_FLAGS=--cpu-prof  # node flags for the measured children (profiles)
 *   npm run bench -- --json             # one JSON object on stdout, for machines
 *   npm run bench -- --transform-only   # just the transform-alone figures (seconds)
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TransformMeasure } from './transform.js';
import { packageRoot } from '../../engine/package-root.js';

interface Measure {
  records: number;
  /** Wall-clock seconds. */
  seconds: number;
  /** CPU seconds of the measured process (user + system). */
  cpuSeconds: number;
  maxRssMb: number;
}

const here = fileURLToPath(new URL('.', import.meta.url));

function node(args: string[], onFirstLine?: (line: string) => void, env: NodeJS.ProcessEnv = process.env, flags: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...flags, ...args], { stdio: ['ignore', 'pipe', 'inherit'], env });
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
/** Extra node flags for the measured children (`LEDGERSYNC_BENCH_NODE_FLAGS=--cpu-prof` to profile them). */
const childFlags = (process.env['LEDGERSYNC_BENCH_NODE_FLAGS'] ?? '').split(' ').filter(Boolean);

async function startServer(count: number): Promise<{ url: string; apiKey: string }> {
  return new Promise((resolve, reject) => {
    node([join(here, 'synthetic-chargebee.js'), String(count)], (line) => resolve(JSON.parse(line) as { url: string; apiKey: string })).catch(reject);
  });
}

type Side = 'baseline' | 'interpreter' | 'compiled';

async function measure(side: Side, server: { url: string; apiKey: string }): Promise<Measure> {
  const dir = mkdtempSync(join(tmpdir(), 'ledgersync-bench-'));
  const env = { ...process.env, LEDGERSYNC_JSONATA: side === 'interpreter' ? 'interpreter' : 'compiled' };
  try {
    const out = await node([join(here, 'child.js'), side === 'baseline' ? 'baseline' : 'engine', server.url, server.apiKey, dir], undefined, env, childFlags);
    return JSON.parse(out.trim().split('\n').pop()!) as Measure;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function measureTransformInChild(): Promise<TransformMeasure> {
  const out = await node([join(here, 'transform.js'), process.env['LEDGERSYNC_BENCH_TRANSFORM_SECONDS'] ?? '3']);
  return JSON.parse(out.trim().split('\n').pop()!) as TransformMeasure;
}

/**
 * `ledgersync <args>` as a scheduler starts it, from spawn to exit: the median of `times` starts, in
 * wall-clock and CPU seconds (the CPU read at exit by a preload, test/bench/cpu-at-exit.cjs).
 */
async function cliStart(args: string[], env: NodeJS.ProcessEnv, times = 7): Promise<{ seconds: number; cpuSeconds: number }> {
  const starts: Array<{ seconds: number; cpuSeconds: number }> = [];
  for (let i = 0; i < times; i++) {
    const dir = mkdtempSync(join(tmpdir(), 'ledgersync-bench-'));
    const cpuFile = join(dir, 'cpu');
    try {
      const started = performance.now();
      await node([join(packageRoot(), 'bin/ledgersync.js'), ...args.map((a) => a.replace('{dir}', dir))], undefined, {
        ...env,
        NODE_OPTIONS: `--require ${join(packageRoot(), 'test/bench/cpu-at-exit.cjs')}`,
        LEDGERSYNC_BENCH_CPU_OUT: cpuFile,
        LEDGERSYNC_OUT: join(dir, 'out'),
      });
      starts.push({ seconds: (performance.now() - started) / 1000, cpuSeconds: Number(readFileSync(cpuFile, 'utf8')) });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const median = (values: number[]) => values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  return { seconds: median(starts.map((s) => s.seconds)), cpuSeconds: median(starts.map((s) => s.cpuSeconds)) };
}

const rate = (m: Measure) => m.records / m.seconds;
const cpuRate = (m: Measure) => m.records / m.cpuSeconds;

/** Each side measured `rounds` times, interleaved, keeping the fastest: other work on a shared machine only ever slows a side down. */
async function bestOf(rounds: number, server: { url: string; apiKey: string }): Promise<Record<Side, Measure>> {
  const best: Partial<Record<Side, Measure>> = {};
  for (let round = 0; round < rounds; round++) {
    for (const side of ['baseline', 'interpreter', 'compiled'] as const) {
      const m = await measure(side, server);
      const kept = best[side];
      if (!kept || rate(m) > rate(kept)) best[side] = m;
    }
  }
  return best as Record<Side, Measure>;
}
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

  const rounds = Number(process.env['LEDGERSYNC_BENCH_ROUNDS'] ?? 3);
  const server = await startServer(ratioSize);
  const { baseline: base, interpreter, compiled } = await bestOf(rounds, server);
  const ratio = (m: Measure) => rate(m) / rate(base);
  report['throughput'] = {
    records: ratioSize,
    rounds,
    baseline_records_per_s: Math.round(rate(base)),
    engine_interpreter_records_per_s: Math.round(rate(interpreter)),
    engine_compiled_records_per_s: Math.round(rate(compiled)),
    compiled_over_baseline: Number(ratio(compiled).toFixed(3)),
    interpreter_over_baseline: Number(ratio(interpreter).toFixed(3)),
    records_per_cpu_s: { baseline: Math.round(cpuRate(base)), interpreter: Math.round(cpuRate(interpreter)), compiled: Math.round(cpuRate(compiled)) },
    baseline: base,
    interpreter,
    compiled,
  };
  const line = (label: string, m: Measure) =>
    say(`  ${label.padEnd(34)} ${fmt(rate(m)).padStart(8)} records/s   ${fmt(cpuRate(m)).padStart(8)} records/CPU-s   peak RSS ${m.maxRssMb} MB`);
  say(`throughput over ${fmt(ratioSize)} invoices (3 lines each), fastest of ${rounds} interleaved rounds:`);
  line('(a) bare paging loop', base);
  line('(b) engine, interpreter', interpreter);
  line('(c) engine, compiled mappings', compiled);
  say(`  ratio (c)/(a) compiled / paging   ${ratio(compiled).toFixed(3)}`);
  say(`  ratio (b)/(a) interpreter / paging ${ratio(interpreter).toFixed(3)}`);
  // What every run pays before its first record (loading and checking the pipeline, opening the state).
  const oneRecord = await startServer(1);
  const startup = await measure('compiled', oneRecord);
  (report['throughput'] as Record<string, unknown>)['engine_startup_seconds'] = Number(startup.seconds.toFixed(3));
  say(`  engine start-up (a one-record run)  ${startup.seconds.toFixed(2)} s of each engine side above\n`);
  // What a scheduler pays per pipeline and per tick: the command, from spawn to exit (modules loaded included).
  const chargebee = { CHARGEBEE_API_KEY: oneRecord.apiKey, CHARGEBEE_BASE_URL: oneRecord.url, PATH: process.env['PATH'] };
  const cliRun = await cliStart(['run', join(packageRoot(), 'test/bench/pipeline.yaml'), '--state', '{dir}/state.db', '--json'], chargebee);
  const cliHelp = await cliStart(['--help'], { PATH: process.env['PATH'] });
  report['cli_start'] = {
    run_one_record_seconds: Number(cliRun.seconds.toFixed(3)),
    run_one_record_cpu_seconds: Number(cliRun.cpuSeconds.toFixed(3)),
    help_seconds: Number(cliHelp.seconds.toFixed(3)),
    help_cpu_seconds: Number(cliHelp.cpuSeconds.toFixed(3)),
  };
  say('the command as a scheduler starts it, spawn to exit (median of 7):');
  say(`  ledgersync run, one record         ${cliRun.seconds.toFixed(2)} s   ${cliRun.cpuSeconds.toFixed(2)} CPU-s`);
  say(`  ledgersync --help                  ${cliHelp.seconds.toFixed(2)} s   ${cliHelp.cpuSeconds.toFixed(2)} CPU-s\n`);

  const rows: Array<[number, Measure, Measure]> = [];
  for (const size of memorySizes) {
    const s = await startServer(size);
    rows.push([size, await measure('compiled', s), await measure('baseline', s)]);
  }
  report['memory'] = rows.map(([size, m, b]) => ({
    records: size,
    seconds: m.seconds,
    records_per_s: Math.round(rate(m)),
    baseline_records_per_s: Math.round(rate(b)),
    compiled_over_baseline: Number((rate(m) / rate(b)).toFixed(3)),
    max_rss_mb: m.maxRssMb,
  }));
  if (rows.length) {
    say('engine (compiled mappings) by size: peak memory (flat = streaming), and the ratio to bare paging once start-up is spread out:');
    for (const [size, m, b] of rows)
      say(
        `  ${fmt(size).padStart(9)} records   ${m.seconds.toFixed(1).padStart(7)} s   ${fmt(rate(m)).padStart(7)} records/s   (a) ${fmt(rate(b)).padStart(7)} records/s   ratio ${(rate(m) / rate(b)).toFixed(3)}   peak RSS ${m.maxRssMb} MB`,
      );
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
