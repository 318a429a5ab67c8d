/**
 * The run lock is a lease: it names its holder and an expiry that the holder pushes forward while it
 * runs. A holder that dies (SIGKILL, a lost machine) stops renewing, and once the lease has expired
 * the next run takes it over, on whatever machine. A run that finds its lease taken over stops before
 * its next write (`run_lease_lost`), so two runs of one pipeline never write at once.
 */
import { LedgersyncError } from '../errors.js';

/** The lease's length: `LEDGERSYNC_LOCK_TTL_SECONDS`, default 60, at least 2. */
export function leaseTtlSeconds(env: NodeJS.ProcessEnv = process.env): number {
  const text = env['LEDGERSYNC_LOCK_TTL_SECONDS'];
  if (text === undefined || text === '') return 60;
  const seconds = Number(text);
  if (!Number.isInteger(seconds) || seconds < 2) {
    throw new LedgersyncError('invalid_arguments', 'config', `LEDGERSYNC_LOCK_TTL_SECONDS must be a whole number of seconds ≥ 2, got '${text}'`, {
      fix: 'unset it (60 s) or set e.g. LEDGERSYNC_LOCK_TTL_SECONDS=120',
    });
  }
  return seconds;
}

/** Renews a held lease three times per TTL until stopped, or until a renewal finds it taken over. */
export class RunLease {
  private readonly timer: NodeJS.Timeout;
  /** True once a renewal found the lock held by another run. */
  lost = false;

  /** @param renew pushes the expiry forward; false when the lock is no longer this run's. */
  constructor(
    private readonly renew: () => boolean,
    readonly ttlSeconds: number,
  ) {
    this.timer = setInterval(() => this.beat(), Math.max(500, (ttlSeconds * 1000) / 3));
    this.timer.unref();
  }

  private beat(): void {
    try {
      if (!this.renew()) {
        this.lost = true;
        this.stop();
      }
    } catch {
      // The database is unreachable: the next beat tries again, and every write batch renews (or
      // finds the lease lost) itself before it goes out.
    }
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export function leaseLostError(pipeline: string, runId: string): LedgersyncError {
  return new LedgersyncError(
    'run_lease_lost',
    'transient',
    `run ${runId} of pipeline '${pipeline}' lost its lock: its lease expired and another run took it over; this run stopped before writing more`,
    {
      fix: 'nothing to do if the run was paused or cut off, or `ledgersync unlock --force` released its lock; raise LEDGERSYNC_LOCK_TTL_SECONDS if runs stall for longer than it',
    },
  );
}
