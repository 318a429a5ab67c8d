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

/**
 * Renews a held lease three times per TTL until stopped. It is lost when a renewal finds it taken
 * over, and also when it could not be renewed (the database unreachable) for so long that it may
 * expire before the next beat: another run may take the pipeline over then, so this one must stop
 * writing now, including the requests it has in flight or is retrying (`whenLost`).
 */
export class RunLease {
  private readonly timer: NodeJS.Timeout;
  private readonly beatMs: number;
  private renewedAt = Date.now();
  private onLost: (() => void) | undefined;
  /** True once the lease is lost (taken over, or possibly expired). */
  lost = false;

  /** @param renew pushes the expiry forward; false when the lock is no longer this run's. */
  constructor(
    private readonly renew: () => boolean,
    readonly ttlSeconds: number,
    private readonly now: () => number = Date.now,
  ) {
    this.renewedAt = now();
    this.beatMs = Math.max(500, (ttlSeconds * 1000) / 3);
    this.timer = setInterval(() => this.beat(), this.beatMs);
    this.timer.unref();
  }

  /** Renews now (a write batch about to go out); false when the lock is no longer this run's. */
  renewNow(): boolean {
    if (!this.renew()) {
      this.lose();
      return false;
    }
    this.renewedAt = this.now();
    return true;
  }

  /** `listener` runs once, when the lease is lost (at once if it already is). */
  whenLost(listener: () => void): void {
    this.onLost = listener;
    if (this.lost) listener();
  }

  private beat(): void {
    try {
      this.renewNow();
    } catch {
      // The database is unreachable: the next beat tries again, unless the lease may run out first.
      if (this.now() - this.renewedAt >= this.ttlSeconds * 1000 - this.beatMs) this.lose();
    }
  }

  private lose(): void {
    if (this.lost) return;
    this.lost = true;
    this.stop();
    this.onLost?.();
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
