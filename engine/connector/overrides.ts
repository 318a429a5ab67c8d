/** The per-pipeline `rate_limit:` and `retry:` overrides any connection block may carry. */
import type { RateLimit } from '../http/connection.js';
import type { RetryPolicy } from '../http/retry.js';
import type { ConnectionConfig } from './types.js';

export function overridesOf(connection: ConnectionConfig): { rateLimit?: Partial<RateLimit>; retry: Partial<RetryPolicy> } {
  const rl = connection['rate_limit'] as { requests?: number; per_seconds?: number; concurrency?: number } | undefined;
  const rt = connection['retry'] as { max_attempts?: number; base_delay_ms?: number; max_delay_ms?: number; max_retry_after_s?: number } | undefined;
  const rateLimit: Partial<RateLimit> = {};
  if (rl?.requests !== undefined) rateLimit.requests = rl.requests;
  if (rl?.per_seconds !== undefined) rateLimit.perSeconds = rl.per_seconds;
  if (rl?.concurrency !== undefined) rateLimit.concurrency = rl.concurrency;
  const retry: Partial<RetryPolicy> = {};
  if (rt?.max_attempts !== undefined) retry.maxAttempts = rt.max_attempts;
  if (rt?.base_delay_ms !== undefined) retry.baseDelayMs = rt.base_delay_ms;
  if (rt?.max_delay_ms !== undefined) retry.maxDelayMs = rt.max_delay_ms;
  if (rt?.max_retry_after_s !== undefined) retry.maxRetryAfterMs = rt.max_retry_after_s * 1000;
  return { ...(rl ? { rateLimit } : {}), retry };
}
