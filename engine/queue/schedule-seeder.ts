/**
 * A worker's copy of the schedules: read from the state database, and the next slot of each sent
 * to the queue once per change (a slot's job id is deterministic, so every worker may send it).
 */
import type PgBoss from 'pg-boss';
import { asLedgersyncError } from '../errors.js';
import type { Logger } from '../log.js';
import type { StateStore } from '../state/store.js';
import { RUN_QUEUE, type RunJob } from './jobs.js';
import { listSchedules, slotJob, stillScheduled, type Schedule } from './schedules.js';

export class ScheduleSeeder {
  private schedules: Schedule[] = [];
  /** Pipeline → id of the slot job last sent for it. */
  private readonly seeded = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;
  private seeding = false;
  private stopped = false;

  constructor(
    private readonly store: StateStore,
    private readonly boss: PgBoss,
    private readonly log: Logger,
  ) {}

  /** Reads the schedules and sends each one's next slot, unless it was sent already. Never throws: a failure is logged and retried next time. */
  async seed(): Promise<void> {
    try {
      this.schedules = listSchedules(this.store);
      const now = new Date();
      for (const schedule of this.schedules) {
        const job = slotJob(schedule, now);
        if (this.seeded.get(schedule.pipeline) === job.id) continue;
        await this.boss.send(RUN_QUEUE, job.data as unknown as object, { id: job.id, startAfter: job.startAfter });
        this.seeded.set(schedule.pipeline, job.id);
      }
    } catch (error) {
      this.log.warn(`cannot seed schedules: ${asLedgersyncError(error).message}`);
    }
  }

  /** Seeds again every `intervalMs`, skipping a round while the last one is still sending. */
  reseedEvery(intervalMs: number): void {
    this.timer = setInterval(() => {
      if (this.seeding || this.stopped) return;
      this.seeding = true;
      void this.seed().finally(() => (this.seeding = false));
    }, intervalMs);
  }

  /** Whether a schedule's job is still wanted. */
  isScheduled(job: RunJob): boolean {
    if (stillScheduled(this.schedules, job)) return true;
    // A schedule saved within the last second may not be in this copy yet: read it again before saying no.
    this.schedules = listSchedules(this.store);
    return stillScheduled(this.schedules, job);
  }

  stopReseeding(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /** Closes the state connection; after the running jobs are done, since `isScheduled` may read it. */
  close(): void {
    this.store.close();
  }
}
