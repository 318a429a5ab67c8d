/**
 * Pipelines' schedules, kept in the state database (table queue_schedules) so every worker sees
 * them. pg-boss 10 allows one cron schedule per queue, and a worker polls each queue it serves;
 * hundreds of pipelines would mean hundreds of queues polled by every worker. Instead each schedule
 * is a chain of delayed jobs on the one run queue: the job of a pipeline's next slot is sent with
 * `startAfter` = the slot and an id derived from (pipeline, slot), so however many workers seed it,
 * there is one job per slot, and pg-boss hands it to one worker when the slot comes.
 */
import cronParser from 'cron-parser';
import { LedgersyncError } from '../errors.js';
import type { StateStore } from '../state/store.js';
import { uuidFrom, type RunJob } from './jobs.js';

export interface Schedule {
  pipeline: string;
  file: string;
  sha256: string;
  cron: string;
  /** IANA time zone the cron is read in. */
  timezone: string;
  updatedAt: number;
}

/** Created on first use, outside the state migrations: only a PostgreSQL deployment run by workers has it. */
export const SCHEDULES_TABLE = 'queue_schedules';

const TABLE = `CREATE TABLE IF NOT EXISTS ${SCHEDULES_TABLE} (
  pipeline TEXT PRIMARY KEY,
  file TEXT NOT NULL,
  sha256 TEXT NOT NULL,
  cron TEXT NOT NULL,
  timezone TEXT NOT NULL,
  updated_at BIGINT NOT NULL
)`;

function ensureTable(store: StateStore): void {
  store.driver.exec(TABLE);
}

/** The next slot of `cron` strictly after `after`; throws `invalid_cron` for an expression cron-parser refuses. */
export function nextSlot(cron: string, timezone: string, after: Date): Date {
  try {
    return cronParser.parseExpression(cron, { currentDate: after, tz: timezone }).next().toDate();
  } catch (error) {
    throw new LedgersyncError('invalid_cron', 'config', `'${cron}' (${timezone}) is not a cron expression: ${(error as Error).message}`, {
      fix: "five fields (minute hour day-of-month month day-of-week), e.g. '*/15 * * * *', or six with seconds first",
    });
  }
}

export function saveSchedule(store: StateStore, schedule: Omit<Schedule, 'updatedAt'>): void {
  nextSlot(schedule.cron, schedule.timezone, new Date());
  ensureTable(store);
  store.driver
    .prepare(
      `INSERT INTO queue_schedules (pipeline, file, sha256, cron, timezone, updated_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (pipeline) DO UPDATE SET file = excluded.file, sha256 = excluded.sha256, cron = excluded.cron, timezone = excluded.timezone, updated_at = excluded.updated_at`,
    )
    .run(schedule.pipeline, schedule.file, schedule.sha256, schedule.cron, schedule.timezone, Math.floor(Date.now() / 1000));
}

export function removeSchedule(store: StateStore, pipeline: string): boolean {
  ensureTable(store);
  return store.driver.prepare('DELETE FROM queue_schedules WHERE pipeline = ?').run(pipeline).changes > 0;
}

export function listSchedules(store: StateStore): Schedule[] {
  ensureTable(store);
  return readSchedules(store);
}

function readSchedules(store: StateStore): Schedule[] {
  return (store.driver.prepare('SELECT * FROM queue_schedules ORDER BY pipeline').all() as Array<Record<string, unknown>>).map((r) => ({
    pipeline: String(r['pipeline']),
    file: String(r['file']),
    sha256: String(r['sha256']),
    cron: String(r['cron']),
    timezone: String(r['timezone']),
    updatedAt: Number(r['updated_at']),
  }));
}

/** The schedules a state database holds, without creating the table where there is none (a source `state migrate` must not change). */
export function storedSchedules(store: StateStore): Schedule[] {
  return store.driver.tables().some((t) => t.name === SCHEDULES_TABLE) ? readSchedules(store) : [];
}

/** Writes schedules as they were kept elsewhere, their `updated_at` included (`state migrate` into another PostgreSQL database). */
export function copySchedules(store: StateStore, schedules: readonly Schedule[]): void {
  ensureTable(store);
  const insert = store.driver.prepare('INSERT INTO queue_schedules (pipeline, file, sha256, cron, timezone, updated_at) VALUES (?, ?, ?, ?, ?, ?)');
  for (const s of schedules) insert.run(s.pipeline, s.file, s.sha256, s.cron, s.timezone, s.updatedAt);
}

/** A scheduled job is still wanted when its pipeline is scheduled in the same version and the slot is one of the cron's. */
export function stillScheduled(schedules: readonly Schedule[], job: RunJob): boolean {
  const schedule = schedules.find((s) => s.pipeline === job.pipeline);
  if (!schedule || schedule.sha256 !== job.sha256 || !job.slot) return false;
  const slot = new Date(job.slot);
  return nextSlot(schedule.cron, schedule.timezone, new Date(slot.getTime() - 1000)).getTime() === slot.getTime();
}

/** The job of a schedule's next slot after `now`, with its deterministic id. */
export function slotJob(schedule: Schedule, now: Date): { id: string; startAfter: Date; data: RunJob } {
  const slot = nextSlot(schedule.cron, schedule.timezone, now);
  return {
    id: uuidFrom(`${schedule.pipeline}@${slot.toISOString()}@${schedule.sha256}`),
    startAfter: slot,
    data: { pipeline: schedule.pipeline, file: schedule.file, sha256: schedule.sha256, reason: 'schedule', slot: slot.toISOString() },
  };
}
