/**
 * `ledgersync workers`: every pipeline of a PostgreSQL deployment on one screen: its schedule and
 * next slot, its last run and outcome, its dead letters, which worker (host:pid) holds its lock
 * until when, and the queue's jobs.
 */
import type { StateStore } from '../state/store.js';
import { RUN_QUEUE } from './jobs.js';
import { listSchedules, nextSlot } from './schedules.js';

export interface PipelineOverview {
  pipeline: string;
  schedule: { cron: string; timezone: string; file: string } | null;
  nextRun: string | null;
  lastRun: { id: string; startedAt: string; finishedAt: string | null; status: string; exitCode: number | null } | null;
  deadLetters: number;
  lock: { runId: string; worker: string; since: string; expiresAt: string | null } | null;
  /** Jobs of this pipeline in the queue: due (waiting for a worker), active (taken by a worker). */
  jobs: { due: number; active: number };
}

export interface DeploymentOverview {
  pipelines: PipelineOverview[];
  queue: { due: number; later: number; active: number } | null;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

export function overview(store: StateStore, queueSchema: string, now = new Date()): DeploymentOverview {
  const schedules = new Map(listSchedules(store).map((s) => [s.pipeline, s]));
  const names = new Set<string>(schedules.keys());
  for (const r of store.driver.prepare('SELECT DISTINCT pipeline FROM runs').all() as Array<{ pipeline: string }>) names.add(r.pipeline);
  const locks = new Map(
    (
      store.driver.prepare('SELECT pipeline, run_id, pid, hostname, acquired_at, expires_at FROM locks').all() as Array<{
        pipeline: string;
        run_id: string;
        pid: number;
        hostname: string;
        acquired_at: number;
        expires_at: number | null;
      }>
    ).map((l) => [l.pipeline, l]),
  );
  for (const p of locks.keys()) names.add(p);
  const dead = new Map(
    (store.driver.prepare('SELECT pipeline, COUNT(*) AS n FROM dead_letters GROUP BY pipeline').all() as Array<{ pipeline: string; n: number }>).map((r) => [
      r.pipeline,
      Number(r.n),
    ]),
  );

  let queue: DeploymentOverview['queue'] = null;
  const jobs = new Map<string, { due: number; active: number }>();
  try {
    const rows = store.driver
      .prepare(
        `SELECT data->>'pipeline' AS pipeline,
                COUNT(*) FILTER (WHERE state < 'active' AND start_after <= now()) AS due,
                COUNT(*) FILTER (WHERE state < 'active' AND start_after > now()) AS later,
                COUNT(*) FILTER (WHERE state = 'active') AS active
           FROM "${queueSchema}".job WHERE name = ? GROUP BY 1`,
      )
      .all(RUN_QUEUE) as Array<{ pipeline: string; due: number; later: number; active: number }>;
    queue = { due: 0, later: 0, active: 0 };
    for (const r of rows) {
      queue.due += Number(r.due);
      queue.later += Number(r.later);
      queue.active += Number(r.active);
      jobs.set(r.pipeline, { due: Number(r.due), active: Number(r.active) });
    }
  } catch {
    // no queue yet: nothing was ever scheduled or queued
  }

  return {
    queue,
    pipelines: [...names].sort().map((pipeline) => {
      const schedule = schedules.get(pipeline);
      const [last] = store.recentRuns(pipeline, 1);
      const lock = locks.get(pipeline);
      return {
        pipeline,
        schedule: schedule ? { cron: schedule.cron, timezone: schedule.timezone, file: schedule.file } : null,
        nextRun: schedule ? nextSlot(schedule.cron, schedule.timezone, now).toISOString() : null,
        lastRun: last
          ? {
              id: last.id,
              startedAt: iso(last.startedAt),
              finishedAt: last.finishedAt === null ? null : iso(last.finishedAt),
              status: last.status,
              exitCode: last.exitCode,
            }
          : null,
        deadLetters: dead.get(pipeline) ?? 0,
        lock: lock
          ? {
              runId: lock.run_id,
              worker: `${lock.hostname}:${lock.pid}`,
              since: iso(lock.acquired_at),
              expiresAt: lock.expires_at === null ? null : iso(lock.expires_at),
            }
          : null,
        jobs: jobs.get(pipeline) ?? { due: 0, active: 0 },
      };
    }),
  };
}

/** The overview as a table for a terminal. */
export function formatOverview(o: DeploymentOverview): string {
  const header = ['pipeline', 'schedule', 'next run', 'last run', 'outcome', 'dead', 'queued', 'lock held by'];
  const short = (iso: string | null | undefined) => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '-');
  const rows = o.pipelines.map((p) => [
    p.pipeline,
    p.schedule ? p.schedule.cron : '-',
    short(p.nextRun),
    short(p.lastRun?.startedAt),
    p.lastRun ? `${p.lastRun.status}${p.lastRun.exitCode === null ? '' : ` (exit ${p.lastRun.exitCode})`}` : 'never run',
    String(p.deadLetters),
    p.jobs.active ? `${p.jobs.due} + 1 running` : String(p.jobs.due),
    p.lock ? `${p.lock.worker} until ${short(p.lock.expiresAt)}` : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  const queue = o.queue ? `queue: ${o.queue.due} due, ${o.queue.active} running, ${o.queue.later} scheduled for later` : 'queue: not created yet';
  return [line(header), ...rows.map(line), '', queue, ''].join('\n');
}
