/**
 * Two Chargebee sites (US and EU, each numbering its invoices 20001…) posted into one Acumatica
 * tenant by two copies of the example pipeline, one state file. A document the EU pipeline finds by
 * its key but that is the US customer's is refused (acumatica_key_collision), never adopted; with
 * `options.document_key_prefix` the EU pipeline's documents are keyed apart and posted as its own.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { StateStore } from '../../../engine/state/store.js';
import { type FakeChargebee, startFakeChargebee } from '../../fakes/chargebee/index.js';
import { type Sandbox, startSandbox } from './e2e-harness.js';
import type { Rec } from './expect-sync.js';

const US = 'chargebee-to-acumatica';
const EU = 'chargebee-eu-to-acumatica';

let s: Sandbox | undefined;
let eu: FakeChargebee | undefined;
afterEach(async () => {
  await eu?.close();
  await s?.close();
  eu = s = undefined;
});

/** The US pipeline (the sandbox's) and an EU copy with its own name, customer prefix, branch and, if given, document key prefix. */
async function twoSites(documentKeyPrefix?: string) {
  s = await startSandbox({
    chargebee: { customers: 12, seed: 1, site: 'acme-us' },
    acumatica: {
      seed: {
        branches: [
          { BranchID: 'MAIN', BranchName: 'Acme Inc' },
          { BranchID: 'EU', BranchName: 'Acme GmbH' },
        ],
      },
    },
  });
  eu = await startFakeChargebee({ customers: 12, seed: 2, site: 'acme-eu' });
  const euPath = join(s.dir, `${EU}.yaml`);
  let text = readFileSync(s.pipelinePath, 'utf8')
    .replace(`name: ${US}`, `name: ${EU}`)
    .replace('customer_id_prefix: ""', 'customer_id_prefix: "EU-"')
    .replace('"": MAIN', '"": EU');
  if (documentKeyPrefix !== undefined) text = text.replace('document_key_prefix: ""', `document_key_prefix: "${documentKeyPrefix}"`);
  writeFileSync(euPath, text);
  const euEnv = { ...s.env, CHARGEBEE_SITE: eu.site, CHARGEBEE_API_KEY: eu.apiKey, CHARGEBEE_BASE_URL: eu.url };
  const sb = s;
  const site = eu;
  const runEu = () => runPipeline({ connectors: installedConnectors, pipelinePath: euPath, statePath: sb.statePath, env: euEnv, log: silentLogger });
  /** EU invoices whose id the US site has too. */
  const overlapping = () =>
    site.state
      .all('invoices')
      .filter(
        (i) => !i.deleted && i.status !== 'voided' && sb.cb.state.get('invoices', i.id) !== undefined && sb.cb.state.get('invoices', i.id)!.status !== 'voided',
      );
  return { sb, site, runEu, overlapping };
}

function ledger<T>(sb: Sandbox, read: (store: StateStore) => T): T {
  const store = StateStore.open(sb.statePath);
  try {
    return read(store);
  } finally {
    store.close();
  }
}

describe('Acumatica: one pipeline per Chargebee site into one tenant', () => {
  it("without a key prefix, the EU invoice 20001 is refused naming the US pipeline's document and the fix, never adopted; the US document is untouched", async () => {
    const { sb, runEu, overlapping } = await twoSites();
    expect((await sb.run()).exitCode).toBe(0);
    const usDocuments = structuredClone(sb.acu.state.records('Invoice'));
    const shared = overlapping();
    expect(shared.length).toBeGreaterThan(0);

    const run = await runEu();

    expect(run.exitCode).toBe(1);
    expect(run.streams['invoices']!.skipped).toBe(0);
    const letters = ledger(sb, (store) => store.deadLetters(EU, 'invoices'));
    for (const invoice of shared) {
      expect(
        ledger(sb, (store) => store.targetIdOf(EU, 'invoices', invoice.id)),
        `EU invoice ${invoice.id}`,
      ).toBeUndefined();
      const letter = letters.find((l) => l.sourceId === invoice.id)!;
      const usDocument = usDocuments.find((d) => d['Type'] === 'Invoice' && d['CustomerOrder'] === invoice.id)!;
      expect(letter.errorCode).toBe('acumatica_key_collision');
      expect(letter.message).toContain(`source record ${invoice.id} (Customer EU-${invoice.customer_id!.toUpperCase()})`);
      expect(letter.message).toContain(`CustomerOrder '${invoice.id}'`);
      expect(letter.message).toContain(`Invoice ${String(usDocument['ReferenceNbr'])}`);
      expect(letter.message).toContain(`customer ${String(usDocument['Customer'])}'s`);
      expect(letter.fix).toContain('options.document_key_prefix');
    }
    // The US pipeline's documents are as it left them; no EU payment was applied to them.
    const after = sb.acu.state.records('Invoice').filter((d) => usDocuments.some((u) => u['ReferenceNbr'] === d['ReferenceNbr'] && u['Type'] === d['Type']));
    expect(after).toEqual(usDocuments);
    const euPayments = sb.acu.state.records('Payment').filter((p) => String(p['CustomerID']).startsWith('EU-'));
    const usNumbers = new Set(usDocuments.map((d) => d['ReferenceNbr']));
    expect(euPayments.flatMap((p) => ((p['ApplicationHistory'] as Rec[]) ?? []).map((h) => h['AdjustedRefNbr'])).filter((n) => usNumbers.has(n))).toEqual([]);
  }, 60_000);

  it('with options.document_key_prefix EU-, every EU document is posted as its own, in branch EU, and an idle re-run of either pipeline writes nothing', async () => {
    const { sb, site, runEu, overlapping } = await twoSites('EU-');
    expect((await sb.run()).exitCode).toBe(0);
    const usCount = sb.acu.state.records('Invoice').length;
    expect(overlapping().length).toBeGreaterThan(0);

    const run = await runEu();

    expect(run.exitCode, JSON.stringify(run.streams)).toBe(0);
    const euInvoices = site.state.all('invoices').filter((i) => !i.deleted && i.status !== 'voided');
    for (const invoice of euInvoices) {
      const found = sb.acu.state.records('Invoice').filter((d) => d['Type'] === 'Invoice' && d['CustomerOrder'] === `EU-${invoice.id}`);
      expect(found.map((d) => [d['Customer'], new Set((d['Details'] as Rec[]).map((l) => l['Branch']))])).toEqual([
        [`EU-${invoice.customer_id}`.toUpperCase(), new Set(['EU'])],
      ]);
      expect(ledger(sb, (store) => store.targetIdOf(EU, 'invoices', invoice.id))).toBe(found[0]!['ReferenceNbr']);
    }
    expect(sb.acu.state.records('Invoice').length).toBeGreaterThan(usCount);
    const euPayments = site.state.all('transactions').filter((t) => !t.deleted && t.status === 'success' && t.type === 'payment');
    for (const txn of euPayments) {
      const payment = sb.acu.state.records('Payment').find((p) => p['PaymentRef'] === `EU-${txn.id}`);
      expect([txn.id, payment?.['CustomerID'], payment?.['Branch']]).toEqual([txn.id, `EU-${txn.customer_id}`.toUpperCase(), 'EU']);
    }

    const writes = sb.acu.state.writes.length;
    expect((await sb.run()).exitCode).toBe(0);
    expect((await runEu()).exitCode).toBe(0);
    expect(sb.acu.state.writes.length).toBe(writes);
  }, 60_000);
});
