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
import { Agent } from 'undici';
import PQueue from 'p-queue';
import { LedgersyncError } from '../errors.js';
import type { Logger } from '../log.js';
import { excerpt, redact } from '../log.js';
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

const DEFAULT_MAX_RESPONSE_BYTES = 128 * 1024 * 1024;

/** A response as read off the wire, with what makes its body unusable when it is. */
interface ReadResponse extends HttpResponse {
  /** Why a 2xx body cannot be used (truncated, not JSON, an HTML page, too large); undefined when it can. */
  unreadable?: string;
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
  const maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;

  async function attempt(request: HttpRequest): Promise<ReadResponse> {
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
      return { res: response, read: await readBody(response, maxBytes) };
    };
    const { res, read } = await queue.add(() => (window ? window.run(send, options.detached ? undefined : env.signal) : send()));
    const text = typeof read === 'string' ? read : '';
    let parsedJson: { value: unknown } | undefined;
    const response: ReadResponse = {
      status: res.status,
      headers: res.headers,
      url: url.toString(),
      text,
      json<T>() {
        parsedJson ??= { value: JSON.parse(text) as unknown };
        return parsedJson.value as T;
      },
    };
    if (res.status < 200 || res.status >= 300 || res.status === 204 || res.status === 205 || request.method === ('HEAD' as string)) return response;
    // An accepted long-running action (Acumatica's release, answered with a Location to poll) has no body.
    if (res.status === 202 && read === '') return response;
    if (typeof read !== 'string') {
      response.unreadable = `a body larger than the ${maxBytes} bytes this connection reads (${read.tooLarge} bytes or more)`;
      return response;
    }
    try {
      if (hooks.parseBody) response.parsed = hooks.parseBody(response);
      else if (/json/i.test(headers['accept'] ?? '')) response.json();
    } catch (error) {
      response.unreadable = describeBody(response, error);
    }
    return response;
  }

  function isVendorThrottle(response: HttpResponse): boolean {
    return (options.throttleAnswers ?? []).some((answer) => answer.status === response.status && answer.bodyPattern.test(response.text));
  }

  async function send(request: HttpRequest): Promise<SendResult> {
    const idempotent = request.idempotent ?? ['GET', 'PUT', 'DELETE'].includes(request.method);
    let refreshed = false;
    for (let attemptNo = 1; ; attemptNo++) {
      let outcome: AttemptOutcome;
      let response: ReadResponse | undefined;
      let thrown: unknown;
      try {
        response = await attempt(request);
        const throttle = response.unreadable === undefined ? hooks.detectThrottle?.(response) : undefined;
        if (response.unreadable !== undefined) outcome = { kind: 'unreadable', status: response.status, problem: response.unreadable };
        else if (throttle) outcome = { kind: 'response', status: 429, retryAfter: throttle.retryAfter ?? null, vendorThrottle: true };
        else
          outcome = {
            kind: 'response',
            status: response.status,
            retryAfter: response.headers.get('retry-after'),
            vendorThrottle: isVendorThrottle(response),
          };
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
      if (decision.action === 'succeed' && response) return { outcome: 'answered', response };
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
      const error = failureOf(request, decision.reason, decision.uncertain, response, thrown);
      if (decision.uncertain) {
        log?.warn(`${options.label}: ${request.method} ${request.path} may have been applied (${decision.reason}); it is looked up before any resend`);
        return { outcome: 'uncertain', error, ...(response ? { response } : {}) };
      }
      return { outcome: 'failed', error, ...(response ? { response } : {}) };
    }
  }

  function failureOf(request: HttpRequest, reason: string, uncertain: boolean, response: ReadResponse | undefined, thrown: unknown): LedgersyncError {
    const fix = 'check the network and the base_url of this connection; the run can be resumed as is';
    if (response?.unreadable !== undefined) {
      return new LedgersyncError(
        'unreadable_response',
        'transient',
        redact(`${options.label}: ${request.method} ${pathOf(request)} answered HTTP ${response.status} with ${response.unreadable}`),
        {
          details: { status: response.status, contentType: response.headers.get('content-type') ?? '', bytes: Buffer.byteLength(response.text) },
          mayHaveSucceeded: uncertain,
          fix: `something other than the API answered (a proxy, a gateway, a cut connection); ${uncertain ? 'the write is looked up before it is sent again, and ' : ''}the run can be resumed as is. If it persists, check the base_url of this connection`,
        },
      );
    }
    if (response) {
      const error = hooks.describeError?.(response, request) ?? describeHttpError(options.label, response, request);
      if (!uncertain || error.mayHaveSucceeded) return error;
      return new LedgersyncError(error.code, error.kind === 'record' ? 'transient' : error.kind, error.message, {
        details: error.details,
        cause: error,
        mayHaveSucceeded: true,
        ...(error.fix ? { fix: error.fix } : {}),
      });
    }
    return new LedgersyncError(
      'connection_failed',
      'transient',
      redact(`${options.label}: ${request.method} ${buildUrl(options.baseUrl, request.path).origin} failed: ${reason}`),
      { cause: thrown, mayHaveSucceeded: uncertain, fix },
    );
  }

  async function request(request: HttpRequest): Promise<HttpResponse> {
    const result = await send(request);
    if (result.outcome === 'answered') return result.response;
    if (request.acceptErrors && result.response && result.response.status >= 300) return result.response;
    throw result.error;
  }

  return {
    label: options.label,
    baseUrl: options.baseUrl,
    request,
    send,
    pause: (attemptNo) => env.sleep(backoffMs(attemptNo, policy, env.random()), options.detached ? undefined : env.signal),
    retryPolicy: policy,
    stats,
  };
}

/** Reads a body up to `limit` bytes (UTF-8, a leading BOM dropped as `Response.text()` does). */
async function readBody(response: Response, limit: number): Promise<string | { tooLarge: number }> {
  const declared = Number(response.headers.get('content-length') ?? '');
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => undefined);
    return { tooLarge: declared };
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return { tooLarge: size };
    }
    chunks.push(value);
  }
  return new TextDecoder().decode(Buffer.concat(chunks));
}

/** The path of a request for a message: a token endpoint's absolute URL without its query. */
function pathOf(request: HttpRequest): string {
  return /^https?:\/\//i.test(request.path) ? new URL(request.path).pathname : request.path;
}

/** What came back instead of the expected document: its kind, content type, size and first bytes (secrets masked). */
export function describeBody(response: HttpResponse, error?: unknown): string {
  const type = response.headers.get('content-type') ?? 'no content type';
  const text = response.text;
  const bytes = Buffer.byteLength(text);
  if (text.trim() === '') return `an empty body (${type})`;
  const head = text.trimStart().slice(0, 1);
  const what = /^<!doctype html|^<html/i.test(text.trimStart())
    ? 'an HTML page'
    : head === '{' || head === '['
      ? 'a truncated or malformed JSON body'
      : head === '<'
        ? `a body that is not the expected document${error instanceof Error ? ` (${error.message.split('\n')[0]})` : ''}`
        : 'a body that is not JSON';
  const first = JSON.stringify(text.slice(0, 80)).slice(1, -1);
  return redact(`${what} (${type}, ${bytes} bytes, starting "${first}${text.length > 80 ? '…' : ''}")`);
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
