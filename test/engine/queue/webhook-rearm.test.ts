/**
 * A webhook job that used up its retries while its event still waits gets one more try; a job whose
 * event is done, and any other failed job, stay as they are. Real pg-boss on a throwaway PostgreSQL.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openQueue, type OpenQueue } from '../../../engine/queue/boss.js';
import { RUN_QUEUE, webhookJob, type RunJob } from '../../../engine/queue/jobs.js';
import { WebhookRearmer, rearmIntervalMs, rearmStrandedWebhookJobs } from '../../../engine/queue/webhook-rearm.js';
import { silentLogger } from '../../../engine/log.js';
import { StateStore } from '../../../engine/state/store.js';
import { LedgersyncError } from '../../../engine/errors.js';
import { startPostgres, type TestPostgres } from '../../support/postgres.js';

const PIPELINE = 'acme';
const file = { pipeline: PIPELINE, file: 'acme.yaml', sha256: 'a'.repeat(64) };

let server: TestPostgres;
let state: StateStore;
let queue: OpenQueue;

beforeAll(async () => {
  server = await startPostgres();
  const url = `${server.url}?schema=rearm`;
  state = StateStore.open(url);
  // No retries, so a failed job is failed for good at once, as after the tenth retry.
  queue = await openQueue(url, { retryLimit: 0, supervise: false });
}, 120_000);

afterAll(async () => {
  await queue?.close();
  state?.close();
  await server?.stop();
});

/** Stores the event as serve does, sends its job, and has a worker fail it for good. */
async function failedWebhookJob(eventId: string): Promise<string> {
  state.webhooks.enqueue(PIPELINE, eventId, 'invoice_generated', Date.now());
  const job = webhookJob(file, { id: eventId });
  await failedJob(job.data, job.id);
  return job.id;
}

async function failedJob(data: RunJob, id?: string): Promise<string> {
  const sent = await queue.boss.send(RUN_QUEUE, data, id ? { id } : {});
  expect(sent).not.toBeNull();
  const [taken] = await queue.boss.fetch(RUN_QUEUE);
  expect(taken?.id).toBe(sent);
  await queue.boss.fail(RUN_QUEUE, sent!, { message: 'the pipeline is locked' });
  expect(await stateOf(sent!)).toBe('failed');
  return sent!;
}

async function stateOf(jobId: string): Promise<string | undefined> {
  return (await queue.boss.getJobById(RUN_QUEUE, jobId))?.state;
}

describe('re-arming webhook jobs that used up their retries', () => {
  it('gives one more try to the jobs of events still queued or left processing, and to no other failed job', async () => {
    const waiting = await failedWebhookJob('ev_waiting');
    const interrupted = await failedWebhookJob('ev_interrupted');
    state.webhooks.markProcessing(PIPELINE, ['ev_interrupted'], 'run_dead');
    const done = await failedWebhookJob('ev_done');
    state.webhooks.finish(PIPELINE, 'ev_done', 'done', { written: 1 }, Date.now());
    const dropped = await failedWebhookJob('ev_dropped');
    state.webhooks.finish(PIPELINE, 'ev_dropped', 'dropped', { reason: 'unknown to the source' }, Date.now());
    const scheduled = await failedJob({ ...file, reason: 'enqueue' });
    // A job for an event this state never stored (another deployment's schema): nothing to wait for.
    const stray = await failedJob(webhookJob(file, { id: 'ev_elsewhere' }).data, webhookJob(file, { id: 'ev_elsewhere' }).id);

    const rearmed = await rearmStrandedWebhookJobs(queue);

    expect(rearmed.map((j) => j.eventId).sort()).toEqual(['ev_interrupted', 'ev_waiting']);
    expect(rearmed.find((j) => j.eventId === 'ev_waiting')).toEqual({ jobId: waiting, pipeline: PIPELINE, eventId: 'ev_waiting' });
    expect(await stateOf(waiting)).toBe('retry');
    expect(await stateOf(interrupted)).toBe('retry');
    for (const id of [done, dropped, scheduled, stray]) expect(await stateOf(id)).toBe('failed');

    // Re-armed jobs are live again: a worker takes them (at once: their retry is due).
    const taken = await queue.boss.fetch(RUN_QUEUE, { batchSize: 10 });
    expect(taken.map((j) => j.id).sort()).toEqual([waiting, interrupted].sort());
    // Taken, they are not failed: the next round finds nothing to re-arm.
    expect(await rearmStrandedWebhookJobs(queue)).toEqual([]);
    await queue.boss.complete(RUN_QUEUE, [waiting, interrupted]);
  });

  it("a worker's rounds re-arm a job failed after they started, each one once", async () => {
    const rearmer = new WebhookRearmer(queue, silentLogger);
    rearmer.every(100);
    try {
      const job = await failedWebhookJob('ev_later');
      const deadline = Date.now() + 10_000;
      while ((await stateOf(job)) !== 'retry') {
        if (Date.now() > deadline) throw new Error('the job was not re-armed');
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      // Each re-arm grants one retry more than the job had used, never an unlimited number.
      const rearmedJob = await queue.boss.getJobById(RUN_QUEUE, job);
      expect(rearmedJob?.retryLimit).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 400));
      expect((await queue.boss.getJobById(RUN_QUEUE, job))?.retryLimit).toBe(1);
    } finally {
      await rearmer.stop();
    }
  });

  it('reads its interval from LEDGERSYNC_QUEUE_REARM_SECONDS, default 60 s, and refuses a value that is no number of seconds', () => {
    expect(rearmIntervalMs({})).toBe(60_000);
    expect(rearmIntervalMs({ LEDGERSYNC_QUEUE_REARM_SECONDS: '300' })).toBe(300_000);
    expect(rearmIntervalMs({ LEDGERSYNC_QUEUE_REARM_SECONDS: '0.5' })).toBe(500);
    for (const bad of ['soon', '0', '-5']) {
      expect(() => rearmIntervalMs({ LEDGERSYNC_QUEUE_REARM_SECONDS: bad })).toThrow(LedgersyncError);
      expect(() => rearmIntervalMs({ LEDGERSYNC_QUEUE_REARM_SECONDS: bad })).toThrow(/LEDGERSYNC_QUEUE_REARM_SECONDS must be/);
    }
  });
});
