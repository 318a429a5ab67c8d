/**
 * The licence's request limits: "Maximum Number of Web Services API Requests per Minute" (a
 * sliding window) and "Number of Concurrent Web Services API Requests". Requests to sign out are
 * exempt, as Acumatica documents. Over either limit the request is refused with 429.
 */

export interface LicenceLimits {
  /** Open API sessions allowed at once. Default 2 (Acumatica's trial licence). */
  maxApiUsers: number;
  /** Requests per sliding minute; undefined: unlimited (the trial licence imposes none). */
  requestsPerMinute: number | undefined;
  /** Requests in flight at once; undefined: unlimited. */
  maxConcurrentRequests: number | undefined;
  /** Sent as Retry-After on 429 when set; Acumatica documents none, so the default sends none. */
  retryAfterSeconds: number | undefined;
}

export class RequestLimiter {
  private readonly stamps: number[] = [];
  private inFlight = 0;
  maxInFlight = 0;
  throttled = 0;

  constructor(
    private readonly limits: LicenceLimits,
    private readonly now: () => number,
    private readonly windowMs = 60_000,
  ) {}

  /** Admits a request (true) or refuses it (false); an admitted request must call `release()`. */
  admit(): boolean {
    const now = this.now();
    while (this.stamps.length > 0 && this.stamps[0]! <= now - this.windowMs) this.stamps.shift();
    const perMinute = this.limits.requestsPerMinute;
    const concurrent = this.limits.maxConcurrentRequests;
    if ((perMinute !== undefined && this.stamps.length >= perMinute) || (concurrent !== undefined && this.inFlight >= concurrent)) {
      this.throttled++;
      return false;
    }
    this.stamps.push(now);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    return true;
  }

  release(): void {
    this.inFlight--;
  }

  /** Counts a request in flight without the limits (sign-out), so concurrency figures stay honest. */
  enterExempt(): void {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
  }
}
