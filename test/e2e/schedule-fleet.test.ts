/**
 * Many pipelines on a schedule across 4 workers on this machine: every slot of every pipeline runs
 * exactly once, on time (lateness percentiles are printed), and no pipeline ever runs twice at once.
 * By default 16 pipelines every 5 s for ~25 s; LEDGERSYNC_SOAK=1: 200 pipelines every minute for
 * 4 minutes.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { JobEvent } from '../../engine/queue/worker.js';
import { writeFilePipeline } from '../support/file-pipeline.js';
import { startPostgres, type TestPostgres } from '../support/postgres.js';
import { ROOT, tempDir } from './helpers.js';
import { percentile, runCli, startWorkerProcess, stopWorker } from './workers-harness.js';
import cronParser from 'cron-parser';

const soak = !!process.env['LEDGERSYNC_SOAK'];
const PIPELINES = soak ? 200 : 16;
const CRON = soak ? '* * * * *' : '*/5 * * * * *';
const WINDOW_MS = soak ? 245_000 : 26_000;
const WORKERS = 4;
const built = existsSync(join(ROOT, 'dist/app/cli.js'));

let server: TestPostgres;
beforeAll(async () => {
  server = await startPostgres({ maxConnections: 80 });
}, 120_000);
afterAll(async () => {
  await server?.stop();
});

describe.skipIf(!built)(`${PIPELINES} pipelines on a schedule across ${WORKERS} workers`, () => {
  it(`runs every slot of '${CRON}' once, on time, never two runs of a pipeline at once`, async () => {
    const work = tempDir();
    const env = { PATH: process.env['PATH'], LEDGERSYNC_STATE: `${server.url}?schema=fleet` };
    const names = Array.from({ length: PIPELINES }, (_, i) => `fleet-${String(i).padStart(3, '0')}`);
    for (const name of names) writeFilePipeline(work.dir, name, 5);
    const workers = Array.from({ length: WORKERS }, (_, i) =>
      startWorkerProcess(['--concurrency', '2', '--poll-seconds', '0.5', '--grace-seconds', '10'], env, work.dir, `machine-${i}`),
    );
    try {
      await Promise.all(workers.map((w) => new Promise((r) => setTimeout(r, 1500)).then(() => w)));
      const scheduled = await runCli(['schedule', ...names.map((n) => `${n}.yaml`), '--cron', CRON], env, work.dir);
      expect(scheduled.code, scheduled.stderr).toBe(0);
      const from = new Date();
      await new Promise((r) => setTimeout(r, WINDOW_MS));
      const until = new Date();
      for (const w of workers) expect(await stopWorker(w), w.output().slice(-2000)).toBe(0);

      const events = workers.flatMap((w) => w.jobs).filter((e): e is JobEvent & { slot: string } => e.reason === 'schedule' && !!e.slot);
      // Every slot that came while the workers were up, but for those of the last seconds (a run may
      // start up to the lateness bound late, and a slot that had not started by the stop is not missed).
      const expectedSlots: string[] = [];
      const cron = cronParser.parseExpression(CRON, { currentDate: from, tz: 'UTC' });
      for (let slot = cron.next().toDate(); slot.getTime() < until.getTime() - (soak ? 60_000 : 10_000); slot = cron.next().toDate()) {
        expectedSlots.push(slot.toISOString());
      }
      expect(expectedSlots.length).toBeGreaterThan(1);
      const lateness: number[] = [];
      const problems: string[] = [];
      for (const name of names) {
        const mine = events.filter((e) => e.pipeline === name);
        for (const slot of expectedSlots) {
          const runs = mine.filter((e) => e.slot === slot && e.status === 'success');
          if (runs.length !== 1)
            problems.push(`${name} @ ${slot}: ${runs.length} successful runs (${mine.filter((e) => e.slot === slot).map((e) => e.status)})`);
          for (const r of runs) lateness.push(new Date(r.startedAt).getTime() - new Date(slot).getTime());
        }
        const spans = mine.map((e) => [new Date(e.startedAt).getTime(), new Date(e.finishedAt).getTime()] as const).sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < spans.length; i++) if (spans[i]![0] < spans[i - 1]![1]) problems.push(`${name}: two runs overlapped`);
      }
      lateness.sort((a, b) => a - b);
      const p = (q: number) => percentile(lateness, q);
      console.log(
        `schedule fleet: ${PIPELINES} pipelines '${CRON}', ${WORKERS} workers × 2: ${lateness.length} slot runs; lateness ms p50 ${p(50)}, p90 ${p(90)}, p99 ${p(99)}, max ${p(100)}; ` +
          `runs per worker ${workers.map((w) => w.jobs.filter((e) => e.status === 'success').length).join('/')}`,
      );
      expect(problems).toEqual([]);
      // On time: a slot's run starts before the next slot (soak); within two slots under a loaded CI (default).
      expect(p(99)).toBeLessThan(soak ? 60_000 : 10_000);
    } finally {
      for (const w of workers) await stopWorker(w);
      work.cleanup();
    }
  }, 600_000);
});
