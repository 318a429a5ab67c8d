/**
 * Benchmark: records per second of one pipeline with its state on SQLite and on PostgreSQL, and the
 * overhead of a run through the queue against a direct `ledgersync run`.
 *
 *   npm run bench:state [records] [repeats]
 *
 * Records/s: a file → JSON Lines pipeline of `records` rows (default 20,000), run in this process:
 * the first run writes every record (ledger insert, operation rows, per batch), the second finds
 * them all unchanged (a ledger read and a "seen" mark per record). SQLite is a file with WAL and
 * synchronous=FULL; PostgreSQL a throwaway server from Debian's packages on loopback with fsync on,
 * reached through the synchronous driver (a pg client in a worker thread).
 *
 * Overhead: a 5-record pipeline, `repeats` times (default 10): the CLI's `run` (process start to
 * exit), and `enqueue` to the job's end on an idle worker polling every 0.5 s.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedConnectors } from '../../app/registry.js';
import { silentLogger } from '../../engine/log.js';
import { runPipeline } from '../../engine/run/runner.js';
import { PostgresDriver } from '../../engine/state/postgres-driver.js';
import { startPostgres } from '../support/postgres.js';
import { writeFilePipeline } from '../support/file-pipeline.js';
import { CLI, percentile, startWorkerProcess, stopWorker } from '../e2e/workers-harness.js';

const RECORDS = Number(process.argv[2] ?? 20_000);
const REPEATS = Number(process.argv[3] ?? 10);

function cli(args: string[], env: Record<string, string | undefined>, cwd: string): Promise<{ code: number | null; stdout: string }> {
  const child = spawn(process.execPath, [CLI, ...args], { env, cwd, stdio: ['ignore', 'pipe', 'inherit'] });
  let stdout = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  return new Promise((resolve) => child.on('exit', (code) => resolve({ code, stdout })));
}

async function recordsPerSecond(label: string, statePath: string, dir: string): Promise<void> {
  const pipelinePath = writeFilePipeline(dir, `bench-${label}`, RECORDS);
  for (const pass of ['write', 'unchanged'] as const) {
    const started = performance.now();
    const [trips, statements, queries] = [PostgresDriver.totalRoundTrips, PostgresDriver.totalStatements, PostgresDriver.totalServerQueries];
    const summary = await runPipeline({ connectors: installedConnectors, pipelinePath, statePath, env: process.env, log: silentLogger });
    const seconds = (performance.now() - started) / 1000;
    if (summary.exitCode !== 0) throw new Error(`${label} ${pass}: ${JSON.stringify(summary.error)}`);
    const perRecord =
      label === 'postgres'
        ? ` (per record: ${((PostgresDriver.totalStatements - statements) / RECORDS).toFixed(2)} statements, ${((PostgresDriver.totalRoundTrips - trips) / RECORDS).toFixed(2)} round trips to the connection's thread, ${((PostgresDriver.totalServerQueries - queries) / RECORDS).toFixed(2)} queries to the server)`
        : '';
    console.log(`${label.padEnd(10)} ${pass.padEnd(9)} ${RECORDS} records in ${seconds.toFixed(2)} s: ${Math.round(RECORDS / seconds)} records/s${perRecord}`);
  }
}

const dir = mkdtempSync(join(tmpdir(), 'ledgersync-bench-state-'));
// LEDGERSYNC_BENCH_FSYNC=0 runs PostgreSQL without fsync, to tell the disk's share from the round trips'.
const durable = process.env['LEDGERSYNC_BENCH_FSYNC'] !== '0';
const server = await startPostgres({ durable, maxConnections: 40 });
try {
  console.log(`state benchmark: ${RECORDS} records, node ${process.version}, PostgreSQL ${server.version} (fsync ${durable ? 'on' : 'off'})`);
  await recordsPerSecond('sqlite', join(dir, 'state.db'), dir);
  await recordsPerSecond('postgres', `${server.url}?schema=bench`, dir);

  const env = { PATH: process.env['PATH'], LEDGERSYNC_STATE: `${server.url}?schema=overhead` };
  writeFilePipeline(dir, 'small', 5);
  const direct: number[] = [];
  for (let i = 0; i < REPEATS; i++) {
    const started = performance.now();
    const r = await cli(['run', 'small.yaml', '--json'], env, dir);
    if (r.code !== 0) throw new Error(`run exited ${r.code}`);
    direct.push(performance.now() - started);
  }
  const worker = startWorkerProcess(['--poll-seconds', '0.5'], env, dir, 'bench-worker');
  const queued: number[] = [];
  const inWorker: number[] = [];
  try {
    await new Promise((r) => setTimeout(r, 2000));
    for (let i = 0; i < REPEATS; i++) {
      const started = performance.now();
      const r = await cli(['enqueue', 'small.yaml', '--json'], env, dir);
      const job = (JSON.parse(r.stdout) as { job: string }).job;
      const done = await worker.waitForJob((e) => e.id === job);
      queued.push(performance.now() - started);
      inWorker.push(new Date(done.finishedAt).getTime() - new Date(done.startedAt).getTime());
    }
  } finally {
    await stopWorker(worker);
  }
  const median = (xs: number[]) =>
    Math.round(
      percentile(
        [...xs].sort((a, b) => a - b),
        50,
      ),
    );
  console.log(`direct 'ledgersync run' (process start to exit), median of ${REPEATS}: ${median(direct)} ms`);
  console.log(`'ledgersync enqueue' to the job's end on an idle worker (poll 0.5 s), median: ${median(queued)} ms`);
  console.log(`  of which the run inside the worker (job start to end), median: ${median(inWorker)} ms`);
} finally {
  await server.stop();
  rmSync(dir, { recursive: true, force: true });
}
