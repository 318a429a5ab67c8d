/**
 * Fault injection for the fake: throttling, outages (JSON or HTML bodies), periodic failures,
 * dropped connections and latency, plus an optional real rate limiter. Knobs count requests as
 * they arrive, before authentication, like a gateway in front of the API would.
 */
import { type ChargebeeApiError, injectedFailure, requestLimitExceeded, siteNotReady } from './errors.js';

export type FaultAction = { kind: 'reset' } | { kind: 'error'; error: ChargebeeApiError } | { kind: 'html'; status: number; retryAfterSeconds?: number };

export type UnavailableBody = 'json' | 'html' | 'alternate';

export interface FaultKnobs {
  /** The next `n` requests answer 429 `api_request_limit_exceeded` with `Retry-After: retryAfterSeconds` (default 1). */
  rateLimitNext(n: number, retryAfterSeconds?: number): void;
  /** The next `n` requests answer 503 `site_not_ready`; body JSON, HTML, or alternating starting with JSON (default). */
  serviceUnavailableNext(n: number, body?: UnavailableBody): void;
  /** Every `k`-th request from now answers `status` (k = 0 turns it off). */
  failEvery(k: number, status: number): void;
  /** The next `n` requests have their socket destroyed without an answer, before they take effect. */
  resetConnectionNext(n: number): void;
  /**
   * The next `n` requests take effect, then their socket is destroyed before the answer is sent:
   * the client cannot tell whether a POST happened (what idempotency keys and look-ups are for).
   */
  dropResponseNext(n: number): void;
  /** Latency added before every answer, in ms. Default 0. */
  delayMs: number;
  /** Turns every knob off. */
  clear(): void;
}

function requireCount(name: string, n: number): void {
  if (!Number.isInteger(n) || n < 0) throw new Error(`faults.${name}: expected a non-negative integer, received ${n}`);
}

export class Faults implements FaultKnobs {
  delayMs = 0;
  private rateLimited = 0;
  private rateLimitRetryAfter = 1;
  private unavailable = 0;
  private unavailableBody: UnavailableBody = 'alternate';
  private unavailableServed = 0;
  private failPeriod = 0;
  private failStatus = 500;
  private failCounter = 0;
  private resets = 0;
  private drops = 0;

  rateLimitNext(n: number, retryAfterSeconds = 1): void {
    requireCount('rateLimitNext', n);
    requireCount('rateLimitNext retryAfterSeconds', retryAfterSeconds);
    this.rateLimited = n;
    this.rateLimitRetryAfter = retryAfterSeconds;
  }

  serviceUnavailableNext(n: number, body: UnavailableBody = 'alternate'): void {
    requireCount('serviceUnavailableNext', n);
    this.unavailable = n;
    this.unavailableBody = body;
    this.unavailableServed = 0;
  }

  failEvery(k: number, status: number): void {
    requireCount('failEvery', k);
    if (!Number.isInteger(status) || status < 400 || status > 599) {
      throw new Error(`faults.failEvery: expected an HTTP error status 400..599, received ${status}`);
    }
    this.failPeriod = k;
    this.failStatus = status;
    this.failCounter = 0;
  }

  resetConnectionNext(n: number): void {
    requireCount('resetConnectionNext', n);
    this.resets = n;
  }

  dropResponseNext(n: number): void {
    requireCount('dropResponseNext', n);
    this.drops = n;
  }

  /** Whether the answer to the request just processed must be dropped; consumes one count. */
  takeDrop(): boolean {
    if (this.drops === 0) return false;
    this.drops -= 1;
    return true;
  }

  clear(): void {
    this.delayMs = 0;
    this.drops = 0;
    this.rateLimited = 0;
    this.unavailable = 0;
    this.failPeriod = 0;
    this.failCounter = 0;
    this.resets = 0;
  }

  /** The fault for the request that just arrived, if any; consumes one count of the knob that fires. */
  next(): FaultAction | undefined {
    if (this.resets > 0) {
      this.resets -= 1;
      return { kind: 'reset' };
    }
    if (this.rateLimited > 0) {
      this.rateLimited -= 1;
      return { kind: 'error', error: requestLimitExceeded(this.rateLimitRetryAfter) };
    }
    if (this.unavailable > 0) {
      this.unavailable -= 1;
      const served = this.unavailableServed++;
      const html = this.unavailableBody === 'html' || (this.unavailableBody === 'alternate' && served % 2 === 1);
      return html ? { kind: 'html', status: 503 } : { kind: 'error', error: siteNotReady() };
    }
    if (this.failPeriod > 0) {
      this.failCounter += 1;
      if (this.failCounter % this.failPeriod === 0) return { kind: 'error', error: injectedFailure(this.failStatus) };
    }
    return undefined;
  }
}

/** Sliding-window limiter over real time: `requests` per `perSeconds`, then 429 with the wait in Retry-After. */
export class RateLimiter {
  private readonly stamps: number[] = [];

  constructor(
    private readonly requests: number,
    private readonly perSeconds: number,
    private readonly clockMs: () => number = Date.now,
  ) {
    if (!Number.isInteger(requests) || requests < 1) throw new Error(`rateLimit.requests: expected an integer >= 1, received ${requests}`);
    if (!(perSeconds > 0)) throw new Error(`rateLimit.perSeconds: expected a number > 0, received ${perSeconds}`);
  }

  /** Undefined when the request may pass (and counts it), else the seconds to wait. */
  check(): number | undefined {
    const now = this.clockMs();
    const windowMs = this.perSeconds * 1000;
    while (this.stamps.length > 0 && (this.stamps[0] ?? 0) <= now - windowMs) this.stamps.shift();
    if (this.stamps.length < this.requests) {
      this.stamps.push(now);
      return undefined;
    }
    const oldest = this.stamps[0] ?? now;
    return Math.max(1, Math.ceil((oldest + windowMs - now) / 1000));
  }
}
