/**
 * Acumatica connector (sink only). The descriptor (connector.yaml) declares the endpoint URL
 * template, throttles, paging, objects and Acumatica's facts; contract.json the endpoint's field
 * types. This module wires them to the engine's HTTP client, the sign-in (OAuth or cookie session)
 * and the sink.
 */
import { sleep as waitFor } from '../../engine/http/wait.js';
import { settingsOf } from '../../engine/connector/descriptor.js';
import { openConnection } from '../../engine/connector/open-connection.js';
import type { ConnectionConfig, ConnectorFactoryInput, ConnectorModule, Sink } from '../../engine/connector/types.js';
import { LedgersyncError } from '../../engine/errors.js';
import { AcumaticaApi } from './api.js';
import type { ApplicationHistory } from './applications.js';
import { AcumaticaAuth } from './auth.js';
import { Contract } from './contract.js';
import type { CustomerCurrency } from './currencies.js';
import { describeAcumaticaError } from './errors.js';
import { entityFieldLimits } from './field-limits.js';
import type { ReferenceSettings } from './references.js';
import { AcumaticaSink, type AppliedThrough } from './sink.js';

/** Mirrors settings.schema.json, which the descriptor loader checked. */
interface AcumaticaSettings {
  paths: { token: string; login: string; logout: string; endpoints: string };
  oauth_scope: string;
  token_refresh_margin_s: number;
  login_limit_waits_s: number[];
  action: { poll_ms: number; max_poll_ms: number; timeout_s: number };
  discriminators: Record<string, string[]>;
  keys: Record<string, string[]>;
  numbered_by_tenant: Record<string, string>;
  upper_case_keys: string[];
  release_actions: Record<string, string>;
  releasable_statuses: string[];
  unreleased_statuses: string[];
  field_limits?: Record<string, Record<string, number>>;
  voided_statuses?: string[];
  void_actions?: Record<string, string>;
  voiding_types?: Record<string, string>;
  currency_of_customer?: Record<string, CustomerCurrency>;
  document_customer?: Record<string, string>;
  rerelease_on_change: Record<string, string[]>;
  fixed_once_released?: Record<string, string[]>;
  application_history?: Record<string, ApplicationHistory>;
  applied_through_once_released?: Record<string, AppliedThrough>;
  reference_entities?: Record<string, { entity: string; key: string; active?: string[]; valid_until?: string; name?: string }>;
  reference_details?: Record<
    string,
    { of_kind?: string; entity?: string; entity_key?: string; filter?: string; collection: string; key: string; active?: string[]; name?: string }
  >;
}

const ENVIRONMENT: Readonly<Record<string, string>> = {
  url: 'ACUMATICA_URL',
  username: 'ACUMATICA_USERNAME',
  password: 'ACUMATICA_PASSWORD',
  client_id: 'ACUMATICA_CLIENT_ID',
  client_secret: 'ACUMATICA_CLIENT_SECRET',
};

function text(connection: ConnectionConfig, name: string): string {
  const value = connection[name];
  return value === undefined || value === null ? '' : String(value).trim();
}

function missing(name: string, why = ''): LedgersyncError {
  return new LedgersyncError('missing_connection_value', 'config', `the Acumatica connection needs '${name}'${why}`, {
    fix: `set sink.${name} in the pipeline (usually \${${ENVIRONMENT[name] ?? name.toUpperCase()}})`,
  });
}

/** The descriptor's default of a connection property (`endpoint_name: Default`…). */
function defaultOf(input: ConnectorFactoryInput, name: string): string {
  const value = input.descriptor.connection.properties[name]?.['default'];
  return typeof value === 'string' ? value : '';
}

/** The tenant, endpoint and credentials of the pipeline's connection, each required one checked with a fix. */
function tenantOf(input: ConnectorFactoryInput) {
  const instanceUrl = text(input.connection, 'url').replace(/\/+$/, '');
  if (!instanceUrl) throw missing('url', ' (the instance URL, e.g. https://acme.acumatica.com)');
  const username = text(input.connection, 'username');
  const password = text(input.connection, 'password');
  if (!username) throw missing('username');
  if (!password) throw missing('password');
  const clientId = text(input.connection, 'client_id');
  const clientSecret = text(input.connection, 'client_secret');
  const method = (text(input.connection, 'auth_method') || (clientId ? 'oauth2' : 'cookie')) as 'oauth2' | 'cookie';
  if (method === 'oauth2' && !clientId) throw missing('client_id', ' for OAuth 2.0 (or set auth_method: cookie)');
  if (method === 'oauth2' && !clientSecret) throw missing('client_secret', ' for OAuth 2.0 (or set auth_method: cookie)');
  const endpointName = text(input.connection, 'endpoint_name') || defaultOf(input, 'endpoint_name');
  const endpointVersion = text(input.connection, 'endpoint_version') || defaultOf(input, 'endpoint_version');
  const tenant = text(input.connection, 'tenant');
  return { instanceUrl, username, password, clientId, clientSecret, method, endpointName, endpointVersion, tenant };
}

/** The descriptor's `reference_entities` and `reference_details`, copied out of the (frozen) descriptor. */
function referenceSettings(settings: AcumaticaSettings): ReferenceSettings {
  const entities = Object.entries(settings.reference_entities ?? {}).map(([kind, e]) => [
    kind,
    {
      entity: e.entity,
      key: e.key,
      active: [...(e.active ?? [])],
      ...(e.valid_until ? { validUntil: e.valid_until } : {}),
      ...(e.name ? { name: e.name } : {}),
    },
  ]);
  const details = Object.entries(settings.reference_details ?? {}).map(([kind, d]) => {
    if (d.of_kind && !settings.reference_entities?.[d.of_kind]) {
      throw new LedgersyncError(
        'unexpected_error',
        'system',
        `the Acumatica descriptor's reference_details.${kind}.of_kind names '${d.of_kind}', which is not in reference_entities (a broken install)`,
      );
    }
    return [
      kind,
      {
        collection: d.collection,
        key: d.key,
        active: [...(d.active ?? [])],
        ...(d.of_kind ? { ofKind: d.of_kind } : {}),
        ...(d.entity ? { entity: d.entity } : {}),
        ...(d.entity_key ? { entityKey: d.entity_key } : {}),
        ...(d.filter ? { filter: d.filter } : {}),
        ...(d.name ? { name: d.name } : {}),
      },
    ];
  });
  return { entities: Object.fromEntries(entities), details: Object.fromEntries(details) };
}

function createAcumaticaSink(input: ConnectorFactoryInput): Sink {
  const { descriptor } = input;
  const settings = settingsOf<AcumaticaSettings>(descriptor);
  const { instanceUrl, username, password, clientId, clientSecret, method, endpointName, endpointVersion, tenant } = tenantOf(input);
  const connection: ConnectionConfig = { ...input.connection, url: instanceUrl, endpoint_name: endpointName, endpoint_version: endpointVersion };
  const label = `Acumatica tenant '${tenant || '(default)'}' at ${instanceUrl}`;
  const contract = Contract.load(descriptor.dir);

  let signal: AbortSignal | undefined;
  const sleep = (ms: number): Promise<void> => waitFor(ms, signal);

  const describeError = describeAcumaticaError.bind(null, label);
  let auth: AcumaticaAuth | undefined;
  const api = openConnection(
    { ...input, connection },
    {
      label,
      hooks: {
        authorize: (headers) => auth!.authorize(headers),
        onUnauthorized: () => auth!.renew(),
        describeError,
      },
    },
  );
  // Signing out must still happen after a stop: it frees a licence seat.
  const logout = openConnection({ ...input, connection }, { label, detached: true, hooks: { describeError } });
  auth = new AcumaticaAuth(
    api,
    logout,
    {
      method,
      instanceUrl,
      paths: settings.paths,
      tenant,
      branch: text(input.connection, 'branch'),
      username,
      password,
      clientId,
      clientSecret,
      scope: settings.oauth_scope,
      refreshMarginSeconds: settings.token_refresh_margin_s,
      loginLimitWaits: [...settings.login_limit_waits_s],
      label,
      sleep,
    },
    input.log,
  );
  const client = new AcumaticaApi(
    api,
    contract,
    descriptor.paging,
    { pollMs: settings.action.poll_ms, maxPollMs: settings.action.max_poll_ms, timeoutSeconds: settings.action.timeout_s, sleep },
    describeError,
    { timezone: input.timezone },
  );
  return new AcumaticaSink(client, auth, contract, {
    naturalKeys: Object.fromEntries(Object.entries(descriptor.objects ?? {}).flatMap(([name, o]) => (o.natural_key ? [[name, o.natural_key]] : []))),
    fieldLimits: entityFieldLimits(settings.field_limits ?? {}),
    discriminators: settings.discriminators,
    keys: settings.keys,
    numberedByTenant: settings.numbered_by_tenant,
    upperCaseKeys: new Set(settings.upper_case_keys),
    releaseActions: settings.release_actions,
    releasableStatuses: new Set(settings.releasable_statuses),
    unreleasedStatuses: new Set(settings.unreleased_statuses),
    rereleaseOnChange: Object.fromEntries(Object.entries(settings.rerelease_on_change).map(([entity, fields]) => [entity, [...fields]])),
    fixedOnceReleased: Object.fromEntries(Object.entries(settings.fixed_once_released ?? {}).map(([entity, fields]) => [entity, [...fields]])),
    applicationHistory: Object.fromEntries(
      Object.entries(settings.application_history ?? {}).map(([entity, h]) => [
        entity,
        { pending: h.pending, released: h.released, document: { ...h.document }, amount: { ...h.amount } },
      ]),
    ),
    appliedThroughOnceReleased: Object.fromEntries(
      Object.entries(settings.applied_through_once_released ?? {}).map(([entity, t]) => [entity, { ...t, when: { ...t.when } }]),
    ),
    currencyOfCustomer: Object.fromEntries(Object.entries(settings.currency_of_customer ?? {}).map(([entity, c]) => [entity, { ...c }])),
    documentCustomer: { ...settings.document_customer },
    voidedStatuses: new Set(settings.voided_statuses ?? []),
    voidActions: { ...settings.void_actions },
    voidingTypes: { ...settings.voiding_types },
    references: referenceSettings(settings),
    maxBatchSize: descriptor.max_batch ?? 25,
    label,
    instanceUrl,
    endpointsPath: settings.paths.endpoints,
    endpoint: `${endpointName}/${endpointVersion}`,
    opened: (ctx) => {
      signal = ctx.signal;
    },
  });
}

export const connector: ConnectorModule = {
  name: 'acumatica',
  createSink: createAcumaticaSink,
};
