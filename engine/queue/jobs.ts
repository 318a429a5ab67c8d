/**
 * What a queued run carries. A job names the pipeline file by its path under the workers' pipeline
 * folder and by the SHA-256 of its content, so a worker runs exactly the version that was queued and
 * refuses a file it has in another version (a deploy that reached some machines and not others).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { LedgersyncError } from '../errors.js';

/** The one queue every run goes through: `enqueue`, schedules and webhook events alike. */
export const RUN_QUEUE = 'ledgersync-run';

/** Why a run was queued. `webhook`: `ledgersync serve` stored an event of the pipeline; the job syncs what it names. */
export type JobReason = 'enqueue' | 'schedule' | 'webhook';

export interface RunJob {
  /** The pipeline's `name:` (its state key). */
  pipeline: string;
  /** The file, relative to the pipeline folder (`--dir`, default the working directory) when inside it. */
  file: string;
  /** SHA-256 of the file's bytes, hex. */
  sha256: string;
  reason: JobReason;
  /** For `schedule`: the slot this run is for (ISO 8601), from which lateness is measured. */
  slot?: string;
  /**
   * For `webhook`: the event's id (and the type its delivery claimed, for logs). Never its body: the
   * event is in webhook_events in the same database, and it is fetched again from the source by id
   * before anything is written, so the body would only put customer data in the queue's tables.
   */
  event?: { id: string; type?: string };
}

export function sha256Of(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** How a job names `file`: relative to `dir` when inside it, so the same job works on every machine with the same layout. */
export function jobFileName(file: string, dir: string): string {
  const absolute = resolve(file);
  const inside = relative(resolve(dir), absolute);
  return inside && !inside.startsWith('..') && !isAbsolute(inside) ? inside.split(sep).join('/') : absolute;
}

/** The file a job names, on this worker, after checking it is the version that was queued. */
export function verifyJobFile(job: Pick<RunJob, 'file' | 'sha256' | 'pipeline'>, dir: string): string {
  const path = isAbsolute(job.file) ? job.file : resolve(dir, job.file);
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch {
    throw new LedgersyncError('pipeline_version_mismatch', 'config', `this worker has no file ${path} for pipeline '${job.pipeline}'`, {
      fix: 'deploy the pipeline repository to every worker at the same path (--dir), then queue again',
      details: { file: job.file, expected: job.sha256 },
    });
  }
  const found = sha256Of(bytes);
  if (found !== job.sha256) {
    throw new LedgersyncError(
      'pipeline_version_mismatch',
      'config',
      `this worker's ${path} is another version of pipeline '${job.pipeline}' than was queued (sha256 ${found.slice(0, 12)}…, queued ${job.sha256.slice(0, 12)}…)`,
      {
        fix: 'deploy the same commit of the pipeline repository to every worker; after changing a scheduled pipeline, run ledgersync schedule again',
        details: { file: job.file, expected: job.sha256, found },
      },
    );
  }
  return path;
}

/** A UUID that only depends on `text`, so every worker seeding the same schedule slot names the same job. */
export function uuidFrom(text: string): string {
  const h = sha256Of(text);
  const variant = ((Number.parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

/**
 * The job `ledgersync serve` sends for a webhook event when the state is in PostgreSQL: a run of the
 * event's pipeline, with an id derived from the event's, so a vendor's redelivery of the same event
 * queues nothing more (pg-boss inserts a job id once).
 */
export function webhookJob(pipeline: Pick<RunJob, 'pipeline' | 'file' | 'sha256'>, event: NonNullable<RunJob['event']>): { id: string; data: RunJob } {
  const carried = { id: event.id, ...(event.type !== undefined ? { type: event.type } : {}) };
  return { id: uuidFrom(`webhook@${pipeline.pipeline}@${event.id}`), data: { ...pipeline, reason: 'webhook', event: carried } };
}
