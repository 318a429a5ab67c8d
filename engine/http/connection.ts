/**
 * The one HTTP client of the engine: Node's fetch over a shared undici Agent (keep-alive, pooled,
 * with timeouts), a p-queue per connection for rate limits and concurrency, and the pure retry
 * decision of ./retry.ts. Connectors add their auth and error mapping through hooks.
 *
 * A 2xx answer is only an answer when its body can be read: JSON for a request that accepts JSON,
 * or whatever the connector's `parseBody` hook accepts. A truncated body, an HTML page from a
 * proxy or an endless one is transient garbage: a read is retried like a 5xx, and a write whose
 * answer was garbage, lost or a gateway's error comes back from `send()` as `uncertain`, so the
 * connector looks the document up before it sends the write again.
 */
import type { Agent } from 'undici';
import PQueue from 'p-queue';
import { LedgersyncError } from '../errors.js';
import { requireCjs } from '../require-cjs.js';
import type { Logger } from '../log.js';
import { excerpt, redact } from '../log.js';
import { type ReadResponse, readBody, toReadResponse } from './response-body.js';
import { backoffMs, decideRetry, defaultRetryPolicy, type AttemptOutcome, type RetryDecision, type RetryPolicy } from './retry.js';
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
   * false for POST and PATCH. A non-idempotent request is retried only when it provably was not
   * processed (refused connection, the vendor's documented throttle answer); after anything else
   * `send()` answers `uncertain` (and `request()` throws with `mayHaveSucceeded`).
   */
  idempotent?: boolean;
  /** Skip the connection's `authorize` hook (the token request itself). Default false. */
  skipAuth?: boolean;
  /** Per-attempt timeout, to the last byte of the answer. Default: the connection's `timeoutMs`. */
  timeoutMs?: number;
  /** Return non-2xx responses instead of throwing (after retries of 429/5xx). Default false. */
  acceptErrors?: boolean;
}

export interface HttpResponse {
  status: number;
  headers: Headers;
  url: string;
  text: string;
  /** The body as JSON (parsed once; throws for a body that is not JSON). */
  json<T = unknown>(): T;
  /** What the connection's `parseBody` hook made of a 2xx body (e.g. a parsed XML document). */
  parsed?: unknown;
}

/**
 * What became of a request, for a caller that must know whether a write may have landed:
 * - `answered`: a 2xx with a readable body;
 * - `failed`: the request was refused (a 4xx, the vendor's throttle beyond the retry policy) or never
 *   reached the server: nothing was applied, `error` says why;
 * - `uncertain`: the write may have been applied (a 5xx or a gateway's 429 after it was sent, a reset,
 *   a timeout, a body that cannot be read): look the document up before sending it again.
 */
export type SendResult =
  | { outcome: 'answered'; response: HttpResponse }
  | { outcome: 'failed'; error: LedgersyncError; response?: HttpResponse }
  | { outcome: 'uncertain'; error: LedgersyncError; response?: HttpResponse };

/** A vendor's documented throttle answer (descriptor `retry.throttle_answers`): the request was refused before any processing. */
export interface ThrottleAnswer {
  status: number;
  /** Matched against the body. */
  bodyPattern: RegExp;
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
  /**
   * Reads a 2xx body that is not JSON (Intacct's XML); throws when the body cannot be used (not the
   * vendor's document, truncated). The value is kept as `response.parsed`.
   */
  parseBody?(response: HttpResponse): unknown;
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
  /** Per-attempt timeout, to the last byte of the answer: the only limit on waiting for one. Default 60 s. */
  timeoutMs?: number;
  hooks?: ConnectionHooks;
  /** Default headers on every request. */
  headers?: Record<string, string>;
  /**
   * Not stopped by the run's abort signal: for the few requests that must still go out after a
   * stop (a logout that frees a vendor's licence seat). Default false.
   */
  detached?: boolean;
  /** The vendor's documented throttle answers: a write answered so is sent again after the wait. Default none. */
  throttleAnswers?: readonly ThrottleAnswer[];
  /** Largest response body read; a bigger one is unreadable garbage. Default 128 MiB. */
  maxResponseBytes?: number;
}

export interface HttpConnection {
  readonly label: string;
  readonly baseUrl: string;
  /** The response, or throws: the error of a write that may have landed carries `mayHaveSucceeded`. */
  request(request: HttpRequest): Promise<HttpResponse>;
  /** The typed outcome of a request: for writes, whose caller must look a document up after `uncertain`. */
  send(request: HttpRequest): Promise<SendResult>;
  /** Waits the connection's backoff after `attempt` failed attempts (between an uncertain write, its look-up and a resend). */
  pause(attempt: number): Promise<void>;
  /** The retry policy in force (descriptor and pipeline merged). */
  readonly retryPolicy: RetryPolicy;
  /** Counters since the connection opened. */
  readonly stats: { requests: number; retries: number; throttled: number };
}

export interface HttpConnectionFactory {
  connect(options: ConnectionOptions): HttpConnection;
}

let sharedAgent: Agent | undefined;
function agent(): Agent {
  if (!sharedAgent) {
    const { Agent: UndiciAgent } = requireCjs('undici') as typeof import('undici');
    sharedAgent = new UndiciAgent({
      keepAliveTimeout: 10_000,
      keepAliveMaxTimeout: 60_000,
      connectTimeout: 15_000,
      // Off (0): every attempt carries its own deadline (`timeoutMs`, headers and body included), and
      // a limit shared by all connections would cut a longer one short (a 120 s `timeout_ms` at 60 s).
      headersTimeout: 0,
      bodyTimeout: 0,
      connections: 32,
    });
  }
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

export { describeBody } from './response-body.js';

const DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024;

export function createConnection(options: ConnectionOptions, env: ClientEnvironment = realEnvironment): HttpConnection {
  const connection = new Connection(options, env);
  return {
    label: options.label,
    baseUrl: options.baseUrl,
    request: (request) => connection.request(request),
    send: (request) => connection.send(request),
    pause: (attemptNo) => connection.pause(attemptNo),
    retryPolicy: connection.policy,
    stats: connection.stats,
  };
}

/** What one attempt produced, for the retry decision, with the response or the error behind it. */
interface Observation {
  outcome: AttemptOutcome;
  response?: ReadResponse;
  thrown?: unknown;
}

/** One connection's state: its policy, queue and sliding window, hooks and counters. */
class Connection {
  readonly policy: RetryPolicy;
  readonly stats = { requests: 0, retries: 0, throttled: 0 };
  // p-queue bounds requests in flight; the sliding window bounds requests per interval.
  private readonly queue: PQueue;
  private readonly window: SlidingWindowLimiter | undefined;
  private readonly hooks: ConnectionHooks;
  private readonly maxBytes: number;

  constructor(
    private readonly options: ConnectionOptions,
    private readonly env: ClientEnvironment,
  ) {
    this.policy = { ...defaultRetryPolicy, ...options.retry };
    const limit = options.rateLimit;
    this.queue = new PQueue({ concurrency: limit?.concurrency ?? 8 });
    this.window = limit
      ? new SlidingWindowLimiter(limit.requests, limit.perSeconds * 1000, {
          ...(env.log ? { log: env.log } : {}),
          reason: `${options.label} allows ${formatRate(limit.requests, limit.perSeconds)}`,
        })
      : undefined;
    this.hooks = options.hooks ?? {};
    this.maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  }

  /** The run's signal, unless this connection must still send after a stop. */
  private get runSignal(): AbortSignal | undefined {
    return this.options.detached ? undefined : this.env.signal;
  }

  async request(request: HttpRequest): Promise<HttpResponse> {
    const result = await this.send(request);
    if (result.outcome === 'answered') return result.response;
    if (request.acceptErrors && result.response && result.response.status >= 300) return result.response;
    throw result.error;
  }

  async send(request: HttpRequest): Promise<SendResult> {
    const idempotent = request.idempotent ?? ['GET', 'PUT', 'DELETE'].includes(request.method);
    let refreshed = false;
    for (let attemptNo = 1; ; attemptNo++) {
      const { outcome, response, thrown } = await this.observe(request);
      if (response && response.status === 401 && !refreshed && this.hooks.onUnauthorized && !request.skipAuth) {
        refreshed = true;
        if (await this.hooks.onUnauthorized(response)) continue;
      }
      const decision = decideRetry(outcome, attemptNo, this.policy, idempotent, this.env.random());
      if (decision.action === 'succeed' && response) return { outcome: 'answered', response };
      if (decision.action === 'retry') {
        await this.waitToRetry(request, outcome, decision, attemptNo);
        continue;
      }
      return this.givenUp(request, decision, response, thrown);
    }
  }

  pause(attemptNo: number): Promise<void> {
    return this.env.sleep(backoffMs(attemptNo, this.policy, this.env.random()), this.runSignal);
  }

  /** One attempt, classified: a network error becomes an outcome; the run's stop and a connector's own error are thrown. */
  private async observe(request: HttpRequest): Promise<Observation> {
    try {
      const response = await this.attempt(request);
      return { outcome: this.outcomeOf(response), response };
    } catch (error) {
      if (this.runSignal?.aborted) throw this.runSignal.reason;
      if (error instanceof LedgersyncError) throw error;
      return { outcome: networkErrorOutcome(error), thrown: error };
    }
  }

  private outcomeOf(response: ReadResponse): AttemptOutcome {
    if (response.unreadable !== undefined) return { kind: 'unreadable', status: response.status, problem: response.unreadable };
    const throttle = this.hooks.detectThrottle?.(response);
    if (throttle) return { kind: 'response', status: 429, retryAfter: throttle.retryAfter ?? null, vendorThrottle: true };
    return {
      kind: 'response',
      status: response.status,
      retryAfter: response.headers.get('retry-after'),
      vendorThrottle: (this.options.throttleAnswers ?? []).some((answer) => answer.status === response.status && answer.bodyPattern.test(response.text)),
    };
  }

  private async attempt(request: HttpRequest): Promise<ReadResponse> {
    const url = buildUrl(this.options.baseUrl, request.path, request.query);
    const { headers, body } = outgoingMessage(request, this.options.headers);
    if (!request.skipAuth) await this.hooks.authorize?.(headers, request);
    this.stats.requests++;
    // The timeout starts when the request leaves the queue: time spent waiting for a rate-limit slot
    // is not the server's, and a write timed out before it was sent must not look "maybe applied".
    const send = async () => {
      const timeout = AbortSignal.timeout(request.timeoutMs ?? this.options.timeoutMs ?? 60_000);
      const signal = this.runSignal ? AbortSignal.any([timeout, this.runSignal]) : timeout;
      const response = await fetch(url, {
        method: request.method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal,
        // @ts-expect-error dispatcher is undici's extension of RequestInit
        dispatcher: agent(),
      });
      return { res: response, read: await readBody(response, this.maxBytes) };
    };
    const window = this.window;
    const { res, read } = await this.queue.add(() => (window ? window.run(send, this.runSignal) : send()));
    return toReadResponse(res, read, url, {
      method: request.method,
      accept: headers['accept'] ?? '',
      parseBody: this.hooks.parseBody,
      maxBytes: this.maxBytes,
    });
  }

  private async waitToRetry(request: HttpRequest, outcome: AttemptOutcome, decision: RetryDecision, attemptNo: number): Promise<void> {
    this.stats.retries++;
    if (outcome.kind === 'response' && outcome.status === 429) this.stats.throttled++;
    this.env.log?.info(retryLine(this.options.label, request, decision, attemptNo, this.policy.maxAttempts), {
      attempt: attemptNo,
      max_attempts: this.policy.maxAttempts,
      cause: decision.cause,
      wait_ms: decision.waitMs,
    });
    await this.env.sleep(decision.waitMs, this.runSignal);
  }

  private givenUp(request: HttpRequest, decision: RetryDecision, response: ReadResponse | undefined, thrown: unknown): SendResult {
    const error = this.failureOf(request, decision, response, thrown);
    const withResponse = response ? { response } : {};
    if (!decision.uncertain) return { outcome: 'failed', error, ...withResponse };
    this.env.log?.warn(
      `${this.options.label}: ${request.method} ${request.path} may have been applied (${decision.reason}); it is looked up before any resend`,
    );
    return { outcome: 'uncertain', error, ...withResponse };
  }

  private failureOf(request: HttpRequest, decision: RetryDecision, response: ReadResponse | undefined, thrown: unknown): LedgersyncError {
    const { label, baseUrl } = this.options;
    if (response?.unreadable !== undefined) return unreadableFailure(label, request, response, response.unreadable, decision.uncertain);
    if (response) {
      const error = this.hooks.describeError?.(response, request) ?? describeHttpError(label, response, request);
      return decision.uncertain ? asUncertain(error) : error;
    }
    return new LedgersyncError(
      'connection_failed',
      'transient',
      redact(`${label}: ${request.method} ${buildUrl(baseUrl, request.path).origin} failed: ${decision.reason}`),
      {
        cause: thrown,
        mayHaveSucceeded: decision.uncertain,
        fix: 'check the network and the base_url of this connection; the run can be resumed as is',
      },
    );
  }
}

/** The headers and body of a request as sent, before the connector's credentials are added. */
function outgoingMessage(request: HttpRequest, defaults: Record<string, string> | undefined): { headers: Record<string, string>; body?: string } {
  const headers: Record<string, string> = { accept: 'application/json', ...defaults, ...request.headers };
  if (request.json !== undefined) return { headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(request.json) };
  if (request.form) return { headers: { ...headers, 'content-type': 'application/x-www-form-urlencoded' }, body: encodeForm(request.form) };
  if (request.body !== undefined) return { headers: { ...headers, 'content-type': request.contentType ?? 'text/plain' }, body: request.body };
  return { headers };
}

/**
 * A thrown fetch error as the retry decision reads it: undici's code sits on the cause. The
 * attempt's deadline throws a DOMException, whose numeric legacy `code` (23) says nothing: its name does.
 */
function networkErrorOutcome(error: unknown): AttemptOutcome {
  const cause = (error as { cause?: { code?: unknown } }).cause;
  const e = error as { code?: unknown; name?: string; message?: string };
  const code = [cause?.code, e.code].find((c): c is string => typeof c === 'string');
  return {
    kind: 'error',
    code: code ?? e.name ?? 'unknown',
    ...(e.name ? { name: e.name } : {}),
    ...(e.message ? { message: e.message } : {}),
  };
}

function unreadableFailure(label: string, request: HttpRequest, response: HttpResponse, problem: string, uncertain: boolean): LedgersyncError {
  return new LedgersyncError(
    'unreadable_response',
    'transient',
    redact(`${label}: ${request.method} ${pathOf(request)} answered HTTP ${response.status} with ${problem}`),
    {
      details: { status: response.status, contentType: response.headers.get('content-type') ?? '', bytes: Buffer.byteLength(response.text) },
      mayHaveSucceeded: uncertain,
      fix: `something other than the API answered (a proxy, a gateway, a cut connection); ${uncertain ? 'the write is looked up before it is sent again, and ' : ''}the run can be resumed as is. If it persists, check the base_url of this connection`,
    },
  );
}

/** A response's error for a write that may have landed: never a record error (the record is not at fault), always `mayHaveSucceeded`. */
function asUncertain(error: LedgersyncError): LedgersyncError {
  if (error.mayHaveSucceeded) return error;
  return new LedgersyncError(error.code, error.kind === 'record' ? 'transient' : error.kind, error.message, {
    details: error.details,
    cause: error,
    mayHaveSucceeded: true,
    ...(error.fix ? { fix: error.fix } : {}),
  });
}

/** The path of a request for a message: a token endpoint's absolute URL without its query. */
function pathOf(request: HttpRequest): string {
  return /^https?:\/\//i.test(request.path) ? new URL(request.path).pathname : request.path;
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
  const snippet = excerpt(response.text, 500);
  const status = response.status;
  const kind = status === 401 || status === 403 ? 'auth' : status === 429 || status >= 500 ? 'transient' : 'record';
  return new LedgersyncError(`http_${status}`, kind, `${label}: ${request.method} ${request.path} answered HTTP ${status}: ${snippet}`, {
    details: { status },
  });
}

export const defaultConnectionFactory = (env?: ClientEnvironment): HttpConnectionFactory => ({
  connect: (options) => createConnection(options, env),
});
