/**
 * A Chargebee site with two business entities, each recognised by its own copy of the revenue
 * example (options.business_entity_id) into its own DualEntry company, over the same site: each
 * company's journals carry its own entity's invoices and credit notes only.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { installedConnectors } from '../../../app/registry.js';
import { silentLogger } from '../../../engine/log.js';
import { runPipeline } from '../../../engine/run/runner.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import { startFakeDualEntry, type FakeDualEntry } from '../../fakes/dualentry/index.js';
import { assignEntities } from '../../pipelines/business-entity-site.js';
import { revrecEnv, revrecPipelineCopy, REVREC_PIPELINE_NAME } from './revrec-harness.js';

let cb: FakeChargebee | undefined;
let ledgers: FakeDualEntry[] = [];
let dir: string | undefined;
afterEach(async () => {
  await Promise.all([cb?.close(), ...ledgers.map((l) => l.close())]);
  if (dir) rmSync(dir, { recursive: true, force: true });
  cb = undefined;
  ledgers = [];
  dir = undefined;
});

const FIRST_DAY = Date.UTC(2023, 0, 1) / 1000;
const AR_ACCOUNT = 1200;

/** AR movement per currency, in minor units, that the entity's documents imply (as the e2e test counts it). */
function expectedReceivables(entity: string): Record<string, bigint> {
  const totals: Record<string, bigint> = {};
  const add = (documents: Array<Record<string, unknown>>, sign: bigint) => {
    for (const doc of documents) {
      if (doc['business_entity_id'] !== entity) continue;
      if (doc['deleted'] || doc['status'] === 'voided' || doc['status'] === 'pending' || (doc['date'] as number) < FIRST_DAY) continue;
      const inclusive = doc['price_type'] === 'tax_inclusive';
      const currency = doc['currency_code'] as string;
      for (const line of doc['line_items'] as Array<Record<string, number>>) {
        const amount = BigInt(line['amount'] ?? 0) - BigInt(line['discount_amount'] ?? 0) + (inclusive ? 0n : BigInt(line['tax_amount'] ?? 0));
        totals[currency] = (totals[currency] ?? 0n) + sign * amount;
      }
      totals[currency] = (totals[currency] ?? 0n) + sign * BigInt((doc['round_off_amount'] as number | undefined) ?? 0);
    }
  };
  add(cb!.state.all('invoices') as unknown as Array<Record<string, unknown>>, 1n);
  add(cb!.state.all('credit_notes') as unknown as Array<Record<string, unknown>>, -1n);
  return totals;
}

function scaled(text: string, currency: string): bigint {
  const exponent = currency === 'JPY' ? 0 : currency === 'KWD' ? 3 : 2;
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(exponent, '0'));
}

function postedReceivables(ledger: FakeDualEntry): Record<string, bigint> {
  const totals: Record<string, bigint> = {};
  for (const entry of ledger.state.entries) {
    const currency = entry.currency_iso_4217_code;
    for (const item of entry.items.filter((i) => i.account_number === AR_ACCOUNT))
      totals[currency] = (totals[currency] ?? 0n) + scaled(item.debit, currency) - scaled(item.credit, currency);
  }
  return totals;
}

async function company(entity: string) {
  const ledger = await startFakeDualEntry();
  ledgers.push(ledger);
  const pipelinePath = revrecPipelineCopy(dir!, `${entity}.yaml`, (t) =>
    t
      .replace(`name: ${REVREC_PIPELINE_NAME}\n`, `name: ${REVREC_PIPELINE_NAME}-${entity}\n`)
      .replace('  business_entity_id: ""\n', `  business_entity_id: ${entity}\n`),
  );
  const env = revrecEnv(cb!, ledger);
  return { ledger, run: () => runPipeline({ connectors: installedConnectors, pipelinePath, statePath: join(dir!, 'state.db'), env, log: silentLogger }) };
}

describe('DualEntry revenue example: one pipeline per Chargebee business entity', () => {
  it("two pipelines over one site: each company's journals hold its own entity's receivables, to the unit, nothing of the other's", async () => {
    cb = await startFakeChargebee({ customers: 12, seed: 7 });
    dir = mkdtempSync(join(tmpdir(), 'ledgersync-revrec-entities-'));
    assignEntities(cb, (i) => (i % 2 ? 'acme-eu' : 'acme-us'));
    const us = await company('acme-us');
    const eu = await company('acme-eu');

    const usRun = await us.run();
    const euRun = await eu.run();

    expect(usRun.exitCode, JSON.stringify(usRun.streams)).toBe(0);
    expect(euRun.exitCode, JSON.stringify(euRun.streams)).toBe(0);
    const [usExpected, euExpected] = [expectedReceivables('acme-us'), expectedReceivables('acme-eu')];
    expect(Object.keys(usExpected).length).toBeGreaterThan(0);
    expect(Object.keys(euExpected).length).toBeGreaterThan(0);
    expect(postedReceivables(us.ledger)).toEqual(usExpected);
    expect(postedReceivables(eu.ledger)).toEqual(euExpected);
    // Each document was scheduled by one pipeline only.
    const scheduled = (run: typeof usRun) => run.streams['invoices']!.created;
    expect(scheduled(usRun) + scheduled(euRun)).toBe(
      cb.state.all('invoices').filter((i) => !i.deleted && i.status !== 'pending' && (i.date ?? 0) >= FIRST_DAY).length,
    );
  }, 120_000);
});
