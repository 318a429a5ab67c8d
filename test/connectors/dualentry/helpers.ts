import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { ConnectorDescriptor } from '../../../engine/connector/descriptor.js';
import type { ConnectorFactoryInput, KeyValueStore, SinkContext, SinkRecord } from '../../../engine/connector/types.js';
import { createConnection } from '../../../engine/http/connection.js';
import { silentLogger } from '../../../engine/log.js';
import { loadedDescriptor } from '../descriptors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export function dualEntryDescriptor(): ConnectorDescriptor {
  return loadedDescriptor('dualentry');
}

export function memoryKv(): KeyValueStore & { data: Map<string, string> } {
  const data = new Map<string, string>();
  return {
    data,
    get: <T>(key: string) => (data.has(key) ? (JSON.parse(data.get(key)!) as T) : undefined),
    set: (key, value) => void data.set(key, JSON.stringify(value)),
    delete: (key) => void data.delete(key),
  };
}

export function sinkContext(kv: KeyValueStore = memoryKv(), runId = 'run-1'): SinkContext {
  const secrets = new Map<string, string>();
  return {
    pipeline: 'revrec-test',
    runId,
    log: silentLogger,
    signal: new AbortController().signal,
    resolveTarget: () => undefined,
    kv,
    secrets: { get: (n) => secrets.get(n), set: (n, v) => void secrets.set(n, v) },
  };
}

export const revrecBlock = {
  period: 'month',
  close_after_days: 0,
  journal_description: 'Chargebee RevRec {period} {currency}',
  accounts: {
    accounts_receivable: 'revrec_ar',
    deferred_revenue: 'revrec_deferred',
    revenue: 'revrec_revenue',
    contra_revenue: 'revrec_contra',
    tax_payable: 'revrec_tax',
  },
};

export function revrecLookups(revenue: Record<string, string> = { SAAS: '4000', SERVICES: '4010' }): ConnectorFactoryInput['lookups'] {
  return {
    revrec_ar: { values: {}, default: '1200' },
    revrec_deferred: { values: {}, default: '2400' },
    revrec_revenue: { values: revenue, default: '4020' },
    revrec_contra: { values: {}, default: '4900' },
    revrec_tax: { values: {}, default: '2100' },
  };
}

export interface InputOptions {
  url: string;
  apiKey: string;
  companyId: number | string;
  extensions?: Record<string, unknown>;
  lookups?: ConnectorFactoryInput['lookups'];
  timezone?: string;
  recordStatus?: 'draft' | 'posted';
  /** More properties of the pipeline's sink block (`retry:`, `rate_limit:`…). */
  connection?: Record<string, unknown>;
}

export function factoryInput(o: InputOptions): ConnectorFactoryInput {
  return {
    connection: {
      connector: 'dualentry',
      api_key: o.apiKey,
      company_id: o.companyId,
      base_url: o.url,
      ...(o.recordStatus ? { record_status: o.recordStatus } : {}),
      ...o.connection,
    },
    descriptor: dualEntryDescriptor(),
    pipelineDir: root,
    pipeline: 'revrec-test',
    timezone: o.timezone ?? 'UTC',
    extensions: o.extensions ?? { revenue_recognition: revrecBlock },
    lookups: o.lookups ?? revrecLookups(),
    options: {},
    log: silentLogger,
    // Instant retries: the tests are about what is retried, not how long it waits.
    http: { connect: (options) => createConnection(options, { sleep: async () => {}, random: () => 0 }) },
  };
}

export const at = (y: number, m: number, d: number, h = 0) => Date.UTC(y, m - 1, d, h) / 1000;

export function documentRecord(sourceId: string, data: Record<string, unknown>, stream = 'invoices'): SinkRecord {
  return { stream, object: 'revenue_document', sourceId, deleted: false, action: 'upsert', data, contentHash: JSON.stringify(data) };
}

/** An annual prepaid subscription invoice: 1,200.00 USD from Jan 1 2026, ratable by day. */
/** One month of service of `amount` minor units, billed in USD on the first of month `m` of year `y`. */
export const monthlyInvoice = (id: string, y: number, m: number, amount: number): SinkRecord =>
  documentRecord(id, {
    kind: 'invoice',
    date: at(y, m, 1),
    currency: 'USD',
    lines: [{ id: 'l1', amount, date_from: at(y, m, 1), date_to: at(y, m + 1, 1), accounting_code: 'SAAS' }],
  });

export function annualInvoice(id = 'inv_1', amount = 120000, code = 'SAAS'): SinkRecord {
  return documentRecord(id, {
    kind: 'invoice',
    date: at(2026, 1, 1),
    currency: 'USD',
    lines: [{ id: `${id}_l1`, amount, date_from: at(2026, 1, 1), date_to: at(2027, 1, 1), accounting_code: code }],
  });
}
