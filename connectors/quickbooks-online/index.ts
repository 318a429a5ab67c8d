/**
 * QuickBooks Online connector (sink only). The descriptor (connector.yaml) declares the URLs,
 * OAuth endpoint, throttles, objects and QBO's limits; this module wires them to the engine's
 * HTTP client, the Intuit token manager and the sink.
 */
import { settingsOf } from '../../engine/connector/descriptor.js';
import { oauth2CredentialsOf, openConnection, openTokenConnection } from '../../engine/connector/open-connection.js';
import type { ConnectorFactoryInput, ConnectorModule, Sink } from '../../engine/connector/types.js';
import { LedgersyncError } from '../../engine/errors.js';
import { SlidingWindowLimiter } from '../../engine/http/sliding-window.js';
import { formatRate } from '../../engine/http/wait.js';
import { QboApi } from './api.js';
import { describeQboError, detectQboThrottle } from './faults.js';
import { IntuitOAuth } from './oauth.js';
import { receivableEntriesOf } from './references.js';
import { QboSink, type QboSinkSettings } from './sink.js';

/** Mirrors settings.schema.json, which the descriptor loader checked. */
interface QboSettings {
  minor_version: number;
  batch: { max_items: number; requests: number; per_seconds: number };
  token_refresh_margin_s: number;
  adopt_by_source_id: Record<string, string>;
  unique_name_suffix: string;
  field_limits: Record<string, number>;
  decimal_fields: string[];
  voidable: string[];
  deletable: string[];
}

function missing(name: string, env: string): LedgersyncError {
  return new LedgersyncError('missing_connection_value', 'config', `the QuickBooks Online connection needs '${name}'`, {
    fix: `set sink.${name} in the pipeline (usually \${${env}})`,
  });
}

function createQboSink(input: ConnectorFactoryInput): Sink {
  const { descriptor } = input;
  const settings = settingsOf<QboSettings>(descriptor);
  const realmId = String(input.connection['realm_id'] ?? '').trim();
  if (!realmId) throw missing('realm_id', 'QBO_REALM_ID');
  const credentials = oauth2CredentialsOf(input);
  if (!credentials.clientId) throw missing('client_id', 'QBO_CLIENT_ID');
  if (!credentials.clientSecret) throw missing('client_secret', 'QBO_CLIENT_SECRET');
  if (!credentials.refreshToken) throw missing('refresh_token', 'QBO_REFRESH_TOKEN');

  const oauth = new IntuitOAuth(openTokenConnection(input, { label: 'Intuit OAuth' }), {
    tokenUrl: credentials.tokenUrl,
    clientId: credentials.clientId,
    clientSecret: credentials.clientSecret,
    configuredRefreshToken: credentials.refreshToken,
    refreshMarginSeconds: settings.token_refresh_margin_s,
    log: input.log,
  });
  const label = `QuickBooks Online realm ${realmId}`;
  const connection = openConnection(input, {
    label,
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
    decimalFields: new Set(settings.decimal_fields),
    batchLimiter: new SlidingWindowLimiter(settings.batch.requests, settings.batch.per_seconds * 1000, {
      log: input.log,
      reason: `QuickBooks Online allows ${formatRate(settings.batch.requests, settings.batch.per_seconds, 'batch requests')}`,
    }),
  });
  const sinkSettings: QboSinkSettings = {
    naturalKeys: Object.fromEntries(Object.entries(descriptor.objects ?? {}).map(([name, o]) => [name, o.natural_key ?? 'Id'])),
    batchMaxItems: settings.batch.max_items,
    maxBatchSize: descriptor.max_batch ?? settings.batch.max_items,
    useBatch: input.connection['use_batch'] !== false && input.connection['use_batch'] !== 'false',
    adoptBySourceId: settings.adopt_by_source_id,
    uniqueNameSuffix: settings.unique_name_suffix,
    fieldLimits: settings.field_limits,
    voidable: new Set(settings.voidable),
    deletable: new Set(settings.deletable),
    receivableEntries: receivableEntriesOf(input.lookups),
  };
  return new QboSink(api, oauth, sinkSettings);
}

export const connector: ConnectorModule = {
  name: 'quickbooks-online',
  createSink: createQboSink,
};
