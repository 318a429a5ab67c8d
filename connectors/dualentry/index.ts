/**
 * The DualEntry connector: reads and checks the sink's connection block and builds the sink
 * (sink.ts), contributes `ledgersync post` and the revenue-recognition lines of `ledgersync status`.
 */
import { createHash } from 'node:crypto';
import { LedgersyncError } from '../../engine/errors.js';
import { openConnection } from '../../engine/connector/open-connection.js';
import type { ConnectorFactoryInput, ConnectorModule, ConnectorReference } from '../../engine/connector/types.js';
import { registerSecret } from '../../engine/log.js';
import { lookupAccountResolver, type AccountTables } from '../../domain/revrec/accounts.js';
import { PeriodCalendar } from '../../domain/revrec/calendar.js';
import type { AccountRole } from '../../domain/revrec/journal.js';
import { DualEntryApi, describeDualEntryError } from './api.js';
import { formatRevrecStatus, revrecStatus } from './status.js';
import { parseRevrecSettings, type RevrecSettings } from './settings.js';
import { postCommand } from './post.js';
import { DualEntrySink, type DualEntrySinkOptions } from './sink.js';

export type { RevrecStatus } from './status.js';
export { formatRevrecStatus, revrecStatus } from './status.js';
export type { DualEntrySink, DualEntrySinkOptions } from './sink.js';

function companyIdOf(input: ConnectorFactoryInput): number {
  const raw = input.connection['company_id'];
  const text = typeof raw === 'number' ? String(raw) : typeof raw === 'string' ? raw.trim() : '';
  if (!/^\d{1,18}$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) === 0) {
    throw new LedgersyncError('invalid_company_id', 'config', `sink.company_id must be a DualEntry company ID (a number), received ${JSON.stringify(raw)}`, {
      fix: 'copy the ID from Companies in DualEntry (company switcher → Companies, ID column) into DUALENTRY_COMPANY_ID',
    });
  }
  return Number(text);
}

function apiKeyOf(input: ConnectorFactoryInput): string {
  const key = input.connection['api_key'];
  if (typeof key !== 'string' || key.trim() === '') {
    throw new LedgersyncError('dualentry_api_key_missing', 'config', 'sink.api_key is empty: the DualEntry API key is required', {
      fix: 'set DUALENTRY_API_KEY to the key your DualEntry administrator generated under Settings → Developers → API Keys',
    });
  }
  return key.trim();
}

function describeMappingFor(tables: AccountTables, lookups: ConnectorFactoryInput['lookups']) {
  return (role: AccountRole, code: string): string => {
    const table = tables[role];
    if (!table) return `revenue_recognition.accounts.${role}`;
    return lookups[table] && Object.hasOwn(lookups[table].values, code) ? `lookups.${table}.values[${JSON.stringify(code)}]` : `lookups.${table}.default`;
  };
}

function recordStatusOf(input: ConnectorFactoryInput): 'draft' | 'posted' {
  const recordStatus = input.connection['record_status'] ?? 'posted';
  if (recordStatus !== 'draft' && recordStatus !== 'posted') {
    throw new LedgersyncError('invalid_record_status', 'config', `sink.record_status must be "draft" or "posted", received ${JSON.stringify(recordStatus)}`);
  }
  return recordStatus;
}

/** `sink.rounding_account`: a DualEntry account number, or none (empty or absent). */
function roundingAccountOf(input: ConnectorFactoryInput): string | undefined {
  const value = input.connection['rounding_account'];
  if (value === undefined || value === null || value === '') return undefined;
  const text = String(value).trim();
  if (!/^\d{1,12}$/.test(text)) {
    throw new LedgersyncError(
      'invalid_rounding_account',
      'config',
      `sink.rounding_account must be a DualEntry account number (digits only), received ${JSON.stringify(value)}`,
      {
        fix: 'set it to the number of the account that takes rounding differences, e.g. 7990, or leave it empty',
      },
    );
  }
  return text;
}

/** The prefix of every memo's deterministic reference: unique per pipeline and company. */
function refPrefixOf(pipeline: string, companyId: number): string {
  return `ls-${createHash('sha256').update(`${pipeline}\u0000${companyId}`).digest('hex').slice(0, 8)}`;
}

export function createDualEntrySink(input: ConnectorFactoryInput, options: DualEntrySinkOptions = {}): DualEntrySink {
  const apiKey = apiKeyOf(input);
  registerSecret(apiKey);
  const companyId = companyIdOf(input);
  const recordStatus = recordStatusOf(input);
  const roundingAccount = roundingAccountOf(input);
  const settings: RevrecSettings | undefined =
    input.extensions['revenue_recognition'] === undefined ? undefined : parseRevrecSettings(input.extensions['revenue_recognition']);
  const calendar = new PeriodCalendar(settings?.period ?? 'month', input.timezone || 'UTC');
  const resolveAccount = lookupAccountResolver(settings?.accounts ?? {}, input.lookups);
  // The X-API-KEY header, limits and retry policy come from the descriptor and the pipeline's overrides.
  const http = openConnection(input, {
    label: `DualEntry company ${companyId}`,
    hooks: { describeError: (response, request) => describeDualEntryError(response, request, companyId) },
  });
  return new DualEntrySink({
    api: new DualEntryApi(http, companyId, input.descriptor.paging),
    companyId,
    recordStatus,
    ...(roundingAccount ? { roundingAccount } : {}),
    settings,
    calendar,
    resolveAccount,
    describeMapping: describeMappingFor(settings?.accounts ?? {}, input.lookups),
    refPrefix: refPrefixOf(input.pipeline, companyId),
    maxBatchSize: input.descriptor.max_batch ?? 100,
    ...(options.now ? { clock: options.now } : {}),
  });
}

export const connector: ConnectorModule = {
  name: 'dualentry',
  createSink: (input) => createDualEntrySink(input),
  describeState(kv) {
    const status = revrecStatus(kv);
    return status.periods.length || status.retry ? formatRevrecStatus(status) : [];
  },
  commands: [postCommand(createDualEntrySink)],
  // The revenue-recognition account tables and the rounding account are read by the connector itself, not through a mapping.
  connectorReferences(input) {
    const rounding: ConnectorReference = { property: 'rounding_account', kind: 'Account', via: 'the rounding line of every 3-decimal-currency journal' };
    const block = input.extensions['revenue_recognition'];
    if (block === undefined) return [rounding];
    const accounts = (block as { accounts?: Record<string, unknown> }).accounts ?? {};
    const tables = Object.entries(accounts)
      .filter((entry): entry is [string, string] => typeof entry[1] === 'string')
      .map(([role, table]): ConnectorReference => ({ table, kind: 'Account', via: `revenue_recognition.accounts.${role}` }));
    return [...tables, rounding];
  },
};
