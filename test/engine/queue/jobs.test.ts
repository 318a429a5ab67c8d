import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { jobFileName, sha256Of, uuidFrom, verifyJobFile, webhookJob } from '../../../engine/queue/jobs.js';
import { nextSlot, slotJob, stillScheduled, type Schedule } from '../../../engine/queue/schedules.js';
import { WorkerMetrics, countingRateLimits } from '../../../engine/queue/metrics.js';
import { silentLogger } from '../../../engine/log.js';

const dir = mkdtempSync(join(tmpdir(), 'ls-jobs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('run jobs', () => {
  it('name the file relative to the pipeline folder, and the same slot by the same UUID', () => {
    expect(jobFileName(join(dir, 'customers', 'acme.yaml'), dir)).toBe('customers/acme.yaml');
    expect(jobFileName('/elsewhere/acme.yaml', dir)).toBe('/elsewhere/acme.yaml');
    const id = uuidFrom('acme@2026-10-01T00:00:00.000Z');
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidFrom('acme@2026-10-01T00:00:00.000Z')).toBe(id);
    expect(uuidFrom('acme@2026-10-01T00:01:00.000Z')).not.toBe(id);
  });

  it('give a webhook event one job, however often it is delivered', () => {
    const pipeline = { pipeline: 'acme', file: 'acme.yaml', sha256: 'abc' };
    const first = webhookJob(pipeline, { id: 'ev_1', type: 'invoice_updated' });
    expect(first.data).toEqual({ ...pipeline, reason: 'webhook', event: { id: 'ev_1', type: 'invoice_updated' } });
    expect(webhookJob(pipeline, { id: 'ev_1', type: 'invoice_updated' }).id).toBe(first.id);
    expect(webhookJob(pipeline, { id: 'ev_2', type: 'invoice_updated' }).id).not.toBe(first.id);
    expect(webhookJob({ ...pipeline, pipeline: 'other' }, { id: 'ev_1' }).id).not.toBe(first.id);
  });

  it('carry a webhook event by its id and claimed type only, never its body', () => {
    const pipeline = { pipeline: 'acme', file: 'acme.yaml', sha256: 'abc' };
    const withBody = { id: 'ev_1', type: 'invoice_updated', content: { customer: { email: 'ana@example.com' } } };
    expect(webhookJob(pipeline, withBody).data.event).toEqual({ id: 'ev_1', type: 'invoice_updated' });
    expect(webhookJob(pipeline, { id: 'ev_1' }).data.event).toEqual({ id: 'ev_1' });
  });

  it('run only the version that was queued', () => {
    writeFileSync(join(dir, 'p.yaml'), 'name: p\n');
    const job = { pipeline: 'p', file: 'p.yaml', sha256: sha256Of('name: p\n') };
    expect(verifyJobFile(job, dir)).toBe(join(dir, 'p.yaml'));
    expect(() => verifyJobFile({ ...job, sha256: sha256Of('name: q\n') }, dir)).toThrow(/another version of pipeline 'p'/);
    expect(() => verifyJobFile({ ...job, file: 'missing.yaml' }, dir)).toThrow(/has no file/);
  });
});

describe('schedules', () => {
  const schedule: Schedule = { pipeline: 'acme', file: 'acme.yaml', sha256: 'abc', cron: '*/15 * * * *', timezone: 'Europe/Paris', updatedAt: 0 };

  it('compute the next slot in the schedule’s time zone, and refuse what is not a cron', () => {
    expect(nextSlot('0 6 * * *', 'Europe/Paris', new Date('2026-10-01T05:00:00Z')).toISOString()).toBe('2026-10-02T04:00:00.000Z');
    expect(nextSlot('*/10 * * * * *', 'UTC', new Date('2026-10-01T05:00:01Z')).toISOString()).toBe('2026-10-01T05:00:10.000Z');
    expect(() => nextSlot('every day', 'UTC', new Date())).toThrow(/not a cron expression/);
  });

  it('give each slot one job, wanted only while the pipeline is scheduled in that version on that cron', () => {
    const a = slotJob(schedule, new Date('2026-10-01T10:07:00Z'));
    const b = slotJob(schedule, new Date('2026-10-01T10:14:59Z'));
    expect(a.id).toBe(b.id);
    expect(a.data).toEqual({ pipeline: 'acme', file: 'acme.yaml', sha256: 'abc', reason: 'schedule', slot: '2026-10-01T10:15:00.000Z' });
    expect(stillScheduled([schedule], a.data)).toBe(true);
    expect(stillScheduled([], a.data)).toBe(false);
    expect(stillScheduled([{ ...schedule, sha256: 'new' }], a.data)).toBe(false);
    expect(stillScheduled([{ ...schedule, cron: '0 * * * *' }], a.data)).toBe(false);
  });
});

describe('worker metrics', () => {
  it('render Prometheus text and count rate-limit waits the HTTP layer reports', async () => {
    const metrics = new WorkerMetrics();
    metrics.runs.add({ pipeline: 'a"b', outcome: 'success' });
    metrics.runs.add({ pipeline: 'a"b', outcome: 'success' });
    const log = countingRateLimits(silentLogger, metrics, 'acme').child('source').child('http');
    log.debug('chargebee: GET /customers retry 1: HTTP 429 rate limited, waiting 1500 ms');
    log.debug('chargebee: GET /customers retry 2: HTTP 503, backing off 200 ms');
    const text = await metrics.text(async () => ({ due: 3, later: 200, active: 1 }));
    expect(text).toContain('# TYPE ledgersync_runs_total counter\nledgersync_runs_total{pipeline="a\\"b",outcome="success"} 2');
    expect(text).toContain('ledgersync_rate_limit_waits_total{pipeline="acme"} 1');
    expect(text).toContain('ledgersync_rate_limit_wait_seconds_total{pipeline="acme"} 1.5');
    expect(text).toContain('ledgersync_queue_depth{state="due"} 3');
    expect(text.endsWith('\n')).toBe(true);
  });
});
