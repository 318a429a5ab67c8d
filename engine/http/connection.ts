/**
 * The one HTTP client of the engine: Node's fetch over a shared undici Agent (keep-alive, pooled,
 * with timeouts), a p-queue per connection for rate limits and concurrency, and the pure retry
 * decision of ./retry.ts. Connectors add their auth and error mapping through hooks.
 */
import { Agent } from 'undici';
import PQueue from 'p-queue';
import { LedgersyncError } from '../errors.js';
import type { Logger } from '../log.js';
import { redact } from '../log.js';
import { decideRetry, defaultRetryPolicy, type AttemptOutcome, type RetryDecision, type RetryPolicy } from './retry.js';
import { SlidingWindowLimiter } from './sliding-window.js';
import { NOTICEABLE_WAIT_MS, formatRate, formatWait, sleep } from './wait.js';

export type QueryValue = string | number | boolean | undefined | null | readonly (string | number)[];

export interface HttpRequest {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path appended to the connection's base URL, or an absolute `http(s)://` URL (e.g. a token endpoint). */
  path: string;
  query?: Record<string, QueryValue>;
  headers?: Record<string, string>;
  /** JSON body (sets content-type). */
  json?: unknown;
  /** application/x-www-form-urlencoded body; array values repeat the key. */
  form?: Record<string, QueryValue>;
  /** Raw body (XML...), with `contentType`. */
  body?: string;
  contentType?: string;
  /**
   * Whether repeating the request cannot apply it twice. Default: true for GET, PUT and DELETE,
   * false for POST and PATCH. A non-idempotent request is not retried after a timeout or 5xx: it
   * fails with `mayHaveSucceeded` so the caller looks the record up first.
   */
  idempotent?: boolean;
  /** Skip the connection's `authorize` hook (the token request itself). Default false. */
  skipAuth?: boolean;
  /** Per-attempt timeout. Default: the connection's `timeoutMs`. */
  timeoutMs?: number;
  /** Return non-2xx responses instead of throwing (after retries of 429/5xx). Default false. */
  acceptErrors?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  url: string;
  text: string;
  json<T = unknown>(): T;
}

export interface ConnectionHooks {
  /** Adds credentials to the outgoing headers. Called before every attempt, so a refreshed token is used. */
  authorize?(headers: Record<string, string>, request: HttpRequest): Promise<void> | void;
  /** Called on HTTP 401; resolve true to retry once with fresh credentials (e.g. after an OAuth refresh). */
  onUnauthorized?(response: HttpResponse): Promise<boolean>;
  /** Turns a non-2xx response into an error a person can act on. */
  describeError?(response: HttpResponse, request: HttpRequest): LedgersyncError;
  /** Some vendors signal throttling inside a 200 / 400 body (QBO fault 3001): say so and how long to wait. */
  detectThrottle?(response: HttpResponse): { retryAfter?: string } | undefined;
}

export interface RateLimit {
  /** Requests allowed per interval. */
  requests: number;
  /** Interval length in seconds. */
  perSeconds: number;
  /** Requests in flight at once. */
  concurrency: number;
}

export interface ConnectionOptions {
  /** A name for messages, e.g. `Chargebee site acme-test`. */
  label: string;
  baseUrl: string;
  rateLimit?: RateLimit;
  retry?: Partial<RetryPolicy>;
  /** Per-attempt timeout. Default 60 s. */
  timeoutMs?: number;
  hooks?: ConnectionHooks;
  /** Default headers on every request. */
  headers?: Record<string, string>;
  /**
   * Not stopped by the run's abort signal: for the few requests that must still go out after a
   * stop (a logout that frees a vendor's licence seat). Default false.
   */
  detached?: boolean;
}

export interface HttpConnection {
  readonly label: string;
  readonly baseUrl: string;
  request(request: HttpRequest): Promise<HttpResponse>;
  /** Counters since the connection opened. */
  readonly stats: { requests: number; retries: number; throttled: number };
}

export interface HttpConnectionFactory {
  connect(options: ConnectionOptions): HttpConnection;
}

let sharedAgent: Agent | undefined;
function agent(): Agent {
  sharedAgent ??= new Agent({
    keepAliveTimeout: 10_000,
    keepAliveMaxTimeout: 60_000,
    connectTimeout: 15_000,
    headersTimeout: 60_000,
    bodyTimeout: 120_000,
    connections: 32,
  });
  return sharedAgent;
}

/** Closes pooled sockets so a short-lived process can exit at once. */
export async function closeHttpAgent(): Promise<void> {
  const current = sharedAgent;
  sharedAgent = undefined;
  if (current) await current.close();
}

export interface ClientEnvironment {
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
  random(): number;
  log?: Logger;
  signal?: AbortSignal;
}

const realEnvironment: ClientEnvironment = { sleep, random: Math.random };

export function buildUrl(baseUrl: string, path: string, query?: Record<string, QueryValue>): URL {
  const url = /^https?:\/\//i.test(path) ? new URL(path) : new URL(baseUrl.replace(/\/+$/, '') + '/' + path.replace(/^\/+/, ''));
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value) url.searchParams.append(key, String(v));
    else url.searchParams.set(key, String(value));
  }
  return url;
}

export function encodeForm(form: Record<string, QueryValue>): string {
  const params = new URLSearchParams();
  for (const [key, value] of Object.entries(form)) {
    if (value === undefined || value === null) continue;
    if (Array.isArray(value)) for (const v of value) params.append(key, String(v));
    else params.set(key, String(value));
  }
  return params.toString();
}

export function createConnection(options: ConnectionOptions, env: ClientEnvironment = realEnvironment): HttpConnection {
  const policy: RetryPolicy = { ...defaultRetryPolicy, ...options.retry };
  const limit = options.rateLimit;
  // p-queue bounds requests in flight; the sliding window bounds requests per interval.
  const queue = new PQueue({ concurrency: limit?.concurrency ?? 8 });
  const log = env.log;
  const window = limit
    ? new SlidingWindowLimiter(limit.requests, limit.perSeconds * 1000, {
        ...(log ? { log } : {}),
        reason: `${options.label} allows ${formatRate(limit.requests, limit.perSeconds)}`,
      })
    : undefined;
  const hooks = options.hooks ?? {};
  const stats = { requests: 0, retries: 0, throttled: 0 };

  async function attempt(request: HttpRequest): Promise<HttpResponse> {
    const url = buildUrl(options.baseUrl, request.path, request.query);
    const headers: Record<string, string> = { accept: 'application/json', ...options.headers, ...request.headers };
    let body: string | undefined;
    if (request.json !== undefined) {
      body = JSON.stringify(request.json);
      headers['content-type'] = 'application/json';
    } else if (request.form) {
      body = encodeForm(request.form);
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (request.body !== undefined) {
      body = request.body;
      headers['content-type'] = request.contentType ?? 'text/plain';
    }
    if (!request.skipAuth) await hooks.authorize?.(headers, request);
    stats.requests++;
    // The timeout starts when the request leaves the queue: time spent waiting for a rate-limit slot
    // is not the server's, and a write timed out before it was sent must not look "maybe applied".
    const send = async () => {
      const timeout = AbortSignal.timeout(request.timeoutMs ?? options.timeoutMs ?? 60_000);
      const signal = env.signal && !options.detached ? AbortSignal.any([timeout, env.signal]) : timeout;
      const response = await fetch(url, {
        method: request.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal,
        // @ts-expect-error dispatcher is undici's extension of RequestInit
        dispatcher: agent(),
      });
      return { res: response, text: await response.text() };
    };
    const { res, text } = await queue.add(() => (window ? window.run(send, options.detached ? undefined : env.signal) : send()));
    return {
      status: res.status,
      headers: res.headers,
      url: url.toString(),
      text,
      json<T>() {
        return JSON.parse(text) as T;
      },
    };
  }

  async function request(request: HttpRequest): Promise<HttpResponse> {
    const idempotent = request.idempotent ?? ['GET', 'PUT', 'DELETE'].includes(request.method);
    let refreshed = false;
    for (let attemptNo = 1; ; attemptNo++) {
      let outcome: AttemptOutcome;
      let response: HttpResponse | undefined;
      let thrown: unknown;
      try {
        response = await attempt(request);
        const throttle = hooks.detectThrottle?.(response);
        outcome = throttle
          ? { kind: 'response', status: 429, retryAfter: throttle.retryAfter ?? null }
          : { kind: 'response', status: response.status, retryAfter: response.headers.get('retry-after') };
      } catch (error) {
        if (env.signal?.aborted && !options.detached) throw env.signal.reason;
        if (error instanceof LedgersyncError) throw error;
        thrown = error;
        const cause = (error as { cause?: { code?: string } }).cause;
        const e = error as { code?: string; name?: string; message?: string };
        outcome = {
          kind: 'error',
          code: cause?.code ?? e.code ?? e.name ?? 'unknown',
          ...(e.name ? { name: e.name } : {}),
          ...(e.message ? { message: e.message } : {}),
        };
      }

      if (response && response.status === 401 && !refreshed && hooks.onUnauthorized && !request.skipAuth) {
        refreshed = true;
        if (await hooks.onUnauthorized(response)) continue;
      }

      const decision = decideRetry(outcome, attemptNo, policy, idempotent, env.random());
      if (decision.action === 'succeed' && response) return response;
      if (decision.action === 'retry') {
        stats.retries++;
        if (outcome.kind === 'response' && outcome.status === 429) stats.throttled++;
        log?.info(retryLine(options.label, request, decision, attemptNo, policy.maxAttempts), {
          attempt: attemptNo,
          max_attempts: policy.maxAttempts,
          cause: decision.cause,
          wait_ms: decision.waitMs,
        });
        await env.sleep(decision.waitMs, options.detached ? undefined : env.signal);
        continue;
      }
      if (response) {
        if (request.acceptErrors) return response;
        const error = hooks.describeError?.(response, request) ?? describeHttpError(options.label, response, request);
        if (decision.mayHaveSucceeded && !error.mayHaveSucceeded) {
          throw new LedgersyncError(error.code, error.kind === 'record' ? 'transient' : error.kind, error.message, {
            details: error.details,
            cause: error,
            mayHaveSucceeded: true,
            ...(error.fix ? { fix: error.fix } : {}),
          });
        }
        throw error;
      }
      throw new LedgersyncError(
        'connection_failed',
        'transient',
        redact(`${options.label}: ${request.method} ${buildUrl(options.baseUrl, request.path).origin} failed: ${decision.reason}`),
        {
          cause: thrown,
          mayHaveSucceeded: decision.mayHaveSucceeded,
          fix: 'check the network and the base_url of this connection; the run can be resumed as is',
        },
      );
    }
  }

  return { label: options.label, baseUrl: options.baseUrl, request, stats };
}

/**
 * One line per retry, at info level: a refused connection retried for 43 s must not look like a
 * hang. A noticeable wait leads with what is waited on, as a rate-limit wait does.
 */
function retryLine(label: string, request: HttpRequest, decision: RetryDecision, attemptNo: number, maxAttempts: number): string {
  const what = `${request.method} ${redact(request.path.split('?')[0] ?? '')}`;
  const attempt = `attempt ${attemptNo} of ${maxAttempts} failed`;
  if (decision.waitMs > NOTICEABLE_WAIT_MS) return `waiting ${formatWait(decision.waitMs)}: ${label} ${what}, ${attempt}: ${decision.cause}`;
  return `${label}: ${what} ${attempt} (${decision.cause}); retrying in ${formatWait(decision.waitMs)}`;
}

/** The generic mapping of a failed response, for connectors without their own. */
export function describeHttpError(label: string, response: HttpResponse, request: HttpRequest): LedgersyncError {
  const snippet = redact(response.text.slice(0, 500));
  const status = response.status;
  const kind = status === 401 || status === 403 ? 'auth' : status === 429 || status >= 500 ? 'transient' : 'record';
  return new LedgersyncError(`http_${status}`, kind, `${label}: ${request.method} ${request.path} answered HTTP ${status}: ${snippet}`, {
    details: { status },
  });
}

export const defaultConnectionFactory = (env?: ClientEnvironment): HttpConnectionFactory => ({
  connect: (options) => createConnection(options, env),
});
