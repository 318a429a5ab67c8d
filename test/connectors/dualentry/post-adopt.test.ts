/**
 * `ledgersync post` whose journal's answer was lost and could not be looked up (exit 3), retried
 * after the period changed (an invoice voided meanwhile): the entry the first attempt landed is
 * adopted and recorded as what it holds, not as the new plan, so the ledger says what DualEntry has
 * and the amounts planned since stay to post (in the next period, as the poster does for a currency
 * posted already). Before, the ledger recorded the new plan under the old entry: the difference was
 * never posted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StateStore } from '../../../engine/state/store.js';
import { startFakeChargebee, type FakeChargebee } from '../../fakes/chargebee/index.js';
import type { FakeDualEntry } from '../../fakes/dualentry/index.js';
import { postRig, REVREC_PIPELINE_NAME } from './revrec-harness.js';

const NAME = REVREC_PIPELINE_NAME;
let chargebee: FakeChargebee;
const dir = mkdtempSync(join(tmpdir(), 'ledgersync-post-adopt-'));
beforeAll(async () => {
  chargebee = await startFakeChargebee({ customers: 12, seed: 7 });
});
afterAll(async () => {
  await chargebee.close();
  rmSync(dir, { recursive: true, force: true });
});

type Doc = Record<string, unknown>;
const docs = (kind: 'invoices' | 'credit_notes') => chargebee.state.all(kind) as unknown as Doc[];

function scaled(text: string, currency: string): bigint {
  const exponent = currency === 'JPY' ? 0 : currency === 'KWD' ? 3 : 2;
  const [whole = '0', fraction = ''] = text.split('.');
  return BigInt(whole + fraction.padEnd(exponent, '0'));
}
const currentMonth = () => new Date().toISOString().slice(0, 7);
const voidable = (currency?: string) =>
  docs('invoices').find(
    (i) => i['status'] === 'paid' && !i['deleted'] && (i['date'] as number) >= Date.UTC(2023, 0, 1) / 1000 && (!currency || i['currency_code'] === currency),
  )!;

/** Receivables per currency as the state's postings of `month` record them. */
function recordedReceivables(statePath: string, month: string): Record<string, bigint> {
  const state = StateStore.open(statePath);
  try {
    const postings =
      state
        .keyValue(NAME, 'dualentry')
        .get<Array<{ currency: string; lines: Array<{ account: string; debit: number; credit: number }> }>>(`revrec:postings:${month}`) ?? [];
    const r: Record<string, bigint> = {};
    for (const p of postings)
      for (const l of p.lines.filter((l) => l.account === '1200')) r[p.currency] = (r[p.currency] ?? 0n) + BigInt(l.debit) - BigInt(l.credit);
    return r;
  } finally {
    state.close();
  }
}

/** Receivables per currency DualEntry holds in the entries dated in `month`. */
function heldReceivables(ledger: FakeDualEntry, month: string): Record<string, bigint> {
  const r: Record<string, bigint> = {};
  for (const entry of ledger.state.entries.filter((e) => e.date.startsWith(month))) {
    const c = entry.currency_iso_4217_code;
    for (const item of entry.items.filter((i) => i.account_number === 1200)) r[c] = (r[c] ?? 0n) + scaled(item.debit, c) - scaled(item.credit, c);
  }
  return r;
}

describe('ledgersync post: an earlier attempt adopted after the period changed', () => {
  it('records what the adopted entry holds, so what was planned since is still to post', async () => {
    const r = await postRig(chargebee, dir, 'adopt');
    try {
      expect((await r.run()).exitCode).toBe(0);
      const x = voidable();
      const currency = x['currency_code'] as string;
      chargebee.state.touch('invoices', x['id'] as string, { status: 'voided' });
      expect((await r.run()).exitCode).toBe(0);
      // The journal lands, its answer is lost, and the look-up cannot tell: exit 3, the attempt pending.
      r.proxy.inject({ method: 'POST', path: /journal-entries/, fault: { kind: 'status', status: 503 } });
      r.proxy.inject({ method: 'GET', path: /journal-entries/, times: Infinity, fault: { kind: 'status', status: 503, forward: false } });
      const lost = await r.post(currentMonth());
      expect(lost.exitCode).toBe(3);
      r.proxy.clear();
      const month = currentMonth();
      const entriesBefore = r.ledger.state.entries.length;

      const y = voidable(currency);
      chargebee.state.touch('invoices', y['id'] as string, { status: 'voided' });
      expect((await r.run()).exitCode).toBe(0);
      const retried = await r.post(month);
      expect(retried.exitCode).toBe(0);
      // Adopted, not posted again.
      expect(r.ledger.state.entries.length).toBe(entriesBefore);
      expect(recordedReceivables(r.statePath, month)).toEqual(heldReceivables(r.ledger, month));
    } finally {
      await r.close();
    }
  });
});
