/**
 * `npm run bench`: records per second from a Chargebee listing through the transform into the
 * JSONL sink, beside a baseline measured in the same run (the bare paging loop over the same
 * server, no engine), printed as a ratio; and the engine's peak memory at two sizes, which must
 * stay flat (streaming, not buffering).
 *
 *   npm run bench                       # 20k for the ratio, 100k and 1M for memory
 *   LEDGERSYNC_BENCH_SIZES=20000,100000 npm run bench
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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

const rate = (m: Measure) => m.records / m.seconds;
const fmt = (n: number) => Math.round(n).toLocaleString('en-US');

async function main(): Promise<void> {
  const sizes = (process.env['LEDGERSYNC_BENCH_SIZES'] ?? '20000,100000,1000000').split(',').map(Number);
  const [ratioSize, ...memorySizes] = sizes as [number, ...number[]];
  console.log(`ledgersync bench (node ${process.version})\n`);

  const server = await startServer(ratioSize);
  const base = await measure('baseline', server);
  const engine = await measure('engine', server);
  console.log(`throughput over ${fmt(ratioSize)} invoices (3 lines each):`);
  console.log(`  baseline, bare paging loop   ${fmt(rate(base)).padStart(9)} records/s   peak RSS ${base.maxRssMb} MB`);
  console.log(`  engine, pages → JSONata → ledger → JSONL   ${fmt(rate(engine)).padStart(9)} records/s   peak RSS ${engine.maxRssMb} MB`);
  console.log(`  ratio engine / baseline      ${(rate(engine) / rate(base)).toFixed(3)}\n`);

  const rows: Array<[number, Measure]> = [];
  for (const size of memorySizes) {
    const s = await startServer(size);
    rows.push([size, await measure('engine', s)]);
  }
  if (rows.length) {
    console.log('engine peak memory by size (flat = streaming):');
    for (const [size, m] of rows)
      console.log(
        `  ${fmt(size).padStart(9)} records   ${m.seconds.toFixed(1).padStart(7)} s   ${fmt(rate(m)).padStart(7)} records/s   peak RSS ${m.maxRssMb} MB`,
      );
    const first = rows[0]![1].maxRssMb;
    const last = rows[rows.length - 1]![1].maxRssMb;
    console.log(`  peak RSS ratio largest / smallest: ${(last / first).toFixed(2)} for ${(rows[rows.length - 1]![0] / rows[0]![0]).toFixed(0)}× the records`);
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => {
    for (const c of benchChildren) c.kill();
  });
