/**
 * Runs distributed by the queue, end to end on the built CLI and a throwaway PostgreSQL:
 * enqueue → a worker runs it; `workers` and /metrics say so; a pipeline file of another version is
 * refused; SIGTERM exits 0, and in the middle of a run abandons the job to another worker. Two workers "on two machines", the one running the job SIGKILLed right
 * after a QuickBooks write: the other takes the job once its lease expired, and QuickBooks holds
 * every document exactly once (2 random kill points; LEDGERSYNC_SOAK=1: 10). PostgreSQL restarted
 * in the middle of a run: the run exits 3, the next one completes.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type Sandbox } from '../connectors/quickbooks-online/e2e-harness.js';
import { writeFilePipeline } from '../support/file-pipeline.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { ROOT, tempDir } from './helpers.js';
import { runCli, separateHosts, startWorkerProcess, stopWorker } from './workers-harness.js';

const built = existsSync(join(ROOT, 'dist/app/cli.js'));
const killPoints = process.env['LEDGERSYNC_SOAK'] ? 10 : 2;
let server: TestPostgres;
let schemas = 0;

beforeAll(async () => {
  server = await startPostgres({ maxConnections: 60 });
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

/** Environment of every worker and command of one deployment: short lease, quick expiry and retry, so the test is quick. */
function deployment(extra: Record<string, string> = {}): { state: string; env: Record<string, string | undefined> } {
  const state = `${server.url}?schema=w${++schemas}`;
  return {
    state,
    env: {
      PATH: process.env['PATH'],
      LEDGERSYNC_STATE: state,
      LEDGERSYNC_LOCK_TTL_SECONDS: '3',
      LEDGERSYNC_QUEUE_MAINTENANCE_SECONDS: '1',
      LEDGERSYNC_QUEUE_RETRY_DELAY_SECONDS: '1',
      ...extra,
    },
  };
}

async function lockHolder(state: string): Promise<{ pid: number; hostname: string } | undefined> {
  const schema = new URL(state).searchParams.get('schema')!;
  const client = new pg.Client({ connectionString: server.url });
  await client.connect();
  try {
    const { rows } = await client.query(`SELECT pid::int AS pid, hostname FROM ${schema}.locks`);
    return rows[0] as { pid: number; hostname: string } | undefined;
  } finally {
    await client.end();
  }
}

describe.skipIf(!built)('runs distributed by the queue', () => {
  it('enqueue → a worker runs it; workers and /metrics show it; another version of the file is refused; SIGTERM exits 0', async () => {
    const work = tempDir();
    const { env } = deployment();
    const worker = startWorkerProcess(['--poll-seconds', '0.5', '--metrics-port', '0', '--concurrency', '2'], env, work.dir, 'machine-a');
    try {
      writeFilePipeline(work.dir, 'acme', 25);
      const queued = await runCli(['enqueue', 'acme.yaml', '--json'], env, work.dir);
      expect(queued.code, queued.stderr).toBe(0);
      const job = JSON.parse(queued.stdout) as { job: string; pipeline: string; file: string; sha256: string };
      expect(job).toMatchObject({ pipeline: 'acme', file: 'acme.yaml' });
      const done = await worker.waitForJob((e) => e.id === job.job);
      expect(done).toMatchObject({ status: 'success', exitCode: 0, reason: 'enqueue', pipeline: 'acme' });
      expect(readFileSync(join(work.dir, 'out/acme/rows.jsonl'), 'utf8').trim().split('\n')).toHaveLength(25);

      const overview = await runCli(['workers', '--json'], env, work.dir);
      const o = JSON.parse(overview.stdout) as { pipelines: Array<{ pipeline: string; last_run: { status: string }; lock: unknown; dead_letters: number }> };
      expect(o.pipelines).toEqual([
        expect.objectContaining({ pipeline: 'acme', last_run: expect.objectContaining({ status: 'success' }), lock: null, dead_letters: 0 }),
      ]);
      expect((await runCli(['workers'], env, work.dir)).stdout).toMatch(/acme\s+-\s+-\s+\S+ \S+\s+success \(exit 0\)/);

      const port = /metrics on http:\/\/127\.0\.0\.1:(\d+)\/metrics/.exec(worker.output())?.[1];
      const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
      expect(metrics).toContain('ledgersync_runs_total{pipeline="acme",outcome="success"} 1');
      expect(metrics).toContain('ledgersync_records_total{pipeline="acme",stream="rows",result="created"} 25');
      expect(metrics).toMatch(/ledgersync_queue_depth\{state="due"\} 0/);
      expect(metrics).toContain('# TYPE ledgersync_rate_limit_waits_total counter');

      // A deploy that changed the file on the machine that queued the job but not on this worker's:
      // the worker has another version and refuses it. (Queued from a copy, so the worker can never
      // pick the job up before the edit.)
      const elsewhere = join(work.dir, 'elsewhere');
      writeFilePipeline(elsewhere, 'acme', 25);
      appendFileSync(join(elsewhere, 'acme.yaml'), '# edited\n');
      const second = JSON.parse((await runCli(['enqueue', 'acme.yaml', '--json'], env, elsewhere)).stdout) as { job: string };
      const refused = await worker.waitForJob((e) => e.id === second.job);
      expect(refused).toMatchObject({ status: 'refused', error: { code: 'pipeline_version_mismatch' } });
    } finally {
      expect(await stopWorker(worker), worker.output()).toBe(0);
      expect(worker.output()).not.toContain(server.password);
      work.cleanup();
    }
  });

  it('schedule, unschedule and enqueue need PostgreSQL state, and say so', async () => {
    const work = tempDir();
    try {
      writeFilePipeline(work.dir, 'acme', 1);
      const refused = await runCli(['enqueue', 'acme.yaml', '--state', join(work.dir, 'state.db')], { PATH: process.env['PATH'] }, work.dir);
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(/needs PostgreSQL state/);
      const badCron = await runCli(['schedule', 'acme.yaml', '--cron', 'every day'], deployment().env, work.dir);
      expect(badCron.code).toBe(2);
      expect(badCron.stderr).toMatch(/not a cron expression/);
      // A wrong password is a configuration to fix (exit 2), not an outage to wait out (exit 3); never printed.
      const wrong = `${server.url.replace(server.password, 'Wr0ngPassw0rd')}?schema=wrong`;
      for (const args of [
        ['enqueue', 'acme.yaml'],
        ['worker', '--poll-seconds', '0.5'],
      ]) {
        const refusedLogin = await runCli(args, { PATH: process.env['PATH'], LEDGERSYNC_STATE: wrong }, work.dir);
        expect(refusedLogin.code, `${args[0]}: ${refusedLogin.stderr}`).toBe(2);
        expect(refusedLogin.stderr).toMatch(/check the user, password and database name/);
        expect(refusedLogin.stdout + refusedLogin.stderr).not.toContain('Wr0ngPassw0rd');
      }
    } finally {
      work.cleanup();
    }
  });

  it('SIGTERM in the middle of a run: the worker abandons the job safely and exits 0; another worker resumes it, every document once', async () => {
    const s: Sandbox = await startSandbox();
    const { env } = deployment({ ...s.env });
    const first = startWorkerProcess(['--poll-seconds', '0.5', '--grace-seconds', '0'], env, s.dir, 'machine-a');
    let second: ReturnType<typeof startWorkerProcess> | undefined;
    try {
      let writes = 0;
      s.qbo.faults.afterWrite = async () => {
        if (++writes === 8) first.child.kill('SIGTERM');
        await new Promise((r) => setTimeout(r, 50));
      };
      const queued = await runCli(['enqueue', 'chargebee-to-quickbooks.yaml', '--json'], env, s.dir);
      const job = (JSON.parse(queued.stdout) as { job: string }).job;
      expect(await first.exited, first.output()).toBe(0);
      expect(first.jobs.find((e) => e.id === job)).toMatchObject({ status: 'abandoned', exitCode: 3 });
      s.qbo.faults.afterWrite = undefined;
      second = startWorkerProcess(['--poll-seconds', '0.5'], env, s.dir, 'machine-b');
      const resumed = await second.waitForJob((e) => e.id === job && e.status === 'success', 120_000);
      expect(resumed.retry).toBe(1);
      const invoices = s.qbo.state.entities('Invoice').map((e) => String(e['DocNumber']));
      expect(invoices.length).toBe(new Set(invoices).size);
      expect(new Set(invoices).size).toBe(s.cb.state.all('invoices').filter((i) => !i.deleted).length);
    } finally {
      await stopWorker(first);
      if (second) await stopWorker(second);
      await s.close();
    }
  }, 180_000);

  async function killOneWorker(
    killPoint: number,
  ): Promise<{ killPoint: number; killed: string; tookOver: string; retry: number; duplicates: number; missing: number }> {
    const s: Sandbox = await startSandbox();
    const { state, env } = deployment({ ...s.env });
    const args = ['--poll-seconds', '0.5', '--job-timeout', '8', '--grace-seconds', '1'];
    const workers = [startWorkerProcess(args, env, s.dir, 'machine-a'), startWorkerProcess(args, env, s.dir, 'machine-b')];
    try {
      await Promise.all(workers.map((w) => w.started()));
      let writes = 0;
      let killed: (typeof workers)[number] | undefined;
      s.qbo.faults.afterWrite = async () => {
        if (++writes !== killPoint) return;
        const holder = await lockHolder(state);
        killed = workers.find((w) => w.pid === holder?.pid);
        killed?.child.kill('SIGKILL');
        await killed?.exited;
      };
      const queued = await runCli(['enqueue', 'chargebee-to-quickbooks.yaml', '--json'], env, s.dir);
      expect(queued.code, queued.stderr).toBe(0);
      const job = (JSON.parse(queued.stdout) as { job: string }).job;
      const survivor = await Promise.race(workers.map((w) => w.waitForJob((e) => e.id === job && e.status === 'success', 120_000).then((e) => ({ w, e }))));
      s.qbo.faults.afterWrite = undefined;
      expect(killed, `nothing was killed at write ${killPoint} (${writes} writes)`).toBeDefined();
      expect(survivor.w).not.toBe(killed);

      let duplicates = 0;
      let missing = 0;
      const live = <T extends { deleted?: boolean }>(rows: T[]) => rows.filter((r) => !r.deleted);
      const expected: Record<string, [string, number]> = {
        Customer: ['Notes', live(s.cb.state.all('customers')).length],
        Invoice: ['DocNumber', live(s.cb.state.all('invoices')).length],
        CreditMemo: ['DocNumber', live(s.cb.state.all('credit_notes')).length],
      };
      for (const [object, [key, count]] of Object.entries(expected)) {
        const keys = s.qbo.state.entities(object).map((e) => String(e[key]));
        duplicates += keys.length - new Set(keys).size;
        missing += Math.max(0, count - new Set(keys).size);
      }
      return { killPoint, killed: killed!.host, tookOver: survivor.w.host, retry: survivor.e.retry, duplicates, missing };
    } finally {
      for (const w of workers) await stopWorker(w);
      await s.close();
    }
  }

  it(`two workers, the one running the job SIGKILLed right after a QuickBooks write at ${killPoints} random points: the other takes it over, every document once`, async () => {
    const outcomes = [];
    for (let i = 0; i < killPoints; i++) outcomes.push(await killOneWorker(1 + Math.floor(Math.random() * 60)));
    console.log(`kill matrix (separate hosts: ${separateHosts()}): ${JSON.stringify(outcomes)}`);
    for (const o of outcomes) {
      expect(o, `kill point ${o.killPoint}`).toMatchObject({ duplicates: 0, missing: 0 });
      expect(o.retry, `kill point ${o.killPoint}: the same job, retried`).toBeGreaterThan(0);
    }
  }, 900_000);

  it('PostgreSQL restarted in the middle of a run: the run exits 3 (state_unavailable), the next one completes, every document once', async () => {
    const s = await startSandbox();
    const { state, env } = deployment({ ...s.env });
    try {
      let writes = 0;
      let restarted: Promise<void> | undefined;
      s.qbo.faults.afterWrite = () => {
        if (++writes === 10) restarted = server.restart({ downMs: 1500 });
      };
      const failed = await runCli(['run', 'chargebee-to-quickbooks.yaml', '--json'], env, s.dir);
      await restarted;
      s.qbo.faults.afterWrite = undefined;
      expect(failed.code, failed.stdout + failed.stderr).toBe(3);
      expect(failed.stdout + failed.stderr).toMatch(/state_unavailable|unreachable/);
      expect(failed.stdout + failed.stderr).not.toContain(server.password);
      const next = await runCli(['run', 'chargebee-to-quickbooks.yaml', '--json'], env, s.dir);
      expect(next.code, next.stdout + next.stderr).toBe(0);
      const invoices = s.qbo.state.entities('Invoice').map((e) => String(e['DocNumber']));
      expect(invoices.length).toBe(new Set(invoices).size);
      expect(new Set(invoices).size).toBe(s.cb.state.all('invoices').filter((i) => !i.deleted).length);
      expect(state).toContain('schema=');
    } finally {
      await s.close();
    }
  }, 180_000);
});
