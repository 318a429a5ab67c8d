/**
 * Benchmark: the whole metrics pipeline (pipelines/examples/chargebee-to-metrics.yaml) from the fake
 * Chargebee into SQLite and into PostgreSQL: listing, JSONata, the ledger, the sql sink, in rows
 * written per second of the run's wall time.
 *
 *   npm run build && node dist/test/bench/metrics-pipeline.js [customers]
 *
 * The fake site (default 3,000 customers: about 2,600 subscriptions with their items, coupons and
 * histories, 6,000 invoices with their lines, credit notes) is served from this process; each run is
 * its own process (`child` mode), so the fake and the engine do not share a thread. The Chargebee
 * rate limit is lifted (a fake needs none). SQLite is a file with WAL and synchronous=FULL, as the
 * sink runs it; PostgreSQL a throwaway server from Debian's packages on loopback with fsync on. Each
 * database gets a first run (everything new) and an idle second run (nothing written). Rows per second
 * of wall time depend on what else the machine runs; rows per CPU second of the run's process (the
 * engine, JSONata, the ledger, the driver; not the database server) much less.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseDocument } from 'yaml';
import { installedConnectors } from '../../app/registry.js';
import { silentLogger } from '../../engine/log.js';
import { packageRoot } from '../../engine/package-root.js';
import { runPipeline } from '../../engine/run/runner.js';
import { startFakeChargebee } from '../fakes/chargebee/index.js';
import { startPostgres } from '../support/postgres.js';

const NOW = 1_735_689_600; // 2025-01-01, after the seeded site's last change

async function child(pipelinePath: string, statePath: string, env: Record<string, string>): Promise<void> {
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const summary = await runPipeline({ connectors: installedConnectors, pipelinePath, statePath, env, log: silentLogger, now: () => NOW });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage(cpuStarted);
  if (summary.exitCode !== 0) throw new Error(`the bench run failed: ${JSON.stringify(summary.error ?? summary.streams)}`);
  const streams = Object.values(summary.streams);
  process.stdout.write(
    JSON.stringify({
      seconds,
      cpu_seconds: (cpu.user + cpu.system) / 1e6,
      read: streams.reduce((n, c) => n + c.read, 0),
      written: streams.reduce((n, c) => n + c.written, 0),
      skipped: streams.reduce((n, c) => n + c.skipped, 0),
    }),
  );
}

interface Measured {
  seconds: number;
  cpu_seconds: number;
  read: number;
  written: number;
  skipped: number;
}

/** Runs one pipeline run in a child process; asynchronously, since the fake answers from this process's event loop. */
function measure(pipelinePath: string, statePath: string, env: Record<string, string>): Promise<Measured> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [self, 'child', pipelinePath, statePath, JSON.stringify(env)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(stdout) as Measured) : reject(new Error(`child exited ${code}: ${stderr}`))));
  });
}

async function main(): Promise<void> {
  const customers = Number(process.argv[2] ?? 3000);
  const work = mkdtempSync(join(tmpdir(), 'ledgersync-bench-metrics-'));
  const fake = await startFakeChargebee({ customers, now: () => NOW });
  const postgres = await startPostgres({ durable: true });
  try {
    const doc = parseDocument(readFileSync(join(packageRoot(), 'pipelines/examples/chargebee-to-metrics.yaml'), 'utf8'));
    doc.setIn(['source', 'rate_limit'], doc.createNode({ requests: 100_000, per_seconds: 1, concurrency: 4 }));
    const pipelinePath = join(work, 'metrics.yaml');
    writeFileSync(pipelinePath, doc.toString());
    const chargebee = { CHARGEBEE_SITE: fake.site, CHARGEBEE_API_KEY: fake.apiKey, CHARGEBEE_BASE_URL: fake.url };
    const databases = {
      sqlite: { ...chargebee, METRICS_DB_PATH: join(work, 'metrics.db') },
      postgresql: { ...chargebee, METRICS_DATABASE_URL: postgres.url, METRICS_DATABASE_SCHEMA: 'bench' },
    };
    const results: Record<string, unknown> = {};
    for (const [name, env] of Object.entries(databases)) {
      const statePath = join(work, `${name}.state.db`);
      const first = await measure(pipelinePath, statePath, env);
      const idle = await measure(pipelinePath, statePath, env);
      results[name] = {
        first_run: {
          ...first,
          seconds: round(first.seconds),
          cpu_seconds: round(first.cpu_seconds),
          rows_per_second: Math.round(first.written / first.seconds),
          rows_per_cpu_second: Math.round(first.written / first.cpu_seconds),
          records_read_per_second: Math.round(first.read / first.seconds),
        },
        idle_run: { ...idle, seconds: round(idle.seconds), cpu_seconds: round(idle.cpu_seconds) },
      };
    }
    console.log(
      JSON.stringify(
        { customers, subscriptions: fake.state.count('subscriptions'), events: fake.state.count('events'), ...results, load_average: loadavg().map(round) },
        null,
        2,
      ),
    );
  } finally {
    await postgres.stop();
    await fake.close();
    rmSync(work, { recursive: true, force: true });
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

if (process.argv[2] === 'child') {
  const [pipelinePath, statePath, env] = process.argv.slice(3) as [string, string, string];
  await child(pipelinePath, statePath, JSON.parse(env) as Record<string, string>);
} else {
  await main();
}
