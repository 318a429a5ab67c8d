/** Builds what the engine hands the QBO connector, without the runner: descriptor, factory input, sink context. */
import { memoryKeyValue, memorySecrets } from '../../e2e/helpers.js';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ConnectorDescriptor } from '../../../engine/connector/descriptor.js';
import type { ConnectorFactoryInput, LedgerEntry, Sink, SinkContext, SinkRecord, SinkResult } from '../../../engine/connector/types.js';
import { createConnection } from '../../../engine/http/connection.js';
import { silentLogger } from '../../../engine/log.js';
import type { FakeQbo } from '../../fakes/qbo/index.js';
import { loadedDescriptor } from '../descriptors.js';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const connectorDir = join(root, 'connectors', 'quickbooks-online');
export const examplePipeline = join(root, 'pipelines', 'examples', 'chargebee-to-quickbooks.yaml');

export function loadDescriptor(): ConnectorDescriptor {
  return loadedDescriptor('quickbooks-online');
}

/** Fast retries so throttling tests stay quick; the descriptor's own policy is exercised end to end. */
export function factoryInput(fake: FakeQbo, connection: Record<string, unknown> = {}): ConnectorFactoryInput {
  return {
    connection: {
      connector: 'quickbooks-online',
      realm_id: fake.realmId,
      client_id: fake.clientId,
      client_secret: fake.clientSecret,
      refresh_token: fake.refreshToken,
      token_url: fake.tokenUrl,
      base_url: fake.url,
      retry: { base_delay_ms: 20, max_delay_ms: 200 },
      ...connection,
    },
    descriptor: loadDescriptor(),
    pipelineDir: root,
    pipeline: 'qbo-test',
    timezone: 'UTC',
    extensions: {},
    lookups: {},
    options: {},
    log: silentLogger,
    http: { connect: (o) => createConnection(o) },
  };
}

export interface MemoryContext extends SinkContext {
  secretValues: Map<string, string>;
  kvValues: Map<string, unknown>;
  ledger: Map<string, string>;
}

export function sinkContext(secretValues = new Map<string, string>()): MemoryContext {
  const kvValues = new Map<string, unknown>();
  const ledger = new Map<string, string>();
  return {
    pipeline: 'qbo-test',
    runId: 'run-1',
    log: silentLogger,
    signal: new AbortController().signal,
    resolveTarget: (stream, sourceId) => ledger.get(`${stream}/${sourceId}`),
    kv: memoryKeyValue(kvValues),
    secrets: memorySecrets(secretValues),
    secretValues,
    kvValues,
    ledger,
  };
}

let hashCounter = 0;
export function record(object: string, sourceId: string, data: Record<string, unknown>, extra: Partial<SinkRecord> = {}): SinkRecord {
  return { stream: object.toLowerCase(), object, sourceId, deleted: false, action: 'upsert', data, contentHash: `h${hashCounter++}`, ...extra };
}

export function previous(targetId: string | null, targetVersion: string | null, pendingWrite = false): LedgerEntry {
  return { sourceId: 'x', sourceVersion: null, contentHash: 'old', targetId, targetVersion, pendingWrite, updatedAt: 0 };
}

/** A write's target, or the test fails naming what came back instead. */
export function written(result: SinkResult | undefined): { targetId: string; targetVersion?: string } {
  if (!result || result.status === 'failed')
    throw new Error(`expected success, got ${JSON.stringify(result && 'error' in result ? result.error.toJSON() : result)}`);
  return { targetId: result.targetId!, ...(result.targetVersion ? { targetVersion: result.targetVersion } : {}) };
}

/** Invoice `doc` of one 20.00 line of the item. */
export const invoiceRecord = (doc: string, customerId: string, itemId: string) =>
  record('Invoice', doc, {
    DocNumber: doc,
    TxnDate: '2024-03-01',
    CustomerRef: { value: customerId },
    Line: [{ DetailType: 'SalesItemLineDetail', Amount: '20.00', SalesItemLineDetail: { ItemRef: { value: itemId }, Qty: 1, UnitPrice: '20.00' } }],
  });

/** Payment txn_1 of 20.00 applied to the invoice. */
export const paymentRecord = (customerId: string, invoiceId: string) =>
  record('Payment', 'txn_1', {
    PaymentRefNum: 'txn_1',
    TxnDate: '2024-03-02',
    TotalAmt: '20.00',
    CustomerRef: { value: customerId },
    Line: [{ Amount: '20.00', LinkedTxn: [{ TxnId: invoiceId, TxnType: 'Invoice' }] }],
  });

/** Customer cb_1 (Acme Corp, USD) and the item Pro plan, written through the sink: the references of the invoices a test writes. */
export async function customerAndItem(sink: Sink, ctx: SinkContext): Promise<{ customer: string; item: string }> {
  const [customer, item] = await sink.write(
    [
      record('Customer', 'cb_1', { DisplayName: 'Acme Corp', Notes: 'cb_1', CurrencyRef: { value: 'USD' } }),
      record('Item', 'Pro plan', { Name: 'Pro plan', Type: 'Service', IncomeAccountRef: { value: '80' }, UnitPrice: '10.00' }),
    ],
    ctx,
  );
  return { customer: written(customer).targetId, item: written(item).targetId };
}

/** A customer, an item, invoice INV-1 and its payment, written through the sink. */
export async function paidInvoice(sink: Sink, ctx: SinkContext) {
  const [c, i] = await sink.write(
    [
      record('Customer', 'cb_1', { DisplayName: 'Acme', Notes: 'cb_1', CurrencyRef: { value: 'USD' } }),
      record('Item', 'plan', { Name: 'Plan', Sku: 'plan', Type: 'Service', IncomeAccountRef: { value: '80' }, UnitPrice: '10.00' }),
    ],
    ctx,
  );
  const customerId = written(c).targetId;
  const itemId = written(i).targetId;
  const invoice = written((await sink.write([invoiceRecord('INV-1', customerId, itemId)], ctx))[0]);
  const payment = written((await sink.write([paymentRecord(customerId, invoice.targetId)], ctx))[0]);
  return { customerId, itemId, invoiceId: invoice.targetId, invoice, payment };
}
