/**
 * QuickBooks Online connector (sink only). The descriptor (connector.yaml) declares the URLs,
 * OAuth endpoint, throttles, objects and QBO's limits; this module wires them to the engine's
 * HTTP client, the Intuit token manager and the sink.
 */
import { resolveBaseUrl } from '../../engine/connector/base-url.js';
import { rateLimitOf, retryPolicyOf, type ConnectorDescriptor } from '../../engine/connector/descriptor.js';
import { overridesOf } from '../../engine/connector/overrides.js';
import type { ConnectorFactoryInput, ConnectorModule, Sink } from '../../engine/connector/types.js';
import { LedgersyncError } from '../../engine/errors.js';
import { registerSecret } from '../../engine/log.js';
import { SlidingWindowLimiter } from '../../engine/http/sliding-window.js';
import { QboApi } from './api.js';
import { describeQboError, detectQboThrottle } from './faults.js';
import { IntuitOAuth } from './oauth.js';
import { QboSink, type QboSinkSettings } from './sink.js';

interface QboSettings {
  minor_version: number;
  batch: { max_items: number; requests: number; per_seconds: number };
  token_refresh_margin_s: number;
  adopt_by_source_id?: Record<string, string>;
  unique_name_suffix: string;
  field_limits?: Record<string, number>;
  voidable?: string[];
  deletable?: string[];
}

function settingsOf(descriptor: ConnectorDescriptor): QboSettings {
  const s = descriptor.settings as Partial<QboSettings> | undefined;
  if (!s?.minor_version || !s.batch || s.unique_name_suffix === undefined || s.token_refresh_margin_s === undefined) {
    throw new LedgersyncError(
      'invalid_descriptor',
      'system',
      `connector ${descriptor.name}: settings need minor_version, batch, token_refresh_margin_s and unique_name_suffix`,
    );
  }
  return s as QboSettings;
}

function text(input: ConnectorFactoryInput, name: string): string {
  const value = input.connection[name];
  return value === undefined || value === null ? '' : String(value).trim();
}

function required(input: ConnectorFactoryInput, name: string, env: string): string {
  const value = text(input, name);
  if (!value) {
    throw new LedgersyncError('missing_connection_value', 'config', `the QuickBooks Online connection needs '${name}'`, {
      fix: `set sink.${name} in the pipeline (usually \${${env}})`,
    });
  }
  return value;
}

/** `https://quickbooks.api.intuit.com/v3/company/{realm_id}`, the sandbox host, or `base_url` in place of the host. */
export function qboBaseUrl(input: ConnectorFactoryInput): string {
  const { base_url: host, ...rest } = input.connection;
  const environment = text(input, 'environment') || 'production';
  const templated = resolveBaseUrl(input.descriptor, { ...rest, connector: input.connection.connector }, environment);
  if (typeof host !== 'string' || host.trim() === '') return templated;
  let url: URL;
  try {
    url = new URL(host.trim());
  } catch {
    throw new LedgersyncError('invalid_base_url', 'config', `base_url '${host}' of the QuickBooks Online connection is not a URL`, {
      fix: 'give the API host such as https://quickbooks.api.intuit.com, or leave it empty',
    });
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new LedgersyncError('invalid_base_url', 'config', `base_url of the QuickBooks Online connection must be http(s), received ${url.protocol}`);
  }
  return url.toString().replace(/\/+$/, '') + new URL(templated).pathname;
}

function createQboSink(input: ConnectorFactoryInput): Sink {
  const { descriptor } = input;
  const settings = settingsOf(descriptor);
  const auth = descriptor.auth;
  if (auth?.type !== 'oauth2_refresh_token')
    throw new LedgersyncError('invalid_descriptor', 'system', `connector ${descriptor.name} must declare oauth2_refresh_token auth`);
  const realmId = required(input, 'realm_id', 'QBO_REALM_ID');
  const clientId = required(input, 'client_id', 'QBO_CLIENT_ID');
  const clientSecret = required(input, 'client_secret', 'QBO_CLIENT_SECRET');
  const refreshToken = required(input, 'refresh_token', 'QBO_REFRESH_TOKEN');
  for (const secret of [clientId, clientSecret, refreshToken]) registerSecret(secret);
  const tokenUrl = text(input, 'token_url') || auth.token_url;

  const overrides = overridesOf(input.connection);
  const tokenConnection = input.http.connect({
    label: 'Intuit OAuth',
    baseUrl: tokenUrl,
    retry: retryPolicyOf(descriptor),
    ...(descriptor.timeout_ms ? { timeoutMs: descriptor.timeout_ms } : {}),
  });
  const oauth = new IntuitOAuth(tokenConnection, {
    tokenUrl,
    clientId,
    clientSecret,
    configuredRefreshToken: refreshToken,
    refreshMarginSeconds: settings.token_refresh_margin_s,
  });
  const label = `QuickBooks Online realm ${realmId}`;
  const rateLimit = rateLimitOf(descriptor, overrides.rateLimit);
  const connection = input.http.connect({
    label,
    baseUrl: qboBaseUrl(input),
    ...(rateLimit ? { rateLimit } : {}),
    retry: { ...retryPolicyOf(descriptor), ...overrides.retry },
    ...(descriptor.timeout_ms ? { timeoutMs: descriptor.timeout_ms } : {}),
    hooks: {
      authorize: async (headers) => {
        headers['authorization'] = `Bearer ${await oauth.accessToken()}`;
      },
      onUnauthorized: async () => {
        await oauth.refreshAfterUnauthorized();
        return true;
      },
      describeError: (response, request) => describeQboError(label, response, request),
      detectThrottle: detectQboThrottle,
    },
  });
  const minorVersion = Number(input.connection['minor_version'] ?? settings.minor_version);
  const api = new QboApi(connection, {
    minorVersion,
    batchLimiter: new SlidingWindowLimiter(settings.batch.requests, settings.batch.per_seconds * 1000),
  });
  const sinkSettings: QboSinkSettings = {
    naturalKeys: Object.fromEntries(Object.entries(descriptor.objects ?? {}).map(([name, o]) => [name, o.natural_key ?? 'Id'])),
    batchMaxItems: settings.batch.max_items,
    useBatch: input.connection['use_batch'] !== false && input.connection['use_batch'] !== 'false',
    adoptBySourceId: settings.adopt_by_source_id ?? {},
    uniqueNameSuffix: settings.unique_name_suffix,
    fieldLimits: settings.field_limits ?? {},
    voidable: new Set(settings.voidable ?? []),
    deletable: new Set(settings.deletable ?? []),
  };
  return new QboSink(api, oauth, sinkSettings);
}

export const connector: ConnectorModule = {
  name: 'quickbooks-online',
  createSink: createQboSink,
  baseUrl: qboBaseUrl,
};
