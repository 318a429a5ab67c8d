/**
 * `ledgersync serve` with PostgreSQL state: a stored event is handed to the pg-boss queue as a
 * `webhook` job instead of being drained in this process, so any worker syncs it under the
 * pipeline's run lock and `serve` needs no source or sink credentials. The job id is derived from
 * the event id: a delivery of an event that already has its job queues nothing more.
 */
import { readFileSync } from 'node:fs';
import type { Plan } from '../config/plan.js';
import type { Logger } from '../log.js';
import type { OpenQueue } from '../queue/boss.js';
import { RUN_QUEUE, jobFileName, sha256Of, webhookJob } from '../queue/jobs.js';
import type { StateStore } from '../state/store.js';

export class QueueHandoff {
  private constructor(
    private readonly queue: OpenQueue,
    private readonly state: StateStore,
    private readonly plans: ReadonlyMap<string, Plan>,
    /** The folder job file names are relative to (the workers' `--dir`). */
    private readonly dir: string,
    private readonly log: Logger,
  ) {}

  /** pg-boss loads only here: serve on SQLite starts as fast as before. */
  static async open(stateUrl: string, state: StateStore, plans: readonly Plan[], dir: string, log: Logger): Promise<QueueHandoff> {
    const { openQueue } = await import('../queue/boss.js');
    // A sender only: the workers supervise the queue (expiry, archive).
    const queue = await openQueue(stateUrl, { supervise: false, maxConnections: 2 });
    return new QueueHandoff(queue, state, new Map(plans.map((p) => [p.name, p])), dir, log);
  }

  /** Sends the event's job unless the event is already synced; true when a job was created (false: it had one). */
  async send(pipeline: string, eventId: string, eventType: string | undefined, stored: 'queued' | 'duplicate'): Promise<boolean> {
    if (stored === 'duplicate') {
      const status = this.state.webhooks.get(pipeline, eventId)?.status;
      if (status === 'done' || status === 'dropped') return false;
    }
    const plan = this.plans.get(pipeline);
    if (!plan) throw new Error(`no pipeline named '${pipeline}' is served here`);
    // The file as it is now: the version deployed to the workers, even when it changed since serve started.
    const job = webhookJob(
      { pipeline, file: jobFileName(plan.file, this.dir), sha256: sha256Of(readFileSync(plan.file)) },
      { id: eventId, ...(eventType !== undefined ? { type: eventType } : {}) },
    );
    const created = await this.queue.boss.send(RUN_QUEUE, job.data, { id: job.id });
    if (created) this.log.info(`${pipeline}: event ${eventId} handed to the job queue (job ${job.id})`);
    return created !== null;
  }

  /**
   * Events stored but never handed off (the process stopped in between, or the queue refused):
   * sent again on start. Events being processed belong to a worker's job, which pg-boss gives to
   * another worker if that one died.
   */
  async sendQueued(): Promise<number> {
    let sent = 0;
    for (const pipeline of this.plans.keys()) {
      for (const event of this.state.webhooks.due(pipeline, Number.MAX_SAFE_INTEGER, 10_000)) {
        if (await this.send(pipeline, event.eventId, event.eventType ?? undefined, 'queued')) sent++;
      }
    }
    return sent;
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
