/**
 * The retry decision, as a pure function: given what happened to one attempt, say whether to
 * retry, after how long, and why. No I/O, no clock: tests drive it directly.
 *
 * A request that may be repeated (a read, or a write the vendor deduplicates) is retried after any
 * transient failure. A write that may not is repeated only when the failure proves it was never
 * processed: a connection refused before a byte left, or the vendor's own documented throttle
 * answer. Anything else after it was sent (a 5xx of any kind, a gateway's 429, a reset, a timeout,
 * a body that cannot be read) leaves it `uncertain`: the caller must look the document up before
 * it sends the write again.
 */

export interface RetryPolicy {
  /** Attempts in all, the first included. Default 6. */
  maxAttempts: number;
  /** First backoff step. Default 500 ms. */
  baseDelayMs: number;
  /** Ceiling of one backoff wait. Default 30 s. */
  maxDelayMs: number;
  /** Longest `Retry-After` honoured; a longer one fails the request instead of stalling the run. Default 300 s. */
  maxRetryAfterMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  maxAttempts: 6,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
  maxRetryAfterMs: 300_000,
};

/** What one attempt produced: a response (status + headers), a 2xx whose body cannot be used, or a thrown network error. */
export type AttemptOutcome =
  | {
      kind: 'response';
      status: number;
      retryAfter?: string | null;
      /** The answer is the vendor's documented throttle answer: it refused the request before processing it. */
      vendorThrottle?: boolean;
    }
  | { kind: 'unreadable'; status: number; problem: string }
  | { kind: 'error'; code?: string; name?: string; message?: string };

export interface RetryDecision {
  action: 'succeed' | 'retry' | 'fail';
  waitMs: number;
  reason: string;
  /** What went wrong with the attempt, without the wait (`HTTP 429 rate limited, Retry-After 38 s`, `ECONNREFUSED`). */
  cause: string;
  /** The request may have been applied (a write answered by a 5xx, a reset, a timeout…): look it up before sending it again. */
  uncertain: boolean;
}

/** Errors raised before a single byte reached the server: always safe to retry. */
const notSentCodes = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'UND_ERR_CONNECT_TIMEOUT', 'EHOSTUNREACH', 'ENETUNREACH']);
/** Errors after the request may have been processed: safe to retry only when the request is idempotent. */
const maybeSentCodes = new Set([
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'UND_ERR_SOCKET',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'UND_ERR_CLOSED',
  'UND_ERR_ABORTED',
  'ECONNABORTED',
]);

/** Parses `Retry-After` (delta seconds or an HTTP date) into milliseconds; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | undefined {
  if (value == null || value.trim() === '') return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - nowMs);
}

/** Exponential backoff with "equal jitter": half fixed, half random, so retries never bunch at zero. */
export function backoffMs(attempt: number, policy: RetryPolicy, random: number): number {
  const exp = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exp / 2 + (exp / 2) * random);
}

/**
 * @param attempt 1-based number of the attempt that just finished
 * @param idempotent whether repeating the request cannot apply it twice
 * @param random a number in [0, 1) for jitter (Math.random in production)
 */
export function decideRetry(
  outcome: AttemptOutcome,
  attempt: number,
  policy: RetryPolicy,
  idempotent: boolean,
  random: number,
  nowMs = Date.now(),
): RetryDecision {
  const exhausted = attempt >= policy.maxAttempts;
  const backoff = (what: string, cause = what): RetryDecision => {
    const waitMs = backoffMs(attempt, policy, random);
    return { action: 'retry', waitMs, reason: `${what}, backing off ${waitMs} ms`, cause, uncertain: false };
  };

  if (outcome.kind === 'unreadable') {
    const what = `HTTP ${outcome.status} with ${outcome.problem}`;
    if (!idempotent) return fail(`${what} to a write that may have been applied`, true);
    return exhausted ? fail(`${what}, still after ${attempt} attempts`, false) : backoff(what);
  }

  if (outcome.kind === 'response') {
    const { status } = outcome;
    if (status < 400) return { action: 'succeed', waitMs: 0, reason: `HTTP ${status}`, cause: `HTTP ${status}`, uncertain: false };

    if (status === 429) {
      // Only the vendor's own throttle answer proves the write was refused unprocessed; a 429 from a
      // gateway or proxy in front of it may come after the vendor applied it.
      if (!idempotent && !outcome.vendorThrottle) return fail('HTTP 429 that is not the vendor’s throttle answer, to a write that may have been applied', true);
      const retryAfter = parseRetryAfter(outcome.retryAfter, nowMs);
      if (exhausted) return fail(`HTTP 429 still after ${attempt} attempts`, false);
      if (retryAfter !== undefined && retryAfter > policy.maxRetryAfterMs) {
        return fail(`HTTP 429 with Retry-After ${Math.round(retryAfter / 1000)} s, above the ${policy.maxRetryAfterMs / 1000} s limit`, false);
      }
      const waitMs = retryAfter ?? backoffMs(attempt, policy, random);
      const cause = retryAfter === undefined ? 'HTTP 429 rate limited' : `HTTP 429 rate limited, Retry-After ${Math.round(retryAfter / 1000)} s`;
      return { action: 'retry', waitMs, reason: `HTTP 429 rate limited, waiting ${waitMs} ms`, cause, uncertain: false };
    }

    if (status === 408 || status >= 500) {
      // A 503 is no proof either: a gateway answers it after the vendor took the request as often as before.
      if (!idempotent) return fail(`HTTP ${status} to a write that may have been applied`, true);
      if (exhausted) return fail(`HTTP ${status} still after ${attempt} attempts`, false);
      const retryAfter = parseRetryAfter(outcome.retryAfter, nowMs);
      const waitMs = retryAfter !== undefined && retryAfter <= policy.maxRetryAfterMs ? retryAfter : backoffMs(attempt, policy, random);
      const cause = retryAfter !== undefined && waitMs === retryAfter ? `HTTP ${status}, Retry-After ${Math.round(retryAfter / 1000)} s` : `HTTP ${status}`;
      return { action: 'retry', waitMs, reason: `HTTP ${status}, backing off ${waitMs} ms`, cause, uncertain: false };
    }

    return fail(`HTTP ${status}`, false);
  }

  const code = outcome.code ?? outcome.name ?? 'unknown';
  const isTimeout = outcome.name === 'TimeoutError' || outcome.name === 'AbortError' || maybeSentCodes.has(code);
  const notSent = notSentCodes.has(code);
  if (!notSent && !isTimeout) return fail(`network error ${code}: ${outcome.message ?? ''}`.trim(), !idempotent);
  if (!idempotent && !notSent) return fail(`${code} on a write that may have been applied`, true);
  if (exhausted) return fail(`${code} still after ${attempt} attempts`, false);
  return backoff(code, outcome.message ? `${code} (${outcome.message})` : code);
}

function fail(reason: string, uncertain: boolean): RetryDecision {
  return { action: 'fail', waitMs: 0, reason, cause: reason, uncertain };
}
