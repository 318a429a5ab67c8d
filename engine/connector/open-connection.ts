/**
 * Opens a connector's HTTP connection from data: the descriptor's base URL, auth, rate limit,
 * retry policy and timeout, with the pipeline's `rate_limit:` and `retry:` overrides on top. A
 * connector adds hooks only for what data cannot express (token refresh, error bodies, throttling
 * signalled inside a body); it never assembles a connection itself, so no override can be dropped.
 */
import { LedgersyncError } from '../errors.js';
import type { HttpConnection, HttpConnectionFactory, ConnectionHooks, RateLimit, ThrottleAnswer } from '../http/connection.js';
import type { RetryPolicy } from '../http/retry.js';
import { registerSecret } from '../log.js';
import { staticAuthHeaders } from './auth.js';
import { fillTemplate, resolveBaseUrl } from './base-url.js';
import type { ConnectorDescriptor } from './descriptor.js';
import type { ConnectionConfig } from './types.js';

/** What opening a connection needs of a `ConnectorFactoryInput`. */
export interface ConnectionInput {
  descriptor: ConnectorDescriptor;
  connection: ConnectionConfig;
  http: HttpConnectionFactory;
}

export interface OpenConnectionOptions {
  /** A name for messages and logs, e.g. `<system> site 'acme'`: says which account a failure concerns. */
  label: string;
  /** Connector code for what the descriptor cannot say. Required for `oauth2_refresh_token` auth (`authorize`). */
  hooks?: ConnectionHooks;
  /** Requests that must still go out after the run was stopped (a logout freeing a licence seat). Default false. */
  detached?: boolean;
}

/** The connection to the system's API, built from the descriptor and the pipeline's overrides. */
export function openConnection(input: ConnectionInput, options: OpenConnectionOptions): HttpConnection {
  const { descriptor, connection } = input;
  const auth = descriptor.auth;
  if (auth?.type === 'oauth2_refresh_token' && !options.hooks?.authorize) {
    throw new LedgersyncError(
      'auth_needs_hook',
      'system',
      `connector ${descriptor.name} declares oauth2_refresh_token auth but gives no authorize hook to put the access token on requests`,
    );
  }
  const headers = auth?.type === 'oauth2_refresh_token' || auth?.type === 'session' ? {} : staticAuthHeaders(auth, connection);
  const rateLimit = rateLimitOf(descriptor, connection);
  const throttleAnswers = throttleAnswersOf(descriptor);
  return input.http.connect({
    label: options.label,
    baseUrl: resolveBaseUrl(descriptor, connection),
    ...(rateLimit ? { rateLimit } : {}),
    retry: retryPolicyOf(descriptor, connection),
    ...(throttleAnswers.length ? { throttleAnswers } : {}),
    ...(descriptor.timeout_ms ? { timeoutMs: descriptor.timeout_ms } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(options.hooks ? { hooks: options.hooks } : {}),
    ...(options.detached ? { detached: true } : {}),
  });
}

/** OAuth 2.0 client credentials of a connection, filled from the descriptor's templates. */
export interface OAuth2Credentials {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  refreshToken: string;
}

export function oauth2CredentialsOf(input: Pick<ConnectionInput, 'descriptor' | 'connection'>): OAuth2Credentials {
  const { descriptor, connection } = input;
  const auth = descriptor.auth;
  if (auth?.type !== 'oauth2_refresh_token') {
    throw new LedgersyncError('invalid_descriptor', 'system', `connector ${descriptor.name} must declare oauth2_refresh_token auth`);
  }
  const override = auth.token_url_override_property ? connection[auth.token_url_override_property] : undefined;
  const credentials = {
    tokenUrl: typeof override === 'string' && override.trim() !== '' ? override.trim() : fillTemplate(auth.token_url, connection),
    clientId: fillTemplate(auth.client_id, connection).trim(),
    clientSecret: fillTemplate(auth.client_secret, connection).trim(),
    refreshToken: fillTemplate(auth.refresh_token, connection).trim(),
  };
  for (const secret of [credentials.clientId, credentials.clientSecret, credentials.refreshToken]) registerSecret(secret);
  return credentials;
}

/**
 * The connection to the OAuth token endpoint: the descriptor's retry policy and timeout, no rate
 * limit (the token endpoint is not the API's quota) and no pipeline override, since a token request
 * must neither wait behind API calls nor be retried differently per pipeline.
 */
export function openTokenConnection(input: ConnectionInput, options: { label: string }): HttpConnection {
  const { descriptor } = input;
  return input.http.connect({
    label: options.label,
    baseUrl: oauth2CredentialsOf(input).tokenUrl,
    retry: retryPolicyOf(descriptor),
    ...(descriptor.timeout_ms ? { timeoutMs: descriptor.timeout_ms } : {}),
  });
}

/** The descriptor's rate limit with the pipeline's `rate_limit:` on top; undefined when neither sets one. */
export function rateLimitOf(descriptor: ConnectorDescriptor, connection?: ConnectionConfig): RateLimit | undefined {
  const declared = descriptor.rate_limit;
  const base = declared ? { requests: declared.requests, perSeconds: declared.per_seconds, concurrency: declared.concurrency } : undefined;
  const raw = connection?.['rate_limit'] as { requests?: number; per_seconds?: number; concurrency?: number } | undefined;
  if (!base && !raw) return undefined;
  return {
    requests: 100,
    perSeconds: 60,
    concurrency: 4,
    ...base,
    ...(raw?.requests !== undefined ? { requests: raw.requests } : {}),
    ...(raw?.per_seconds !== undefined ? { perSeconds: raw.per_seconds } : {}),
    ...(raw?.concurrency !== undefined ? { concurrency: raw.concurrency } : {}),
  };
}

/** The descriptor's `retry.throttle_answers`: only the vendor's own throttle answer lets a write be sent again unseen. */
export function throttleAnswersOf(descriptor: ConnectorDescriptor): ThrottleAnswer[] {
  return (descriptor.retry?.throttle_answers ?? []).map((answer) => ({ status: answer.status, bodyPattern: new RegExp(answer.body_pattern) }));
}

type RetryBlock = { max_attempts?: number; base_delay_ms?: number; max_delay_ms?: number; max_retry_after_s?: number };

/** The descriptor's retry policy with the pipeline's `retry:` on top (when a connection is given). */
export function retryPolicyOf(descriptor: ConnectorDescriptor, connection?: ConnectionConfig): Partial<RetryPolicy> {
  return { ...retryFields(descriptor.retry ?? {}), ...retryFields((connection?.['retry'] as RetryBlock | undefined) ?? {}) };
}

function retryFields(r: RetryBlock): Partial<RetryPolicy> {
  return {
    ...(r.max_attempts !== undefined ? { maxAttempts: r.max_attempts } : {}),
    ...(r.base_delay_ms !== undefined ? { baseDelayMs: r.base_delay_ms } : {}),
    ...(r.max_delay_ms !== undefined ? { maxDelayMs: r.max_delay_ms } : {}),
    ...(r.max_retry_after_s !== undefined ? { maxRetryAfterMs: r.max_retry_after_s * 1000 } : {}),
  };
}
