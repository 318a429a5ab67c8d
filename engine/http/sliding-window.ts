/**
 * Rate limits as vendors count them: a sliding window, not fixed buckets. Fixed windows (p-queue's
 * intervalCap) let two full buckets meet at a window edge, twice the limit in one real minute,
 * which the vendor answers with 429s.
 */
import type { Logger } from '../log.js';
import { NOTICEABLE_WAIT_MS, formatWait, sleep as realSleep } from './wait.js';

export interface SlidingWindowOptions {
  /** Milliseconds clock. Default `Date.now`. */
  now?: () => number;
  /** How to wait. Default: `timers/promises`, which removes its abort listener when it fires. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Where a noticeable wait is announced (info level). Default: nowhere. */
  log?: Logger;
  /** What the wait is for, completing "waiting 38 s: …", e.g. `QuickBooks Online allows 40 batch requests a minute`. */
  reason?: string;
}

/**
 * At most `limit` calls in any window of `windowMs`, as QBO counts a sliding minute. A call holds
 * its slot from start to finish and is dated by its finish, so a call delayed on its way out (a
 * token refresh, the connection queue) can never land in a window the limiter thought was free.
 */
export class SlidingWindowLimiter {
  private readonly slots: { end: number }[] = [];
  /** Calls waiting for a slot. */
  private queued = 0;
  private chain: Promise<void> = Promise.resolve();
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly options: SlidingWindowOptions = {},
  ) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? realSleep;
  }

  /** Whether a call made now would start without waiting: nobody queued, and a slot free in the window. */
  hasRoom(): boolean {
    const since = this.now() - this.windowMs;
    return this.queued === 0 && this.slots.filter((s) => s.end > since).length < this.limit;
  }

  async run<T>(call: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const slot = { end: Number.POSITIVE_INFINITY };
    this.queued++;
    const turn = this.chain.then(() => this.take(slot, signal)).finally(() => this.queued--);
    this.chain = turn.catch(() => undefined);
    await turn;
    try {
      return await call();
    } finally {
      slot.end = this.now();
    }
  }

  private async take(slot: { end: number }, signal?: AbortSignal): Promise<void> {
    for (;;) {
      const now = this.now();
      for (let i = this.slots.length - 1; i >= 0; i--) if (this.slots[i]!.end <= now - this.windowMs) this.slots.splice(i, 1);
      if (this.slots.length < this.limit) {
        this.slots.push(slot);
        return;
      }
      const oldest = Math.min(...this.slots.map((s) => s.end));
      const waitMs = Number.isFinite(oldest) ? oldest + this.windowMs - now + 1 : 50;
      if (waitMs > NOTICEABLE_WAIT_MS && this.options.log) {
        this.options.log.info(
          `waiting ${formatWait(waitMs)}: ${this.options.reason ?? `at most ${this.limit} calls are allowed per ${formatWait(this.windowMs)}`}`,
          {
            wait_ms: waitMs,
          },
        );
      }
      await this.sleep(waitMs, signal);
    }
  }
}
