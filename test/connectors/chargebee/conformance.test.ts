/**
 * Conformance: every distinct request the Chargebee connector sends (source listings on Product
 * Catalog 1.0 and 2.0 sites, incremental re-reads, the sink's invoice check, transaction look-up
 * and record_payment) is captured from end-to-end runs against the fake and checked against
 * Chargebee's own definition of that operation: the per-operation zod schemas of the `chargebee`
 * npm package (esm/schema/<resource>.schema.js, e.g. ListInvoiceBodySchema,
 * RecordPaymentInvoiceBodySchema), with parameters the operation does not define refused.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { intacctGateway } from '../../../connectors/sage-intacct/index.js';
import { loadPipeline } from '../../../engine/config/load.js';
import { silentLogger } from '../../../engine/log.js';
import { factoryInput, runPipeline } from '../../../engine/run/runner.js';
import { startFakeChargebee, type FakeChargebee, type RequestLogEntry } from '../../fakes/chargebee/index.js';
import { checkAgainstVendorSchema, vendorOperation } from '../../fakes/chargebee/vendor-schema.js';
import { tempDir } from '../../e2e/helpers.js';
import { REVERSE, startSandbox, type Sandbox } from '../sage-intacct/e2e-harness.js';
import { intacctInput, sinkContext } from '../sage-intacct/helpers.js';
import { customer, invoice } from '../sage-intacct/scenario.js';
import { writeChargebeeSourcePipeline } from './source-harness.js';

const captured: RequestLogEntry[] = [];
let work: ReturnType<typeof tempDir>;

function sourcePipeline(fake: FakeChargebee, endpoints: readonly string[]): string {
  const v = fake.catalogVersion;
  return writeChargebeeSourcePipeline(fake, join(work.dir, `source-${v}.yaml`), join(work.dir, `out-${v}`), endpoints, `conformance-${v}`);
}

async function runSource(fake: FakeChargebee, endpoints: readonly string[]): Promise<void> {
  const file = sourcePipeline(fake, endpoints);
  const statePath = join(work.dir, `state-${fake.catalogVersion}.db`);
  for (let run = 0; run < 2; run++) {
    // The second run is incremental: it lists with the cursor filter.
    const result = await runPipeline({ connectors: installedConnectors, pipelinePath: file, statePath, env: { KEY: fake.apiKey }, log: silentLogger });
    expect(result.exitCode, JSON.stringify(result.error ?? result.streams)).toBe(0);
  }
}

async function runSink(): Promise<void> {
  const s: Sandbox = await startSandbox();
  try {
    customer(s.cb, 'cust_conf');
    invoice(s.cb, 'inv_conf', 'cust_conf', [{ id: 'l1', amount: 5_000, entityId: 'x', description: 'Open invoice' }]);
    invoice(s.cb, 'inv_conf2', 'cust_conf', [{ id: 'l2', amount: 3_000, entityId: 'x', description: 'Second invoice' }]);
    expect((await s.run()).exitCode).toBe(0);
    const intacctInvoice = [...s.intacct.state.arDocuments.values()].find((d) => d.RECORDID === 'inv_conf')!;
    const [created] = await intacctGateway(intacctInput(s.intacct)).execute([
      {
        controlId: 'clerk',
        name: 'create_arpayment',
        body: {
          customerid: 'cust_conf',
          paymentamount: '20.00',
          bankaccountid: 'BOA',
          refid: 'CHK-CONF',
          datereceived: { year: '2024', month: '03', day: '10' },
          paymentmethod: 'Credit Card',
          arpaymentitem: [{ invoicekey: intacctInvoice.RECORDNO, amount: '20.00' }],
        },
      },
    ]);
    expect(created!.status).toBe('success');
    const reversePath = join(s.dir, 'reverse.yaml');
    writeFileSync(reversePath, readFileSync(REVERSE, 'utf8'));
    const reverse = await runPipeline({ connectors: installedConnectors, pipelinePath: reversePath, statePath: s.statePath, env: s.env, log: silentLogger });
    expect(reverse.exitCode, JSON.stringify(reverse.error ?? reverse.streams)).toBe(0);

    // A write in doubt (a crash after the POST): the sink first looks the payment up by id_at_gateway.
    const loaded = await loadPipeline(reversePath, { connectorsDir: installedConnectors.descriptorsDir, env: s.env, mode: 'run' });
    const sink = installedConnectors.modules['chargebee']!.createSink!(factoryInput(loaded.plan!, 'sink', silentLogger, new AbortController().signal));
    const [adopted] = await sink.write(
      [
        {
          stream: 'offline_payments',
          object: 'offline_payment',
          sourceId: 'doubt',
          deleted: false,
          action: 'upsert',
          contentHash: 'h-doubt',
          data: {
            invoice_id: 'inv_conf2',
            customer_id: 'cust_conf',
            amount: '10.00',
            currency_code: 'USD',
            payment_method: 'cash',
            reference_number: 'R-DOUBT',
            id_at_gateway: 'G-DOUBT',
          },
          previous: { sourceId: 'doubt', sourceVersion: null, contentHash: 'h-doubt', targetId: null, targetVersion: null, pendingWrite: true, updatedAt: 0 },
        },
      ],
      sinkContext(),
    );
    expect(adopted!.status).toBe('created');
    captured.push(...s.cb.requests);
  } finally {
    await s.close();
  }
}

/** `GET /api/v2/invoices/{id} [limit, offset]`: method, path with ids as placeholders, parameter names. */
function shapeOf(entry: RequestLogEntry): string {
  const segments = entry.path.replace(/^\/api\/v2\//, '').split('/');
  const path = segments.map((s, i) => (i % 2 === 1 ? '{id}' : s)).join('/');
  const params = Object.keys(entry.method === 'POST' ? Object.fromEntries(new URLSearchParams(entry.body ?? '')) : entry.query).sort();
  return `${entry.method} /${path} [${params.join(', ')}]`;
}

beforeAll(async () => {
  work = tempDir('ledgersync-cb-conformance-');
  const v2 = await startFakeChargebee({ customers: 30 });
  const v1 = await startFakeChargebee({ customers: 12, catalogVersion: 'v1' });
  try {
    await runSource(v2, ['customers', 'items', 'item_prices', 'coupons', 'subscriptions', 'invoices', 'credit_notes', 'transactions', 'events']);
    await runSource(v1, ['plans', 'addons']);
    captured.push(...v2.requests, ...v1.requests);
  } finally {
    await v2.close();
    await v1.close();
  }
  await runSink();
}, 120_000);
afterAll(() => work.cleanup());

describe('Chargebee requests against the chargebee package schemas', () => {
  it('every request was answered, and names the Chargebee operation it is', () => {
    expect(captured.length).toBeGreaterThan(20);
    expect(captured.filter((r) => r.status !== 200).map(shapeOf)).toEqual([]);
    expect(captured.filter((r) => r.operation === undefined).map(shapeOf)).toEqual([]);
  });

  it('covers list, incremental list, look-up, retrieve and create (record_payment)', () => {
    const operations = new Set(captured.map((r) => r.operation));
    for (const op of [
      'Configuration.list',
      'Customer.list',
      'Item.list',
      'ItemPrice.list',
      'Plan.list',
      'Addon.list',
      'Coupon.list',
      'Subscription.list',
      'Invoice.list',
      'CreditNote.list',
      'Transaction.list',
      'Event.list',
      'Invoice.retrieve',
      'Invoice.recordPayment',
    ])
      expect(operations, op).toContain(op);
    const shapes = new Set(captured.map(shapeOf));
    expect([...shapes].some((s) => s.startsWith('GET /invoices [') && s.includes('updated_at[after]'))).toBe(true);
    expect([...shapes].some((s) => s.startsWith('GET /transactions [') && s.includes('id_at_gateway[is]'))).toBe(true);
  });

  it('each distinct request shape passes its operation schema, checked again here', async () => {
    const seen = new Map<string, RequestLogEntry>();
    for (const entry of captured) if (!seen.has(shapeOf(entry))) seen.set(shapeOf(entry), entry);
    for (const [shape, entry] of seen) {
      const segments = entry.path.replace(/^\/api\/v2\//, '').split('/');
      const operation = await vendorOperation(entry.method, segments);
      expect(operation, shape).toBeDefined();
      expect(operation!.source, shape).toBe(entry.operationSource);
      const params = entry.method === 'POST' ? new URLSearchParams(entry.body ?? '') : new URLSearchParams(entry.query);
      expect(() => checkAgainstVendorSchema(operation!, params), `${shape} against ${operation!.source}`).not.toThrow();
    }
    expect(seen.size).toBeGreaterThanOrEqual(15);
  });
});
