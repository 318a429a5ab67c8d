/**
 * A Chargebee site with business entities (business_entity_id on customers, invoices, credit notes
 * and transactions, as chargebee-node's resource types declare it) into one Acumatica tenant whose
 * branches are the entities: every document and payment lands in its entity's branch, and an entity
 * the `branches` table does not map waits in the dead letters instead of landing in MAIN.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import { type Sandbox, startSandbox } from './e2e-harness.js';
import { checkExactSync, type Rec } from './expect-sync.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const BRANCHES = [
  { BranchID: 'MAIN', BranchName: 'Head Office' },
  { BranchID: 'US', BranchName: 'Acme Inc' },
  { BranchID: 'EU', BranchName: 'Acme GmbH' },
];
const MAP_ENTITIES: [string, string] = ['values:\n      "": MAIN', 'values:\n      "": MAIN\n      acme-us: US\n      acme-eu: EU'];

async function entitySandbox(edits: [string, string][] = []): Promise<Sandbox> {
  s = await startSandbox({ chargebee: { customers: 12, seed: 3 }, acumatica: { seed: { branches: BRANCHES } } });
  s.edit([MAP_ENTITIES, ...edits]);
  return s;
}

/** Puts each customer and its documents in the business entity `entityOf` names; answers customer id → entity. */
function assignEntities(sb: Sandbox, entityOf: (index: number) => string): Map<string, string> {
  const byCustomer = new Map<string, string>();
  sb.cb.state.all('customers').forEach((c, i) => {
    byCustomer.set(c.id, entityOf(i));
    sb.cb.state.insertSeeded('customers', { ...c, business_entity_id: entityOf(i) } as never);
  });
  for (const resource of ['invoices', 'credit_notes', 'transactions'] as const) {
    for (const r of sb.cb.state.all(resource)) {
      const entity = byCustomer.get(String((r as { customer_id?: string }).customer_id));
      if (entity) sb.cb.state.insertSeeded(resource, { ...r, business_entity_id: entity } as never);
    }
  }
  return byCustomer;
}

function deadLetters(sb: Sandbox, stream: string) {
  const store = StateStore.open(sb.statePath);
  try {
    return store.deadLetters('chargebee-to-acumatica', stream);
  } finally {
    store.close();
  }
}

const euOrUs = (i: number) => (i % 2 ? 'acme-eu' : 'acme-us');
const branchOf = (entity: unknown) => (entity === 'acme-eu' ? 'EU' : 'US');

describe('Acumatica example: Chargebee business entities → branches', () => {
  it('an unmapped business entity: its documents are lookup_missing dead letters naming the entity and lookups.branches, none posted to MAIN', async () => {
    const sb = await entitySandbox();
    const byCustomer = assignEntities(sb, (i) => (i === 0 ? 'acme-apac' : euOrUs(i)));
    const apac = [...byCustomer].find(([, e]) => e === 'acme-apac')![0];
    const apacInvoices = sb.cb.state.all('invoices').filter((i) => i.customer_id === apac && !i.deleted && i.status !== 'voided');
    expect(apacInvoices.length).toBeGreaterThan(0);

    const run = await sb.run();

    expect(run.exitCode).toBe(1);
    const posted = sb.acu.state.records('Invoice').filter((d) => apacInvoices.some((i) => i.id === d['CustomerOrder']));
    expect(posted).toEqual([]);
    const letters = deadLetters(sb, 'invoices').filter((l) => apacInvoices.some((i) => i.id === l.sourceId));
    expect(letters).toHaveLength(apacInvoices.length);
    for (const letter of letters) {
      expect(letter.errorCode).toBe('lookup_missing');
      expect(letter.message).toContain("no entry for 'acme-apac' in lookup table 'branches'");
    }
    // No document of any entity is in MAIN, the head office's books.
    const lines = sb.acu.state.records('Invoice').flatMap((d) => (d['Details'] as Rec[]).map((l) => l['Branch']));
    expect(lines.length).toBeGreaterThan(0);
    expect(lines).not.toContain('MAIN');
  }, 60_000);

  it('AR documents: every payment and refund is in the branch of its business entity, applied to its invoices and credit memos as before', async () => {
    const sb = await entitySandbox();
    assignEntities(sb, euOrUs);

    const run = await sb.run();

    expect(run.exitCode, JSON.stringify(run.streams)).toBe(0);
    // Applications of payments to invoices (and refunds to credit memos) of the same branch all land, to the cent.
    const counts = checkExactSync(sb);
    expect(counts.payments).toBeGreaterThan(0);
    expect(counts.refunds).toBeGreaterThan(0);
    const transactions = sb.cb.state.all('transactions').filter((t) => !t.deleted && t.status === 'success');
    const payments = sb.acu.state.records('Payment').filter((p) => p['Type'] === 'Payment' || p['Type'] === 'Customer Refund');
    expect(payments).toHaveLength(transactions.length);
    for (const payment of payments) {
      const txn = transactions.find((t) => t.id === payment['PaymentRef'])!;
      expect([payment['PaymentRef'], payment['Branch'], payment['BranchID']]).toEqual([
        txn.id,
        branchOf(txn.business_entity_id),
        branchOf(txn.business_entity_id),
      ]);
    }
    const invoices = sb.cb.state.all('invoices');
    for (const doc of sb.acu.state.records('Invoice').filter((d) => d['Type'] === 'Invoice')) {
      const invoice = invoices.find((i) => i.id === doc['CustomerOrder'])!;
      expect(new Set((doc['Details'] as Rec[]).map((l) => l['Branch']))).toEqual(new Set([branchOf(invoice.business_entity_id)]));
    }
    // An idle re-run: Acumatica holds each payment's branch as mapped.
    const writes = sb.acu.state.writes.length;
    expect((await sb.run()).exitCode).toBe(0);
    expect(sb.acu.state.writes.length).toBe(writes);
  }, 60_000);

  it('gl_journals: the payment and refund journals carry the BranchID of their business entity, as the invoice journals do', async () => {
    const sb = await entitySandbox([['post_invoices_as: ar_documents', 'post_invoices_as: gl_journals']]);
    assignEntities(sb, euOrUs);

    const run = await sb.run();

    expect(run.exitCode, JSON.stringify(run.streams)).toBe(0);
    const journals = sb.acu.state.records('JournalTransaction');
    const transactions = sb.cb.state.all('transactions').filter((t) => !t.deleted && t.status === 'success');
    expect(transactions.some((t) => t.type === 'refund')).toBe(true);
    for (const txn of transactions) {
      const journal = journals.find((j) => j['Description'] === `Chargebee ${txn.type} ${txn.id}`);
      expect([txn.id, journal?.['BranchID']]).toEqual([txn.id, branchOf(txn.business_entity_id)]);
    }
  }, 60_000);
});
