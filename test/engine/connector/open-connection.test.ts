import { describe, expect, it } from 'vitest';
import type { ConnectorDescriptor } from '../../../engine/connector/descriptor.js';
import { oauth2CredentialsOf, openConnection, openTokenConnection } from '../../../engine/connector/open-connection.js';
import type { ConnectionConfig } from '../../../engine/connector/types.js';
import type { ConnectionOptions, HttpConnection, HttpConnectionFactory } from '../../../engine/http/connection.js';

/** A factory that records what the engine asked for instead of opening sockets. */
function recordingFactory(): HttpConnectionFactory & { opened: ConnectionOptions[] } {
  const opened: ConnectionOptions[] = [];
  return {
    opened,
    connect(options) {
      opened.push(options);
      return {
        label: options.label,
        baseUrl: options.baseUrl,
        request: async () => Promise.reject(new Error('not here')),
        send: async () => Promise.reject(new Error('not here')),
        pause: async () => {},
        retryPolicy: { maxAttempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 },
        stats: { requests: 0, retries: 0, throttled: 0 },
      } satisfies HttpConnection;
    },
  };
}

const apiKeyDescriptor: ConnectorDescriptor = {
  name: 'ledger',
  title: 'Test ledger',
  description: 'A test API.',
  roles: ['sink'],
  connection: { properties: {} },
  base_url: { template: 'https://api.ledger.example/public/v2', override_property: 'base_url' },
  auth: { type: 'api_key_header', header: 'X-API-KEY', value: '{api_key}' },
  rate_limit: { requests: 60, per_seconds: 60, concurrency: 2 },
  retry: { max_attempts: 5, base_delay_ms: 500, max_delay_ms: 30000, max_retry_after_s: 300 },
  timeout_ms: 45000,
  dir: '/nowhere',
};

const oauthDescriptor: ConnectorDescriptor = {
  ...apiKeyDescriptor,
  name: 'books',
  title: 'Test books',
  base_url: {
    template: 'https://books.example/v3/company/{realm}',
    variants: { production: 'https://books.example/v3/company/{realm}', sandbox: 'https://sandbox.books.example/v3/company/{realm}' },
    variant_property: 'environment',
    parameters: { realm: { pattern: '^[0-9]+$', description: 'digits only' } },
    override_property: 'base_url',
    override_replaces: 'host',
  },
  auth: {
    type: 'oauth2_refresh_token',
    token_url: 'https://auth.books.example/token',
    token_url_override_property: 'token_url',
    client_id: '{client_id}',
    client_secret: '{client_secret}',
    refresh_token: '{refresh_token}',
  },
};

const connection = (values: Record<string, unknown>): ConnectionConfig => ({ connector: 'test', ...values });

describe('openConnection', () => {
  it('builds the connection from the descriptor: base URL, static auth header, limits, retry, timeout', () => {
    const http = recordingFactory();
    openConnection({ descriptor: apiKeyDescriptor, connection: connection({ api_key: 'k-123' }), http }, { label: 'Ledger 1' });
    expect(http.opened).toEqual([
      {
        label: 'Ledger 1',
        baseUrl: 'https://api.ledger.example/public/v2',
        rateLimit: { requests: 60, perSeconds: 60, concurrency: 2 },
        retry: { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30000, maxRetryAfterMs: 300_000 },
        timeoutMs: 45000,
        headers: { 'x-api-key': 'k-123' },
      },
    ]);
  });

  it("lays the pipeline's rate_limit: and retry: over the descriptor's, field by field", () => {
    const http = recordingFactory();
    const config = connection({ api_key: 'k', rate_limit: { concurrency: 1 }, retry: { max_attempts: 2, max_retry_after_s: 10 } });
    openConnection({ descriptor: apiKeyDescriptor, connection: config, http }, { label: 'x' });
    expect(http.opened[0]).toMatchObject({
      rateLimit: { requests: 60, perSeconds: 60, concurrency: 1 },
      retry: { maxAttempts: 2, baseDelayMs: 500, maxDelayMs: 30000, maxRetryAfterMs: 10_000 },
    });
  });

  it('gives a bare host override the API path and takes an override with a path as it is', () => {
    const http = recordingFactory();
    const open = (base_url: string) =>
      openConnection({ descriptor: apiKeyDescriptor, connection: connection({ api_key: 'k', base_url }), http }, { label: 'x' });
    expect(open('http://127.0.0.1:4010').baseUrl).toBe('http://127.0.0.1:4010/public/v2');
    expect(open('http://127.0.0.1:4010/proxy/').baseUrl).toBe('http://127.0.0.1:4010/proxy');
    expect(open('').baseUrl).toBe('https://api.ledger.example/public/v2');
  });

  it('picks the variant a connection property names, and keeps the path of a host-only override', () => {
    const http = recordingFactory();
    const authorize = () => {};
    const open = (values: Record<string, unknown>) =>
      openConnection({ descriptor: oauthDescriptor, connection: connection({ realm: '42', ...values }), http }, { label: 'x', hooks: { authorize } });
    expect(open({}).baseUrl).toBe('https://books.example/v3/company/42');
    expect(open({ environment: 'sandbox' }).baseUrl).toBe('https://sandbox.books.example/v3/company/42');
    expect(open({ environment: 'sandbox', base_url: 'http://127.0.0.1:9000' }).baseUrl).toBe('http://127.0.0.1:9000/v3/company/42');
    expect(open({ base_url: 'http://127.0.0.1:9000/proxy' }).baseUrl).toBe('http://127.0.0.1:9000/proxy/v3/company/42');
    expect(() => open({ base_url: 'not a url' })).toThrow(
      expect.objectContaining({ code: 'invalid_base_url', fix: expect.stringContaining('https://books.example') }),
    );
    expect(() => open({ realm: '42/../../other' })).toThrow(expect.objectContaining({ code: 'invalid_connection_value' }));
    expect(http.opened.every((o) => o.headers === undefined)).toBe(true);
  });

  it('refuses OAuth auth without the hook that puts the access token on requests', () => {
    expect(() => openConnection({ descriptor: oauthDescriptor, connection: connection({ realm: '42' }), http: recordingFactory() }, { label: 'x' })).toThrow(
      expect.objectContaining({ code: 'auth_needs_hook', kind: 'system' }),
    );
  });
});

describe('OAuth 2.0 token endpoint', () => {
  it('fills the credentials from the connection and lets token_url replace the endpoint', () => {
    const values = { client_id: ' id ', client_secret: 'secret', refresh_token: 'rt' };
    expect(oauth2CredentialsOf({ descriptor: oauthDescriptor, connection: connection(values) })).toEqual({
      tokenUrl: 'https://auth.books.example/token',
      clientId: 'id',
      clientSecret: 'secret',
      refreshToken: 'rt',
    });
    expect(oauth2CredentialsOf({ descriptor: oauthDescriptor, connection: connection({ ...values, token_url: 'http://127.0.0.1:9/t ' }) }).tokenUrl).toBe(
      'http://127.0.0.1:9/t',
    );
  });

  it('opens the token connection with the descriptor retry policy, without the API rate limit or pipeline overrides', () => {
    const http = recordingFactory();
    const config = connection({ token_url: 'http://127.0.0.1:9/t', rate_limit: { requests: 1 }, retry: { max_attempts: 1 } });
    openTokenConnection({ descriptor: oauthDescriptor, connection: config, http }, { label: 'Books OAuth' });
    expect(http.opened).toEqual([
      {
        label: 'Books OAuth',
        baseUrl: 'http://127.0.0.1:9/t',
        retry: { maxAttempts: 5, baseDelayMs: 500, maxDelayMs: 30000, maxRetryAfterMs: 300_000 },
        timeoutMs: 45000,
      },
    ]);
  });
});
