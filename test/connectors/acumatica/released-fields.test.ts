/**
 * Fields a released document keeps (descriptor `settings.fixed_once_released`, connectors/acumatica/released.ts).
 *
 * The previous release's example sent payments and refunds without `Branch` (Acumatica put them in
 * the user's branch, MAIN); this one sends `"Branch": $branch`. On a site whose business entities
 * map to other branches, the full refresh the README advises after adopting a newer example (and any
 * later Chargebee change to such a payment) used to try to move released payments to another
 * branch, which Acumatica refuses: dead letters no run settled, while `plan` predicted plain updates.
 * Now the branch of a released document is left as Acumatica holds it, with a warning naming the
 * document, the field, what Acumatica holds and what was mapped; `plan` does the same, and compares
 * with the document Acumatica holds, as the run does.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { Contract } from '../../../connectors/acumatica/contract.js';
import { withoutFixedFields } from '../../../connectors/acumatica/released.js';
import { createLogger } from '../../../engine/log.js';
import { planPipeline } from '../../../engine/run/change-plan.js';
import { StateStore } from '../../../engine/state/store.js';
import { type Sandbox, startSandbox } from './e2e-harness.js';

let s: Sandbox | undefined;
afterEach(async () => {
  await s?.close();
  s = undefined;
});

const connectorDir = join(import.meta.dirname, '..', '..', '..', 'connectors', 'acumatica');
const BRANCHES = [
  { BranchID: 'MAIN', BranchName: 'Head Office' },
  { BranchID: 'US', BranchName: 'Acme Inc' },
  { BranchID: 'EU', BranchName: 'Acme GmbH' },
];
const MAP_ENTITIES: [string, string] = ['values:\n      "": MAIN', 'values:\n      "": MAIN\n      acme-us: US\n      acme-eu: EU'];
const PAYMENT_BRANCH = '            "CustomerID": $ref("customers", customer_id),\n            "Branch": $branch,\n';
const WITHOUT_BRANCH = '            "CustomerID": $ref("customers", customer_id),\n';

/** A log whose warnings a test reads. */
function warnings(): { lines: string[]; log: ReturnType<typeof createLogger> } {
  const lines: string[] = [];
  return { lines, log: createLogger({ level: 'warn', write: (line) => lines.push(line) }) };
}

/**
 * A site synced by the previous release's example (payments and refunds without Branch), then given
 * this release's example. With `entities`, customers and their documents are in business entities
 * acme-us and acme-eu, mapped to branches US and EU.
 */
async function upgradedSite(options: { entities: boolean; releaseDocuments?: boolean }): Promise<Sandbox> {
  const sb = await startSandbox({ chargebee: { customers: 12, seed: 3 }, acumatica: { seed: { branches: BRANCHES } } });
  s = sb;
  if (options.entities) {
    sb.edit([MAP_ENTITIES]);
    const byCustomer = new Map<string, string>();
    sb.cb.state.all('customers').forEach((c, i) => {
      byCustomer.set(c.id, i % 2 ? 'acme-eu' : 'acme-us');
      sb.cb.state.insertSeeded('customers', { ...c, business_entity_id: byCustomer.get(c.id) } as never);
    });
    for (const resource of ['invoices', 'credit_notes', 'transactions'] as const)
      for (const r of sb.cb.state.all(resource) as Array<{ customer_id?: string }>) {
        const entity = byCustomer.get(String(r.customer_id));
        if (entity) sb.cb.state.insertSeeded(resource, { ...r, business_entity_id: entity } as never);
      }
  }
  if (options.releaseDocuments === false) sb.edit([['release_documents: true', 'release_documents: false']]);
  const current = readFileSync(sb.pipelinePath, 'utf8');
  expect(current.split(PAYMENT_BRANCH).length - 1).toBe(2);
  writeFileSync(sb.pipelinePath, current.replaceAll(PAYMENT_BRANCH, WITHOUT_BRANCH));
  const before = await sb.run();
  expect(before.exitCode, JSON.stringify(before.deadLetterCauses)).toBe(0);
  writeFileSync(sb.pipelinePath, current);
  return sb;
}

const plan = (sb: Sandbox, log = createLogger({ level: 'error', write: () => {} })) =>
  planPipeline({ connectors: installedConnectors, pipelinePath: sb.pipelinePath, statePath: sb.statePath, env: sb.env, log, fullRefresh: true });

function deadLetters(sb: Sandbox): string[] {
  const store = StateStore.open(sb.statePath);
  try {
    return store.deadLetters('chargebee-to-acumatica').map((l) => `${l.stream} ${l.sourceId}: ${l.errorCode} ${l.message}`);
  } finally {
    store.close();
  }
}

/** Acumatica's released payments and refunds. */
function releasedPayments(sb: Sandbox): Record<string, unknown>[] {
  return sb.acu.state
    .records('Payment')
    .filter((p) => ['Payment', 'Customer Refund'].includes(String(p['Type'])) && !['Balanced', 'On Hold'].includes(String(p['Status'])));
}

/** A successful payment of a customer in acme-us (branch US), released in Acumatica in MAIN. */
function usPayment(sb: Sandbox): { id: string; ref: string } {
  const txn = (sb.cb.state.all('transactions') as Array<Record<string, unknown>>).find(
    (t) => t['type'] === 'payment' && t['status'] === 'success' && t['business_entity_id'] === 'acme-us',
  )!;
  const doc = releasedPayments(sb).find((p) => p['PaymentRef'] === txn['id'])!;
  expect(doc, 'the payment was posted and released by the previous release').toBeDefined();
  return { id: String(txn['id']), ref: String(doc['ReferenceNbr']) };
}

describe('Acumatica: a released document keeps its branch', () => {
  it('run --full-refresh after adopting the newer example: released payments and refunds stay in MAIN, skipped with a warning, no dead letter', async () => {
    const sb = await upgradedSite({ entities: true });
    const payment = usPayment(sb);
    const { lines, log } = warnings();

    const refresh = await sb.run({ fullRefresh: true, log });

    expect(deadLetters(sb)).toEqual([]);
    expect([refresh.exitCode, refresh.streams['payments']!.failed, refresh.streams['refunds']!.failed]).toEqual([0, 0, 0]);
    expect(refresh.streams['payments']!.updated).toBe(0);
    expect(new Set(releasedPayments(sb).map((p) => p['Branch']))).toEqual(new Set(['MAIN']));
    const warning = lines.find((line) => line.includes(`Payment ${payment.ref} (source record ${payment.id})`));
    expect(warning).toContain("keeps Branch 'MAIN' (the mapping gives 'US')");
    expect(warning).toContain('released');
    // Nothing is left for a later run: it neither writes nor warns again.
    const writes = sb.acu.state.writes.length;
    const quiet = warnings();
    expect((await sb.run({ log: quiet.log })).exitCode).toBe(0);
    expect(sb.acu.state.writes.length).toBe(writes);
    expect(quiet.lines.filter((line) => line.includes('keeps Branch'))).toEqual([]);
  }, 60_000);

  it('a later Chargebee change to such a payment updates what changed and keeps its branch', async () => {
    const sb = await upgradedSite({ entities: true });
    const payment = usPayment(sb);
    sb.cb.state.touch('transactions', payment.id, { reference_number: 'REF-CHANGED' } as never);
    const { lines, log } = warnings();

    const run = await sb.run({ log });

    expect(deadLetters(sb)).toEqual([]);
    expect(run.streams['payments']!.updated).toBe(1);
    const doc = sb.acu.state.record('Payment', 'Payment', payment.ref)!;
    expect(doc['Description']).toContain('REF-CHANGED');
    expect([doc['Branch'], doc['BranchID']]).toEqual(['MAIN', 'MAIN']);
    expect(lines.some((line) => line.includes(`Payment ${payment.ref}`) && line.includes("keeps Branch 'MAIN' (the mapping gives 'US')"))).toBe(true);
  }, 60_000);

  it('plan --full-refresh predicts the run: no failure, no update of a released payment for its branch, and the same warning', async () => {
    const sb = await upgradedSite({ entities: true });
    const payment = usPayment(sb);
    const { lines, log } = warnings();

    const report = await plan(sb, log);

    expect(report.exitCode).toBe(0);
    for (const stream of ['payments', 'refunds']) expect([stream, report.streams[stream]!.fail, report.streams[stream]!.update]).toEqual([stream, 0, 0]);
    expect(
      lines.some(
        (line) => line.includes(`Payment ${payment.ref} (source record ${payment.id})`) && line.includes("keeps Branch 'MAIN' (the mapping gives 'US')"),
      ),
    ).toBe(true);
  }, 60_000);

  it('a payment not released yet is moved to the mapped branch, without a warning', async () => {
    const sb = await upgradedSite({ entities: true, releaseDocuments: false });
    const branchOf = new Map(
      (sb.cb.state.all('transactions') as Array<Record<string, unknown>>)
        .filter((t) => t['type'] === 'payment' && t['status'] === 'success')
        .map((t) => [String(t['id']), t['business_entity_id'] === 'acme-eu' ? 'EU' : 'US']),
    );
    const unreleased = sb.acu.state.records('Payment').filter((p) => branchOf.has(String(p['PaymentRef'])));
    expect(unreleased.length).toBeGreaterThan(0);
    expect(unreleased.map((p) => [p['Status'], p['Branch']])).toEqual(unreleased.map(() => ['Balanced', 'MAIN']));
    const { lines, log } = warnings();

    const refresh = await sb.run({ fullRefresh: true, log });

    expect(deadLetters(sb)).toEqual([]);
    expect(refresh.streams['payments']!.updated).toBe(unreleased.length);
    for (const p of unreleased) {
      const now = sb.acu.state.record('Payment', 'Payment', String(p['ReferenceNbr']))!;
      expect([now['PaymentRef'], now['Branch']]).toEqual([p['PaymentRef'], branchOf.get(String(p['PaymentRef']))]);
    }
    expect(lines.filter((line) => line.includes('keeps Branch'))).toEqual([]);
  }, 60_000);
});

describe('Acumatica plan compares with the document Acumatica holds, as the run does', () => {
  it('single site after adopting the newer example: plan --full-refresh lists no update where the run writes nothing', async () => {
    const sb = await upgradedSite({ entities: false });
    const report = await plan(sb);
    const writes = sb.acu.state.writes.length;

    const refresh = await sb.run({ fullRefresh: true });

    expect(refresh.exitCode).toBe(0);
    expect(sb.acu.state.writes.length - writes).toBe(0);
    expect(report.changes.filter((c) => c.action === 'update').map((c) => `${c.stream} ${c.sourceId}`)).toEqual([]);
    for (const [stream, counts] of Object.entries(report.streams)) expect([stream, counts.update]).toEqual([stream, refresh.streams[stream]!.updated]);
  }, 60_000);
});

describe('fixed_once_released', () => {
  const contract = Contract.load(connectorDir);
  const options = { caseInsensitive: new Set<string>(), keepExtraRows: new Set<string>() };

  it('names fields of the endpoint contract, at least the Payment branch', () => {
    const descriptor = parse(readFileSync(join(connectorDir, 'connector.yaml'), 'utf8')) as { settings: { fixed_once_released: Record<string, string[]> } };
    const fixed = descriptor.settings.fixed_once_released;
    expect(fixed['Payment']).toEqual(expect.arrayContaining(['Branch', 'BranchID']));
    for (const [entity, paths] of Object.entries(fixed))
      for (const path of paths) {
        const [field, inner] = path.split('.') as [string, string | undefined];
        const spec = contract.fields(entity)[field];
        expect(spec, `${entity}.${path}`).toBeDefined();
        if (inner) expect(contract.fields((spec as { detail: string }).detail)[inner], `${entity}.${path}`).toBeDefined();
      }
  });

  it('leaves out a differing field of the rows Acumatica holds; a new row keeps its value, a field that agrees stays', () => {
    const mapped = { Customer: 'C1', Details: [{ Branch: 'US', Amount: '10' }, { Branch: 'main' }, { Branch: 'US', Amount: '5' }] };
    const current = {
      Customer: 'C1',
      Details: [
        { id: 'a', Branch: 'MAIN', Amount: 10 },
        { id: 'b', Branch: 'MAIN' },
      ],
    };
    const { data, kept } = withoutFixedFields(contract, 'Invoice', mapped, current, ['LinkBranch', 'Details.Branch'], options);
    expect(kept).toEqual([
      { path: 'Details[0].Branch', held: 'MAIN', mapped: 'US' },
      { path: 'Details[1].Branch', held: 'MAIN', mapped: 'main' },
    ]);
    expect(data).toEqual({ Customer: 'C1', Details: [{ Amount: '10' }, {}, { Branch: 'US', Amount: '5' }] });
    expect(withoutFixedFields(contract, 'Payment', { Branch: 'MAIN' }, { Branch: 'MAIN' }, ['Branch', 'BranchID'], options)).toEqual({
      data: { Branch: 'MAIN' },
      kept: [],
    });
  });
});
