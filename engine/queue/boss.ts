/**
 * The job queue: pg-boss 10 in the same PostgreSQL database as the state, in a schema of its own
 * (`<state schema>_queue`). pg-boss is what such firms already run; ledgersync adds no scheduler of
 * its own, only the jobs it sends (jobs.ts) and the chain of schedule slots (schedules.ts).
 */
import PgBoss from 'pg-boss';
import { LedgersyncError } from '../errors.js';
import { isPostgresUrl, printableLocation } from '../state/driver.js';
import { parseStateUrl } from '../state/postgres-driver.js';
import { RUN_QUEUE } from './jobs.js';

/** PostgreSQL's answers to a wrong password (28P01), a user not allowed in (28000) and an unknown database (3D000). */
const REFUSED_LOGIN_CODES: ReadonlySet<string> = new Set(['28P01', '28000', '3D000']);
export interface QueueOptions {
  /** How long a job may run before pg-boss hands it to another worker (the run lock still keeps them apart). Default 3600 s. */
  jobTimeoutSeconds?: number;
  /** Retries of a job that failed (locked, state unreachable, a worker stopped). Default 10. */
  retryLimit?: number;
  /** Seconds between them. Default 15. */
  retryDelaySeconds?: number;
  /** How often pg-boss looks for expired jobs. Default 60 s. */
  maintenanceIntervalSeconds?: number;
  /** Connections of the queue's pool. Default 3. */
  maxConnections?: number;
  /** A worker supervises (expires dead workers' jobs, archives); a one-shot command only sends. Default true. */
  supervise?: boolean;
}

export interface OpenQueue {
  boss: PgBoss;
  /** pg-boss's schema. */
  schema: string;
  /** The state's schema, beside it in the same database. */
  stateSchema: string;
  /** How many jobs are waiting: due now, and scheduled for later. */
  depth(): Promise<{ due: number; later: number; active: number }>;
  close(): Promise<void>;
}

/** Refuses anything but a PostgreSQL state: the queue lives in the state database. */
export function requirePostgresState(location: string, command: string): void {
  if (!isPostgresUrl(location)) {
    throw new LedgersyncError(
      'queue_needs_postgres',
      'config',
      `ledgersync ${command} needs PostgreSQL state, but the state is ${printableLocation(location)}`,
      {
        fix: 'set LEDGERSYNC_STATE=postgres://user:pass@host:port/db (or --state), the database every worker shares',
      },
    );
  }
}

/**
 * Opens the queue; workers started together on a new database may deadlock while pg-boss creates
 * its schema and queue: PostgreSQL aborts one of them (40P01), which then simply tries again.
 */
export async function openQueue(stateUrl: string, options: QueueOptions = {}): Promise<OpenQueue> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await openQueueOnce(stateUrl, options);
    } catch (error) {
      const deadlocked = /deadlock detected/i.test(String((error as { cause?: Error }).cause?.message ?? (error as Error).message));
      if (!deadlocked || attempt >= 5) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt + Math.floor(Math.random() * 200)));
    }
  }
}

async function openQueueOnce(stateUrl: string, options: QueueOptions): Promise<OpenQueue> {
  const { url, schema: stateSchema } = parseStateUrl(stateUrl);
  const schema = `${stateSchema}_queue`;
  const boss = new PgBoss({
    connectionString: url,
    schema,
    max: options.maxConnections ?? 3,
    application_name: `ledgersync queue pid ${process.pid}`,
    // Schedules are ledgersync's slot chain; pg-boss's own cron stays off.
    schedule: false,
    supervise: options.supervise ?? true,
    maintenanceIntervalSeconds: options.maintenanceIntervalSeconds ?? 60,
  });
  let failure: Error | undefined;
  boss.on('error', (error: Error) => {
    failure = error;
  });
  try {
    await boss.start();
    if (!(await boss.getQueue(RUN_QUEUE))) {
      await boss.createQueue(RUN_QUEUE, {
        name: RUN_QUEUE,
        policy: 'standard',
        retryLimit: options.retryLimit ?? 10,
        retryDelay: options.retryDelaySeconds ?? 15,
        expireInSeconds: options.jobTimeoutSeconds ?? 3600,
        retentionMinutes: 60 * 24 * 14,
      });
    } else if (options.jobTimeoutSeconds !== undefined || options.retryLimit !== undefined || options.retryDelaySeconds !== undefined) {
      await boss.updateQueue(RUN_QUEUE, {
        name: RUN_QUEUE,
        ...(options.retryLimit !== undefined ? { retryLimit: options.retryLimit } : {}),
        ...(options.retryDelaySeconds !== undefined ? { retryDelay: options.retryDelaySeconds } : {}),
        ...(options.jobTimeoutSeconds !== undefined ? { expireInSeconds: options.jobTimeoutSeconds } : {}),
      });
    }
  } catch (error) {
    await boss.stop({ graceful: false, wait: false }).catch(() => undefined);
    const code = (error as { code?: unknown }).code;
    // A wrong login or database is a configuration to fix (exit 2), not an outage to wait out (exit 3).
    if (typeof code === 'string' && REFUSED_LOGIN_CODES.has(code)) {
      throw new LedgersyncError('state_unreadable', 'config', `cannot open the job queue in ${printableLocation(stateUrl)}: ${(error as Error).message}`, {
        fix: 'check the user, password and database name in --state / LEDGERSYNC_STATE',
        cause: error,
      });
    }
    throw new LedgersyncError('state_unavailable', 'transient', `cannot start the job queue in ${printableLocation(stateUrl)}: ${(error as Error).message}`, {
      fix: 'check that PostgreSQL is up and that the user may create schemas in the database',
      cause: failure ?? error,
    });
  }
  const db = boss.getDb();
  return {
    boss,
    schema,
    stateSchema,
    async depth() {
      const { rows } = await db.executeSql(
        `SELECT count(*) FILTER (WHERE state < 'active' AND start_after <= now())::int AS due,
                count(*) FILTER (WHERE state < 'active' AND start_after > now())::int AS later,
                count(*) FILTER (WHERE state = 'active')::int AS active
           FROM ${schema}.job WHERE name = $1`,
        [RUN_QUEUE],
      );
      const row = (rows[0] ?? {}) as { due?: number; later?: number; active?: number };
      return { due: row.due ?? 0, later: row.later ?? 0, active: row.active ?? 0 };
    },
    async close() {
      await boss.stop({ graceful: true, wait: true, timeout: 30_000 });
    },
  };
}
