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

/**
 * The US pipeline (the sandbox's) and an EU copy with its own name, customer prefix, branch and, if
 * given, document key prefix; `edit` changes both (e.g. gl_journals), `editEu` the EU copy only.
 */
async function twoSites(documentKeyPrefix?: string, edit: (text: string) => string = (t) => t, editEu: (text: string) => string = (t) => t) {
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
  writeFileSync(s.pipelinePath, edit(readFileSync(s.pipelinePath, 'utf8')));
  eu = await startFakeChargebee({ customers: 12, seed: 2, site: 'acme-eu' });
  const euPath = join(s.dir, `${EU}.yaml`);
  let text = readFileSync(s.pipelinePath, 'utf8')
    .replace(`name: ${US}`, `name: ${EU}`)
    .replace('customer_id_prefix: ""', 'customer_id_prefix: "EU-"')
    .replace('"": MAIN', '"": EU');
  if (documentKeyPrefix !== undefined) text = text.replace('document_key_prefix: ""', `document_key_prefix: "${documentKeyPrefix}"`);
  writeFileSync(euPath, editEu(text));
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
  /** EU invoices voided or deleted before the EU pipeline synced them, whose id the US site posted (and did not void). */
  const voidedOverlapping = () =>
    site.state
      .all('invoices')
      .filter(
        (i) =>
          (i.deleted || i.status === 'voided') && sb.cb.state.get('invoices', i.id) !== undefined && sb.cb.state.get('invoices', i.id)!.status !== 'voided',
      );
  return { sb, site, runEu, overlapping, voidedOverlapping };
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
    const { sb, runEu, overlapping, voidedOverlapping } = await twoSites();
    expect((await sb.run()).exitCode).toBe(0);
    const usDocuments = structuredClone(sb.acu.state.records('Invoice'));
    const shared = overlapping();
    expect(shared.length).toBeGreaterThan(0);

    const run = await runEu();

    expect(run.exitCode).toBe(1);
    // Only the voids of EU invoices never synced whose id the US site posted are skipped (below).
    expect(run.streams['invoices']!.skipped).toBe(voidedOverlapping().length);
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

  it('gl_journals without a key prefix: the EU journals are refused naming the US batch and its first line, never linked to the US journals; the US pipeline still adopts its own after losing its ledger', async () => {
    const { sb, site, runEu, overlapping, voidedOverlapping } = await twoSites(undefined, (t) =>
      t.replace('post_invoices_as: ar_documents', 'post_invoices_as: gl_journals'),
    );
    expect((await sb.run()).exitCode).toBe(0);
    const usJournals = structuredClone(sb.acu.state.records('JournalTransaction'));
    const shared = overlapping();
    expect(shared.length).toBeGreaterThan(0);
    const sharedCredits = site.state.all('credit_notes').filter((c) => {
      const us = sb.cb.state.get('credit_notes', c.id);
      return !c.deleted && c.status !== 'voided' && us !== undefined && !us.deleted && us.status !== 'voided';
    });
    expect(sharedCredits.length).toBeGreaterThan(0);

    const run = await runEu();

    expect(run.exitCode).toBe(1);
    const letters = ledger(sb, (store) => store.deadLetters(EU, 'invoices'));
    for (const invoice of shared) {
      const us = sb.cb.state.get('invoices', invoice.id)!;
      const usJournal = usJournals.find((j) => j['Description'] === `Chargebee invoice ${invoice.id}`)!;
      expect(
        ledger(sb, (store) => store.targetIdOf(EU, 'invoices', invoice.id)),
        `EU invoice ${invoice.id}`,
      ).toBeUndefined();
      const letter = letters.find((l) => l.sourceId === invoice.id)!;
      expect(letter.errorCode).toBe('acumatica_key_collision');
      expect(letter.message).toContain(
        `source record ${invoice.id} (Details[0].TransactionDescription 'Chargebee invoice ${invoice.id} ${invoice.customer_id}')`,
      );
      expect(letter.message).toContain(`Description 'Chargebee invoice ${invoice.id}'`);
      expect(letter.message).toContain(
        `JournalTransaction ${String(usJournal['BatchNbr'])} with that Description has Details[0].TransactionDescription 'Chargebee invoice ${invoice.id} ${us.customer_id}'`,
      );
      expect(letter.fix).toContain('options.document_key_prefix');
    }
    // A voided EU invoice finding a US journal under its Description is skipped: nothing of it was posted.
    const voided = voidedOverlapping();
    expect(voided.length).toBeGreaterThan(0);
    expect(run.streams['invoices']!.skipped).toBe(voided.length);
    for (const invoice of voided) expect(letters.find((l) => l.sourceId === invoice.id)).toBeUndefined();
    const creditLetters = ledger(sb, (store) => store.deadLetters(EU, 'credit_notes'));
    for (const note of sharedCredits) {
      expect(
        ledger(sb, (store) => store.targetIdOf(EU, 'credit_notes', note.id)),
        `EU credit note ${note.id}`,
      ).toBeUndefined();
      expect(creditLetters.find((l) => l.sourceId === note.id)?.errorCode).toBe('acumatica_key_collision');
    }
    const after = sb.acu.state.records('JournalTransaction').filter((j) => usJournals.some((u) => u['BatchNbr'] === j['BatchNbr']));
    expect(after).toEqual(usJournals);

    // One site alone: its journals found by Description name its own customers, and are adopted, not posted twice.
    const fresh = await sb.run({ statePath: join(sb.dir, 'fresh-state.db') });
    expect(fresh.exitCode, JSON.stringify(fresh.streams)).toBe(0);
    expect(sb.acu.state.records('JournalTransaction').filter((j) => usJournals.some((u) => u['BatchNbr'] === j['BatchNbr']))).toEqual(usJournals);
    expect(sb.acu.state.records('JournalTransaction').filter((j) => usJournals.some((u) => u['Description'] === j['Description']))).toHaveLength(
      usJournals.length,
    );
  }, 60_000);

  it("an EU invoice voided before its first sync, whose id the US site posted, is skipped naming the US document: no dead letter asks to void the other site's invoice", async () => {
    const { sb, runEu, voidedOverlapping } = await twoSites();
    expect((await sb.run()).exitCode).toBe(0);
    const usDocuments = structuredClone(sb.acu.state.records('Invoice'));
    const voided = voidedOverlapping();
    expect(voided.length).toBeGreaterThan(0);

    const run = await runEu();

    const letters = ledger(sb, (store) => store.deadLetters(EU, 'invoices'));
    for (const invoice of voided) {
      const usDocument = usDocuments.find((d) => d['Type'] === 'Invoice' && d['CustomerOrder'] === invoice.id)!;
      expect(
        letters.find((l) => l.sourceId === invoice.id),
        `EU invoice ${invoice.id}`,
      ).toBeUndefined();
      expect(ledger(sb, (store) => store.targetIdOf(EU, 'invoices', invoice.id))).toBeUndefined();
      const answer = ledger(sb, (store) => store.audit.entries(EU, { stream: 'invoices', sourceId: invoice.id }).at(-1)!.answer!);
      expect(answer['status']).toBe('skipped');
      expect(answer['reason']).toContain(`source record ${invoice.id} (Customer EU-${invoice.customer_id}) is found by CustomerOrder '${invoice.id}'`);
      expect(answer['reason']).toContain(
        `Invoice ${String(usDocument['ReferenceNbr'])} with that CustomerOrder is customer ${String(usDocument['Customer'])}'s`,
      );
      expect(answer['reason']).toContain('nothing of it to void in Acumatica');
    }
    expect(run.streams['invoices']!.skipped).toBe(voided.length);
    const after = sb.acu.state.records('Invoice').filter((d) => usDocuments.some((u) => u['ReferenceNbr'] === d['ReferenceNbr'] && u['Type'] === d['Type']));
    expect(after).toEqual(usDocuments);
  }, 60_000);

  it("a void that names no customer and finds a document by its key alone: acumatica_cannot_void names the document's customer and warns it may be another pipeline's", async () => {
    const named = '"Type": "Invoice", "CustomerOrder": $docKey, "Customer": $owner }';
    const { sb, runEu, voidedOverlapping } = await twoSites(undefined, undefined, (t) => {
      expect(t).toContain(named);
      return t.replace(named, '"Type": "Invoice", "CustomerOrder": $docKey }');
    });
    expect((await sb.run()).exitCode).toBe(0);
    const voided = voidedOverlapping();
    expect(voided.length).toBeGreaterThan(0);

    await runEu();

    const letters = ledger(sb, (store) => store.deadLetters(EU, 'invoices'));
    for (const invoice of voided) {
      const usDocument = sb.acu.state.records('Invoice').find((d: Rec) => d['Type'] === 'Invoice' && d['CustomerOrder'] === invoice.id)!;
      const letter = letters.find((l) => l.sourceId === invoice.id)!;
      expect(letter.errorCode).toBe('acumatica_cannot_void');
      expect(letter.message).toContain(
        `found by CustomerOrder '${invoice.id}' alone and is customer ${String(usDocument['Customer'])}'s, while the record names no customer`,
      );
      expect(letter.message).toContain("may be another pipeline's document");
      expect(letter.fix).toMatch(/^first check that Invoice .+ is this record's: if it is another pipeline's, leave it as it is/);
    }
  }, 60_000);
});
