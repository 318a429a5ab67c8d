/**
 * Chargebee's `chargebee-idempotency-key`: a POST repeated with the same key and the same body is
 * answered with the first response, marked `chargebee-idempotency-replayed: true`, and has no second
 * effect. Keys are kept 24 hours of the fake's clock. A 5xx is not remembered (the request did not
 * take effect, so a retry must be able to run it).
 */
import { ChargebeeApiError } from './errors.js';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export interface StoredResponse {
  status: number;
  body: string;
  headers: Record<string, string>;
}

interface Entry extends StoredResponse {
  fingerprint: string;
  expiresAt: number;
}

export class IdempotencyCache {
  private readonly entries = new Map<string, Entry>();

  /** The stored response for a repeat, undefined for a new key; throws when the key was used for another request. */
  lookup(key: string, fingerprint: string, now: number): StoredResponse | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= now) {
      this.entries.delete(key);
      return undefined;
    }
    if (entry.fingerprint !== fingerprint) {
      throw new ChargebeeApiError(400, {
        message: `The idempotency key ${key} was already used for a different request; use a new key for a new request.`,
        type: 'invalid_request',
        api_error_code: 'invalid_request',
      });
    }
    return { status: entry.status, body: entry.body, headers: entry.headers };
  }

  remember(key: string, fingerprint: string, response: StoredResponse, now: number): void {
    if (response.status >= 500) return;
    this.entries.set(key, { ...response, fingerprint, expiresAt: now + IDEMPOTENCY_TTL_SECONDS });
  }

  get size(): number {
    return this.entries.size;
  }
}
