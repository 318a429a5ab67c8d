/**
 * A Chargebee site with two business entities, each with its own QuickBooks company: one copy of the
 * example per entity (options.business_entity_id), both over the same site and state file. Each
 * company gets its own entity's customers and documents only; one without an entity is posted
 * nowhere; and an entity's records never take back what an earlier run posted (removed_parts).
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
import { startFakeQbo, type Entity, type FakeQbo } from '../../fakes/qbo/index.js';
import { assignEntities, entityPipelineCopy, idsOf } from '../../pipelines/business-entity-site.js';
import { qboEnv } from './e2e-harness.js';

const EXAMPLE = 'chargebee-to-quickbooks';
let cb: FakeChargebee | undefined;
let companies: FakeQbo[] = [];
let dir: string | undefined;
afterEach(async () => {
  await Promise.all([cb?.close(), ...companies.map((q) => q.close())]);
  if (dir) rmSync(dir, { recursive: true, force: true });
  cb = undefined;
  companies = [];
  dir = undefined;
});

interface Company {
  qbo: FakeQbo;
  pipelinePath: string;
  run(): ReturnType<typeof runPipeline>;
}

async function site(customers: number): Promise<FakeChargebee> {
  cb = await startFakeChargebee({ customers, seed: 3 });
  dir = mkdtempSync(join(tmpdir(), 'ledgersync-qbo-entities-'));
  return cb;
}

/** One QBO company and the copy of the example for `entity`, both pipelines keeping state in one file. */
async function company(entity: string, edit?: (text: string) => string): Promise<Company> {
  const qbo = await startFakeQbo();
  companies.push(qbo);
  const pipelinePath = entityPipelineCopy(dir!, EXAMPLE, entity, edit);
  const env = qboEnv(cb!, qbo);
  const statePath = join(dir!, 'state.db');
  return { qbo, pipelinePath, run: () => runPipeline({ connectors: installedConnectors, pipelinePath, statePath, env, log: silentLogger }) };
}

const values = (qbo: FakeQbo, object: string, field: string) => new Set(qbo.state.entities(object).map((e: Entity) => String(e[field])));
const subset = (small: Set<string>, big: Set<string>) => [...small].filter((v) => !big.has(v));

function expectOnlyEntity(c: Company, entity: string): void {
  const customers = values(c.qbo, 'Customer', 'Notes');
  expect(subset(customers, idsOf(cb!, 'customers', entity))).toEqual([]);
  expect(subset(idsOf(cb!, 'customers', entity, true), customers)).toEqual([]);
  expect(values(c.qbo, 'Invoice', 'DocNumber')).toEqual(idsOf(cb!, 'invoices', entity, true));
  const memos = values(c.qbo, 'CreditMemo', 'DocNumber');
  expect(subset(memos, idsOf(cb!, 'credit_notes', entity))).toEqual([]);
  expect(subset(idsOf(cb!, 'credit_notes', entity, true), memos)).toEqual([]);
  const transactions = idsOf(cb!, 'transactions', entity);
  expect(subset(values(c.qbo, 'JournalEntry', 'DocNumber'), transactions)).toEqual([]);
  const otherTransactions = [...new Set(cb!.state.all('transactions').map((t) => t.id))].filter((id) => !transactions.has(id));
  expect([...values(c.qbo, 'Payment', 'PaymentRefNum')].filter((ref) => otherTransactions.includes(ref))).toEqual([]);
  // Every document's customer is one of the company's.
  const customerIds = new Set(c.qbo.state.entities('Customer').map((e) => String(e['Id'])));
  for (const object of ['Invoice', 'CreditMemo', 'Payment'])
    for (const doc of c.qbo.state.entities(object))
      expect(customerIds.has(String((doc['CustomerRef'] as { value: string }).value)), `${object} ${doc['DocNumber'] ?? doc['PaymentRefNum']}`).toBe(true);
}

function deadLetters(pipeline: string) {
  const store = StateStore.open(join(dir!, 'state.db'));
  try {
    return store.deadLetters(pipeline);
  } finally {
    store.close();
  }
}

describe('QuickBooks example: one pipeline per Chargebee business entity', () => {
  it("two pipelines over one site: each company gets its own entity's customers, invoices, credit memos, payments and refunds, nothing of the other's", async () => {
    await site(12);
    assignEntities(cb!, (i) => (i % 2 ? 'acme-eu' : 'acme-us'));
    const us = await company('acme-us');
    const eu = await company('acme-eu');

    const usRun = await us.run();
    const euRun = await eu.run();

    expect(usRun.exitCode, JSON.stringify(usRun.streams)).toBe(0);
    expect(euRun.exitCode, JSON.stringify(euRun.streams)).toBe(0);
    expect(us.qbo.state.entities('Invoice').length).toBeGreaterThan(0);
    expect(eu.qbo.state.entities('Invoice').length).toBeGreaterThan(0);
    expect(us.qbo.state.entities('Payment').length).toBeGreaterThan(0);
    expectOnlyEntity(us, 'acme-us');
    expectOnlyEntity(eu, 'acme-eu');
    // Together they posted every invoice of the site once.
    const all = cb!.state.all('invoices').filter((i) => !i.deleted).length;
    expect(us.qbo.state.entities('Invoice').length + eu.qbo.state.entities('Invoice').length).toBe(all);
    // An idle re-run writes nothing in either company.
    const writes = [us.qbo.state.writes.length, eu.qbo.state.writes.length];
    expect((await us.run()).exitCode).toBe(0);
    expect((await eu.run()).exitCode).toBe(0);
    expect([us.qbo.state.writes.length, eu.qbo.state.writes.length]).toEqual(writes);
  }, 120_000);

  it('a customer and documents with no business entity are posted in neither company: dead letters in both, naming the option', async () => {
    await site(12);
    const byCustomer = assignEntities(cb!, (i) => (i === 0 ? undefined : i % 2 ? 'acme-eu' : 'acme-us'));
    const orphan = [...byCustomer].find(([, e]) => e === undefined)![0];
    const orphanInvoices = cb!.state.all('invoices').filter((i) => i.customer_id === orphan && !i.deleted);
    expect(orphanInvoices.length).toBeGreaterThan(0);
    const us = await company('acme-us');
    const eu = await company('acme-eu');

    expect((await us.run()).exitCode).toBe(1);
    expect((await eu.run()).exitCode).toBe(1);

    for (const c of [us, eu]) {
      expect(values(c.qbo, 'Customer', 'Notes').has(orphan)).toBe(false);
      expect(subset(new Set(orphanInvoices.map((i) => i.id)), values(c.qbo, 'Invoice', 'DocNumber')).length).toBe(orphanInvoices.length);
    }
    for (const entity of ['acme-us', 'acme-eu']) {
      const letters = deadLetters(`${EXAMPLE}-${entity}`);
      const customer = letters.find((l) => l.stream === 'customers' && l.sourceId === orphan)!;
      expect(customer.message).toContain(`no business_entity_id: not known to be business entity ${entity}'s`);
      expect(letters.filter((l) => l.stream === 'invoices' && orphanInvoices.some((i) => i.id === l.sourceId))).toHaveLength(orphanInvoices.length);
    }
    // The others are posted as before.
    expectOnlyEntity(us, 'acme-us');
  }, 120_000);

  it("a pipeline given its business entity after posting the whole site leaves the other entity's credit-note applications as they are (removed_parts does not void them)", async () => {
    await site(40);
    const notes = cb!.state.all('credit_notes').filter((n) => !n.deleted && n.status !== 'voided' && (n.allocations ?? []).length > 0);
    const [euNote, usNote] = [notes[0]!, notes.find((n) => n.customer_id !== notes[0]!.customer_id)!];
    expect(usNote).toBeDefined();
    assignEntities(cb!, (_i, id) => (id === euNote.customer_id ? 'acme-eu' : 'acme-us'));
    // Copied once, run for the whole site before it had its entity set: every note applied in this company.
    const us = await company('acme-us', (t) => t.replace('  business_entity_id: acme-us\n', '  business_entity_id: ""\n'));
    expect((await us.run()).exitCode).toBe(0);
    const refsOf = (note: string) =>
      us.qbo.state
        .entities('Payment')
        .filter((p) => String(p['PrivateNote']).startsWith(`Chargebee credit note ${note} applied`))
        .map((p) => p['PaymentRefNum']);
    const refs = { eu: refsOf(euNote.id), us: refsOf(usNote.id) };
    expect(refs.eu.length).toBeGreaterThan(0);
    expect(refs.us.length).toBeGreaterThan(0);
    const statuses = (of: unknown[]) =>
      new Set(
        us.qbo.state
          .entities('Payment')
          .filter((p) => of.includes(p['PaymentRefNum']))
          .map((p) => p['TxnStatus'] ?? 'Open'),
      );

    // The entity is set; then Chargebee removes both notes' allocations.
    entityPipelineCopy(dir!, EXAMPLE, 'acme-us');
    cb!.state.touch('credit_notes', euNote.id, { allocations: [] } as never);
    cb!.state.touch('credit_notes', usNote.id, { allocations: [] } as never);
    const run = await us.run();

    expect(run.exitCode, JSON.stringify(run.streams)).toBe(0);
    // Its own entity's application is voided, as Chargebee says; the other entity's is not this pipeline's to take back.
    expect(statuses(refs.us)).toEqual(new Set(['Voided']));
    expect(statuses(refs.eu)).toEqual(new Set(['Open']));
  }, 180_000);
});
