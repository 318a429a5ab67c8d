/**
 * A Chargebee site with two business entities, each posted by its own copy of the example
 * (options.business_entity_id) into its own Intacct company, both over the same site and state
 * file: each company gets its own entity's customers and documents only, and a pipeline never
 * takes back (removed_parts) applications of another entity that an earlier run posted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { StateStore } from '../../../engine/state/store.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { startFakeIntacct, type FakeIntacct } from '../../fakes/intacct/index.js';
import { assignEntities, entityPipelineCopy, idsOf } from '../../pipelines/business-entity-site.js';
import { intacctEnv } from './e2e-harness.js';
import { customer, invoice, payment } from './scenario.js';

const EXAMPLE = 'chargebee-to-intacct';
let cb: FakeChargebee | undefined;
let companies: FakeIntacct[] = [];
let dir: string | undefined;
afterEach(async () => {
  await Promise.all([cb?.close(), ...companies.map((c) => c.close())]);
  if (dir) rmSync(dir, { recursive: true, force: true });
  cb = undefined;
  companies = [];
  dir = undefined;
});

interface Company {
  intacct: FakeIntacct;
  run(): ReturnType<typeof runPipeline>;
}

/** The fake site bills in five currencies: the companies are multi-currency; test runs back off in milliseconds. */
const forTest = (text: string) =>
  text
    .replace('  multi_currency: false\n', '  multi_currency: true\n')
    .replace('  connector: sage-intacct\n', '  connector: sage-intacct\n  retry: { base_delay_ms: 5, max_delay_ms: 50 }\n');

async function site(): Promise<FakeChargebee> {
  cb = await startFakeChargebee({ customers: 12, seed: 5 });
  dir = mkdtempSync(join(tmpdir(), 'ledgersync-intacct-entities-'));
  return cb;
}

async function company(entity: string, edit: (text: string) => string = (t) => t): Promise<Company> {
  const intacct = await startFakeIntacct();
  companies.push(intacct);
  const pipelinePath = entityPipelineCopy(dir!, EXAMPLE, entity, (t) => edit(forTest(t)));
  const env = intacctEnv(cb!, intacct);
  const statePath = join(dir!, 'state.db');
  return { intacct, run: () => runPipeline({ connectors: installedConnectors, pipelinePath, statePath, env, log: silentLogger }) };
}

function deadLetters(pipeline: string, stream: string) {
  const store = StateStore.open(join(dir!, 'state.db'));
  try {
    return store.deadLetters(pipeline, stream);
  } finally {
    store.close();
  }
}

const outside = (ids: Iterable<string>, allowed: Set<string>) => [...ids].filter((id) => !allowed.has(id));

function expectOnlyEntity(c: Company, entity: string): void {
  const state = c.intacct.state;
  const customers = idsOf(cb!, 'customers', entity);
  expect(outside(state.customers.keys(), customers)).toEqual([]);
  expect(outside(idsOf(cb!, 'customers', entity, true), new Set(state.customers.keys()))).toEqual([]);
  const invoices = idsOf(cb!, 'invoices', entity);
  const notes = idsOf(cb!, 'credit_notes', entity);
  const transactions = idsOf(cb!, 'transactions', entity);
  const documents = [...state.arDocuments.values()];
  expect(
    outside(
      documents.filter((d) => d.kind === 'invoice' && !d.RECORDID.startsWith('refund_')).map((d) => d.RECORDID),
      invoices,
    ),
  ).toEqual([]);
  expect(
    outside(
      documents.filter((d) => d.RECORDID.startsWith('refund_')).map((d) => d.RECORDID.slice('refund_'.length)),
      transactions,
    ),
  ).toEqual([]);
  expect(
    outside(
      documents.filter((d) => d.kind === 'adjustment').map((d) => d.RECORDID),
      notes,
    ),
  ).toEqual([]);
  expect(
    outside(
      [...state.arPayments.values()].map((p) => p.DOCNUMBER),
      transactions,
    ),
  ).toEqual([]);
  expect(
    outside(
      [...state.bills.values()].map((b) => b.RECORDID.slice('bill_'.length)),
      transactions,
    ),
  ).toEqual([]);
  // Every AR document and payment is of one of the company's customers.
  for (const d of [...documents, ...state.arPayments.values()]) expect(customers.has(d.CUSTOMERID), d.RECORDNO).toBe(true);
}

describe('Sage Intacct example: one pipeline per Chargebee business entity', () => {
  it("two pipelines over one site: each company gets its own entity's customers, invoices, adjustments, payments and refunds, nothing of the other's", async () => {
    await site();
    assignEntities(cb!, (i) => (i % 2 ? 'acme-eu' : 'acme-us'));
    const us = await company('acme-us');
    const eu = await company('acme-eu');

    const usRun = await us.run();
    const euRun = await eu.run();

    expect(usRun.exitCode, JSON.stringify(usRun.streams)).toBe(0);
    expect(euRun.exitCode, JSON.stringify(euRun.streams)).toBe(0);
    for (const c of [us, eu]) {
      expect([...c.intacct.state.arDocuments.values()].filter((d) => d.kind === 'invoice').length).toBeGreaterThan(0);
      expect(c.intacct.state.arPayments.size).toBeGreaterThan(0);
    }
    expectOnlyEntity(us, 'acme-us');
    expectOnlyEntity(eu, 'acme-eu');
    // Every customer of the site is in exactly one company.
    const live = cb!.state.all('customers').filter((c) => !c.deleted).length;
    expect(us.intacct.state.customers.size + eu.intacct.state.customers.size).toBe(live);
  }, 120_000);

  it("a pipeline given its business entity after posting the whole site leaves the other entity's payment applications as they are (no void-by-hand dead letter)", async () => {
    await site();
    const line = { id: 'l1', amount: 1_000, entityId: 'x', description: 'A' };
    for (const entity of ['us', 'eu']) {
      customer(cb!, `cust_${entity}`);
      invoice(cb!, `inv_${entity}`, `cust_${entity}`, [line], { paid: 1_000 });
      payment(cb!, `txn_${entity}`, `cust_${entity}`, 1_000, [{ invoiceId: `inv_${entity}`, amount: 1_000 }]);
    }
    assignEntities(cb!, (_i, id) => (id === 'cust_eu' ? 'acme-eu' : 'acme-us'));
    // Copied once and run for the whole site before its entity was set: both payments applied here.
    const us = await company('acme-us', (t) => t.replace('  business_entity_id: acme-us\n', '  business_entity_id: ""\n'));
    expect((await us.run()).exitCode).toBe(0);
    const paymentKey = (id: string) => [...us.intacct.state.arPayments.values()].find((p) => p.DOCNUMBER === id)!.RECORDNO;
    const applied = (id: string) => us.intacct.state.applications.filter((a) => a.PAYMENTKEY === paymentKey(id)).length;
    expect([applied('txn_us'), applied('txn_eu')]).toEqual([1, 1]);

    // The entity is set; then Chargebee takes both payments off their invoices.
    entityPipelineCopy(dir!, EXAMPLE, 'acme-us', forTest);
    for (const entity of ['us', 'eu']) {
      cb!.state.touch('invoices', `inv_${entity}`, { status: 'payment_due', amount_paid: 0, amount_due: 1_000, linked_payments: [] } as never);
      cb!.state.touch('transactions', `txn_${entity}`, { linked_invoices: [], amount_unused: 1_000 } as never);
    }
    await us.run();

    // Its own entity's application is to be reversed by hand, as Chargebee says; the other entity's is not this pipeline's.
    const letters = deadLetters(`${EXAMPLE}-acme-us`, 'payment_applications');
    expect(letters.map((l) => [l.sourceId, l.errorCode])).toEqual([['txn_us', 'intacct_void_by_hand']]);
    expect(applied('txn_eu')).toBe(1);
  }, 120_000);
});
